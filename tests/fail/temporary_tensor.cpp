// expect: tapeless: a temporary tensor or parameter would dangle inside the expression
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 3> x{{1, 2, 3}, {4, 5, 6}};
#ifdef TAPELESS_EXPECT_FAIL
  auto centred = x - x.mean(0);  // the column means die at the ';', the expression would keep a view
#else
  auto mu = x.mean(0);
  auto centred = x - mu;
#endif
  tl::tensor<float, tl::dyn, 3> out{centred};
  return out(0, 0) == -1.5f ? 0 : 1;
}
