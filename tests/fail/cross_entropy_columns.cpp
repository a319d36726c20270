// expect: tapeless::cross_entropy: the classes must be one column of indices
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 2> X{{1, 2}, {3, 4}};
  tl::param<"W", 2, 3> W;
#ifdef TAPELESS_EXPECT_FAIL
  tl::tensor<int, tl::dyn, 3> const classes{{1, 0, 0}, {0, 0, 1}};  // one-hot rows are not class indices
#else
  tl::tensor<int, tl::dyn, 1> const classes{{0}, {2}};
#endif
  return tl::value(tl::cross_entropy(X * W, classes)) > 0.0f ? 0 : 1;
}
