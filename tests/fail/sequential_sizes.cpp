// expect: tapeless::nn::sequential: a layer's out_features differ from the next layer's in_features.*sizes_chain<8, 4>|sizes_chain<8, 4>.*tapeless::nn::sequential: a layer's out_features differ from the next layer's in_features
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
#ifdef TAPELESS_EXPECT_FAIL
  // 8 outputs feed a layer that takes 4 (the tanh between keeps the width)
  tl::nn::sequential model{tl::nn::linear<2, 8>{1}, tl::nn::tanh{}, tl::nn::linear<4, 1>{2}};
#else
  tl::nn::sequential model{tl::nn::linear<2, 8>{1}, tl::nn::tanh{}, tl::nn::linear<8, 1>{2}};
#endif
  return static_cast<int>(model.size()) - 3;
}
