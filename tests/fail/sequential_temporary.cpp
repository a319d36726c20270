// expect: use of deleted function '[^']*basic_sequential[^']*::operator\(\)|call to deleted function call operator in type '[^']*sequential<
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 2> X{{1, 2}, {3, 4}};
  tl::nn::sequential model{tl::nn::linear<2, 3>{1}, tl::nn::relu{}, tl::nn::linear<3, 1>{2}};
#ifdef TAPELESS_EXPECT_FAIL
  // a temporary model: the expression would read its destroyed parameters
  auto out = tl::nn::sequential{tl::nn::linear<2, 3>{1}, tl::nn::relu{}, tl::nn::linear<3, 1>{2}}(X);
#else
  auto out = model(X);
#endif
  return tl::value(tl::sum(out)) > 1e9f ? 1 : 0;
}
