#pragma once
// `tl::optim::adamax`: Adamax, as `torch.optim.Adamax` (Adam with the infinity norm).
//
// Mirrors torch 1.13's single-tensor `_single_tensor_adamax` in float32 operation order,
// so trajectories match PyTorch's step by step (tests/optim/algorithms.test.cpp).

#include "optimizer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace tapeless::optim {

/// Hyper-parameters of Adamax, with torch's defaults.
struct adamax_options {
  double lr = 2e-3;
  pair betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("betas", self.betas), f("eps", self.eps), f("weight_decay", self.weight_decay);
    f("maximize", self.maximize);
  }
};

namespace detail {
/// Adamax's update:
///
///     g ← ±∇ + λθ;  m ← β₁m + (1 − β₁)g;  u ← max(β₂u, |g| + ε);  θ ← θ − η/(1 − β₁ᵗ) · m/u
struct adamax_rule {
  using options = adamax_options;
  using group_state = no_group_state;
  static constexpr std::string_view name = "adamax";
  static constexpr std::array<std::string_view, 2> buffers{"exp_avg", "exp_inf"};
  enum : std::size_t { exp_avg, exp_inf };
  struct constants {
    double clr = 0;
  };

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require_eps(o.eps, name);
    require_betas(o.betas, name);
    require_weight_decay(o.weight_decay, name);
  }
  static bool uses(std::size_t, options const&) { return true; }
  static constants prepare(options const& o, std::uint64_t step, group_state&) {
    return {o.lr / (1 - std::pow(o.betas[0], static_cast<double>(step)))};
  }
  template <class T>
  static void init(T, slots<T, 2>, options const&) {}

  template <class T>
  static void update(T& p, T grad, slots<T, 2> s, constants const& c, options const& o) {
    T g = o.maximize ? -grad : grad;
    if (o.weight_decay != 0) g = g + static_cast<T>(o.weight_decay) * p;
    s[exp_avg] = s[exp_avg] * static_cast<T>(o.betas[0]) + static_cast<T>(1 - o.betas[0]) * g;
    s[exp_inf] = std::max(s[exp_inf] * static_cast<T>(o.betas[1]), std::abs(g) + static_cast<T>(o.eps));
    p = p + static_cast<T>(-c.clr) * s[exp_avg] / s[exp_inf];
  }
};
}  // namespace detail

/// Adamax over parameters `Ps…`, as `torch.optim.Adamax`:
///
///     tl::optim::adamax opt{tl::params(w, b), {.lr = 0.01}};
///
/// State per parameter: "exp_avg", "exp_inf".
template <class... Ps>
class adamax : public detail::elementwise_optimizer<detail::adamax_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::adamax_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(adamax, adamax_options);

}  // namespace tapeless::optim
