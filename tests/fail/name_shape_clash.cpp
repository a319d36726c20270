// expect: tapeless::grad: two parameters share a name but not a shape
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 3> X(2);
  tl::param<"w", 3, 1> w;
#ifdef TAPELESS_EXPECT_FAIL
  tl::param<"w", 2, 1> other;  // another "w", of another shape
#else
  tl::param<"v", 2, 1> other;
#endif
  auto loss = tl::mean(X * w);
  return tl::value(tl::grad(loss, other))[0] == 0.0f ? 0 : 1;
}
