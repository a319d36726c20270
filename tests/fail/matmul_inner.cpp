// expect: tapeless::operator.: inner extents differ .lhs columns vs rhs rows.
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 3> X(2);
#ifdef TAPELESS_EXPECT_FAIL
  tl::param<"w", 4, 1> w;  // X is dyn×3: four weights do not fit three features
#else
  tl::param<"w", 3, 1> w;
#endif
  auto h = X * w;
  return static_cast<int>(tl::shape_of_t<decltype(h)>::cols) - 1;
}
