// expect: tapeless::fit: the optimizer is not an elementwise one of tl::optim
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
int main() {
  tl::tensor<float, tl::dyn, 1> x{{1}, {2}}, y{{2}, {4}};
  tl::param<"w"> w;
#ifdef TAPELESS_EXPECT_FAIL
  tl::optim::lbfgs optimizer{tl::params(w), {.lr = 1}};
#else
  tl::optim::sgd optimizer{tl::params(w), {.lr = 0.1}};
#endif
  auto const log = tl::fit(tl::mse_loss(x * w, y), optimizer, {.steps = 10});
  return log.losses.size() == 10 ? 0 : 1;
}
