// expect: tapeless::gradients: no gradient for this parameter; pass it to value_and_grad
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 1> x{{1}, {2}};
  tl::param<"w"> w;
  tl::param<"b"> b;
  auto loss = tl::mean(tl::square(x * w + b));
#ifdef TAPELESS_EXPECT_FAIL
  auto [value, grads] = tl::value_and_grad(loss, w);
#else
  auto [value, grads] = tl::value_and_grad(loss, w, b);
#endif
  return value + grads[b].item() == 0.0f ? 0 : 1;
}
