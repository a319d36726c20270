// expect: tapeless::value_and_grad: the loss must be a scalar .1x1.; reduce it with sum or mean first
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 1> x{{1}, {2}};
  tl::param<"w"> w;
#ifdef TAPELESS_EXPECT_FAIL
  auto result = tl::value_and_grad(tl::square(x * w), w);  // one value per row: not a loss
#else
  auto result = tl::value_and_grad(tl::mean(tl::square(x * w)), w);
#endif
  return result.value == 0.0f ? 0 : 1;
}
