#pragma once
// `tl::optim::sgd`: stochastic gradient descent exactly as `torch.optim.SGD`
// (lr, momentum, dampening, weight_decay, nesterov, maximize), step by step.
//
// There is no `zero_grad`: gradients are values returned by value_and_grad,
// not state accumulated in the parameters.

#include "../config.hpp"
#include "../param.hpp"
#include "optimizer.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace tapeless::optim {

/// Hyper-parameters of SGD, with torch's defaults; `lr` has none and must be set.
struct sgd_options {
  double lr = std::numeric_limits<double>::quiet_NaN();
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("momentum", self.momentum), f("dampening", self.dampening);
    f("weight_decay", self.weight_decay), f("nesterov", self.nesterov), f("maximize", self.maximize);
  }
};

namespace detail {
/// torch.optim.SGD's update (`_single_tensor_sgd`), one element at a time:
///
///     g ← ±∇ + λθ;  b ← μb + (1 − τ)g (b ← g on the first step);  g ← g + μb (nesterov) or b;  θ ← θ − ηg
struct sgd_rule {
  using options = sgd_options;
  using group_state = no_group_state;
  static constexpr std::string_view name = "sgd";
  static constexpr std::array<std::string_view, 1> buffers{"momentum_buffer"};
  static constexpr bool device_update = true;  // init and update run on a GPU too (tl::fit)
  struct constants {
    bool first = false;
  };

  static void validate(options const& o) {
    TAPELESS_CHECK(o.lr >= 0, "tapeless::optim::sgd: set a non-negative learning rate (.lr); it has no default");
    TAPELESS_CHECK(o.momentum >= 0, "tapeless::optim::sgd: momentum must be non-negative");
    TAPELESS_CHECK(o.weight_decay >= 0, "tapeless::optim::sgd: weight_decay must be non-negative");
    TAPELESS_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
                   "tapeless::optim::sgd: nesterov momentum requires a momentum and zero dampening");
  }
  static bool uses(std::size_t, options const& o) { return o.momentum != 0; }
  static constants prepare(options const&, std::uint64_t step, group_state&) { return {step == 1}; }
  template <class T>
  TAPELESS_HOST_DEVICE static void init(T, slots<T, 1>, options const&) {}

  template <class T>
  TAPELESS_HOST_DEVICE static void update(T& p, T grad, slots<T, 1> s, constants const& c, options const& o) {
    T d = o.maximize ? -grad : grad;
    if (o.weight_decay != 0) d = d + static_cast<T>(o.weight_decay) * p;
    if (o.momentum != 0) {
      T& buf = s[0];
      auto const mu = static_cast<T>(o.momentum);
      buf = c.first ? d : mu * buf + static_cast<T>(1 - o.dampening) * d;
      d = o.nesterov ? d + mu * buf : buf;
    }
    p = p - static_cast<T>(o.lr) * d;
  }
};
}  // namespace detail

/// SGD over parameters `Ps…`, as `torch.optim.SGD`:
///
///     tl::optim::sgd opt{tl::params(w, b), {.lr = 0.01, .momentum = 0.9}};
///     opt.step(tl::value_and_grad(loss, w, b).grads);
///
/// State per parameter: "momentum_buffer" (only with momentum).
template <class... Ps>
class sgd : public detail::elementwise_optimizer<detail::sgd_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::sgd_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(sgd, sgd_options);

}  // namespace tapeless::optim
