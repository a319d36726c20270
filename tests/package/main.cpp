// A consumer of tapeless through find_package or add_subdirectory: one fused pass of the
// lecture's Exercise 1 must link and give the known first-step numbers.
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <cstdio>

namespace tl = tapeless;

int main() {
  tl::tensor<float, tl::dyn, 1> x{{0}, {1}, {1}}, y{{0}, {1}, {2}};
  tl::param<"w"> w;
  tl::param<"b"> b;
  auto [value, grads] = tl::value_and_grad(tl::mean(tl::square(x * w + b - y)), w, b);
  // cost 5/3, d/dw = -2, d/db = -2 at w = b = 0
  bool const ok = std::abs(value - 5.0f / 3) < 1e-6f && grads[w].item() == -2.0f && grads[b].item() == -2.0f;
  std::printf("tapeless consumer: cost %.6f, grads %.1f %.1f: %s\n", static_cast<double>(value),
              static_cast<double>(grads[w].item()), static_cast<double>(grads[b].item()), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
