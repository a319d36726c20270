#pragma once
// `tl::optim::adam`: Adam, as `torch.optim.Adam` (amsgrad, maximize, weight_decay).
//
// Mirrors torch 1.13's single-tensor `_single_tensor_adam` in float32 operation order,
// so trajectories match PyTorch's step by step (tests/optim/algorithms.test.cpp).

#include "optimizer.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace tapeless::optim {

/// Hyper-parameters of Adam, with torch's defaults.
struct adam_options {
  double lr = 1e-3;
  pair betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("betas", self.betas), f("eps", self.eps), f("weight_decay", self.weight_decay);
    f("amsgrad", self.amsgrad), f("maximize", self.maximize);
  }
};

/// Hyper-parameters of AdamW: Adam's, with torch's default weight decay 1e-2.
struct adamw_options {
  double lr = 1e-3;
  pair betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("betas", self.betas), f("eps", self.eps), f("weight_decay", self.weight_decay);
    f("amsgrad", self.amsgrad), f("maximize", self.maximize);
  }
};

namespace detail {
/// Adam's update; `Decoupled` is AdamW (weight decay on the parameter, not in the gradient):
///
///     g ← ±∇ (+ λθ);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  v̂ ← max(v̂, v) (amsgrad)
///     θ ← (1 − ηλ)θ (AdamW);  θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
template <bool Decoupled>
struct adam_rule {
  using options = std::conditional_t<Decoupled, adamw_options, adam_options>;
  using group_state = no_group_state;
  static constexpr std::string_view name = Decoupled ? "adamw" : "adam";
  static constexpr std::array<std::string_view, 3> buffers{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  enum : std::size_t { exp_avg, exp_avg_sq, max_exp_avg_sq };
  static constexpr bool device_update = true;  // init and update run on a GPU too (tl::fit)
  /// Per step: the bias corrections, and the betas, which `update` reads from
  /// here rather than from the options' `std::array` (not readable in device code).
  struct constants {
    double step_size = 0, bias_correction2_sqrt = 1, beta1 = 0.9, beta2 = 0.999;
  };

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require_eps(o.eps, name);
    require_betas(o.betas, name);
    require_weight_decay(o.weight_decay, name);
  }
  static bool uses(std::size_t buffer, options const& o) { return buffer != max_exp_avg_sq || o.amsgrad; }
  static constants prepare(options const& o, std::uint64_t step, group_state&) {
    auto const t = static_cast<double>(step);
    double const bias_correction1 = 1 - std::pow(o.betas[0], t);
    double const bias_correction2 = 1 - std::pow(o.betas[1], t);
    return {o.lr / bias_correction1, std::sqrt(bias_correction2), o.betas[0], o.betas[1]};
  }
  template <class T>
  TAPELESS_HOST_DEVICE static void init(T, slots<T, 3>, options const&) {}

  template <class T>
  TAPELESS_HOST_DEVICE static void update(T& p, T grad, slots<T, 3> s, constants const& c, options const& o) {
    T g = o.maximize ? -grad : grad;
    if constexpr (Decoupled) p = p * static_cast<T>(1 - o.lr * o.weight_decay);
    else if (o.weight_decay != 0) g = g + static_cast<T>(o.weight_decay) * p;
    s[exp_avg] = s[exp_avg] * static_cast<T>(c.beta1) + static_cast<T>(1 - c.beta1) * g;
    s[exp_avg_sq] = s[exp_avg_sq] * static_cast<T>(c.beta2) + static_cast<T>(1 - c.beta2) * g * g;
    T second = s[exp_avg_sq];
    // std::max(max_exp_avg_sq, exp_avg_sq), spelled out: std::max is host-only in device code.
    if (o.amsgrad) second = s[max_exp_avg_sq] = s[max_exp_avg_sq] < s[exp_avg_sq] ? s[exp_avg_sq] : s[max_exp_avg_sq];
    T const denom = std::sqrt(second) / static_cast<T>(c.bias_correction2_sqrt) + static_cast<T>(o.eps);
    p = p + static_cast<T>(-c.step_size) * s[exp_avg] / denom;
  }
};
}  // namespace detail

/// Adam over parameters `Ps…`, as `torch.optim.Adam`:
///
///     tl::optim::adam opt{tl::params(w, b), {.lr = 0.01, .betas = {0.9, 0.99}}};
///
/// State per parameter: "exp_avg", "exp_avg_sq", and "max_exp_avg_sq" with amsgrad.
template <class... Ps>
class adam : public detail::elementwise_optimizer<detail::adam_rule<false>, Ps...> {
  using base = detail::elementwise_optimizer<detail::adam_rule<false>, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(adam, adam_options);

}  // namespace tapeless::optim
