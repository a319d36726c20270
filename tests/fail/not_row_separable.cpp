// expect: tapeless::value_and_grad: the loss is not row-separable
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 1> x{{1}, {2}};
  tl::param<"w"> w;
#ifdef TAPELESS_EXPECT_FAIL
  auto loss = tl::mean(tl::square(x * w - tl::mean(x * w)));  // a variance: needs the mean first
#else
  auto loss = tl::mean(tl::square(x * w)) - tl::square(tl::mean(x * w));  // the same, row-separable
#endif
  return tl::value_and_grad(loss, w).value == 0.0f ? 0 : 1;
}
