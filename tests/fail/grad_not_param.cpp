// expect: tapeless::grad: 'wrt' must be a parameter .tapeless::param., not an expression
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 1> x{{1}, {2}};
  tl::param<"w"> w;
  auto loss = tl::mean(tl::square(x * w));
#ifdef TAPELESS_EXPECT_FAIL
  auto g = tl::grad(loss, x * w);  // differentiate by the hypothesis: not a parameter
#else
  auto g = tl::grad(loss, w);
#endif
  return tl::value(g) == 0.0f ? 0 : 1;
}
