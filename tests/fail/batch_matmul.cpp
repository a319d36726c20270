// expect: tapeless::operator.: the right operand's rows are the batch .dyn. extent
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::param<"v", 2, 1> v;
#ifdef TAPELESS_EXPECT_FAIL
  tl::tensor<float, tl::dyn, 1> y(2);
  auto p = tl::transpose(v) * y;  // a product over the batch
#else
  tl::param<"u", 2, 1> y;
  auto p = tl::transpose(v) * y;
#endif
  return static_cast<int>(tl::shape_of_t<decltype(p)>::cols) - 1;
}
