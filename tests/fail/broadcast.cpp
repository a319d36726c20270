// expect: tapeless::operator.: operand shapes cannot be broadcast together
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 3> X(2);
#ifdef TAPELESS_EXPECT_FAIL
  tl::param<"b", 1, 4> b;  // a row of 4 cannot be added to rows of 3
#else
  tl::param<"b", 1, 3> b;
#endif
  auto h = X + b;
  return static_cast<int>(tl::shape_of_t<decltype(h)>::cols) - 3;
}
