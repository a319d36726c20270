// expect: tapeless::cross_entropy: a temporary tensor of classes would dangle
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 2> X{{1, 2}, {3, 4}};
  tl::param<"W", 2, 3> W;
#ifdef TAPELESS_EXPECT_FAIL
  auto const loss = tl::cross_entropy(X * W, tl::tensor<int, tl::dyn, 1>{{0}, {2}});  // destroyed at the ';'
#else
  tl::tensor<int, tl::dyn, 1> const classes{{0}, {2}};
  auto const loss = tl::cross_entropy(X * W, classes);
#endif
  return tl::value(loss) > 0.0f ? 0 : 1;
}
