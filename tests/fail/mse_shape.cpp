// expect: tapeless::mse_loss: input and target shapes differ
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 3> X(2);
  tl::param<"w", 3, 1> w;
#ifdef TAPELESS_EXPECT_FAIL
  tl::tensor<float, tl::dyn, 2> y(2);  // two targets per row, one prediction
#else
  tl::tensor<float, tl::dyn, 1> y(2);
#endif
  return tl::value(tl::mse_loss(X * w, y)) == 0.0f ? 0 : 1;
}
