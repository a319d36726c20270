// expect: tapeless::huber_loss: input and target shapes differ
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 3> X(2);
  tl::param<"W", 3, 2> W;
#ifdef TAPELESS_EXPECT_FAIL
  tl::tensor<float, tl::dyn, 1> y(2);  // one target per row, two predictions
#else
  tl::tensor<float, tl::dyn, 2> y(2);
#endif
  return tl::value(tl::huber_loss(X * W, y)) == 0.0f ? 0 : 1;
}
