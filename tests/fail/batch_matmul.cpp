// expect: tapeless::operator.: the right operand's rows are the batch .dyn. extent
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 1> x(2);
#ifdef TAPELESS_EXPECT_FAIL
  tl::tensor<float, tl::dyn, 1> y(2);
  auto p = tl::transpose(tl::param<"v", 2, 1>{}) * y;  // a product over the batch
#else
  auto p = tl::transpose(tl::param<"v", 2, 1>{}) * tl::param<"u", 2, 1>{};
#endif
  return static_cast<int>(tl::shape_of_t<decltype(p)>::cols) - 1 + static_cast<int>(x.rows()) - 2;
}
