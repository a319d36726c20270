// expect: tapeless::nn::linear: the input has a different number of columns than the layer's In
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::nn::linear<3, 1> layer;
#ifdef TAPELESS_EXPECT_FAIL
  tl::tensor<float, tl::dyn, 4> x(2);  // four features into a Linear(3, 1)
#else
  tl::tensor<float, tl::dyn, 3> x(2);
#endif
  return static_cast<int>(tl::value(tl::sum(layer(x))) > 100.0f);
}
