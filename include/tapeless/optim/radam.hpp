#pragma once
// `tl::optim::radam`: RAdam, as `torch.optim.RAdam` (rectified Adam).
//
// Mirrors torch 1.13's single-tensor `_single_tensor_radam` in float32 operation order,
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

/// Hyper-parameters of RAdam, with torch 1.13's defaults (torch 1.13 has no maximize for RAdam).
struct radam_options {
  double lr = 1e-3;
  pair betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("betas", self.betas), f("eps", self.eps), f("weight_decay", self.weight_decay);
  }
};

namespace detail {
/// RAdam's update: Adam whose adaptive term is switched on, with a rectifier r,
/// once the variance of the adaptive learning rate is tractable (ρₜ > 5):
///
///     g ← ∇ + λθ;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  m̂ = m/(1 − β₁ᵗ)
///     ρ∞ = 2/(1 − β₂) − 1;  ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
///     θ ← θ − η m̂ · √(1 − β₂ᵗ)/(√v + ε) · r  if ρₜ > 5, else θ ← θ − η m̂
struct radam_rule {
  using options = radam_options;
  using group_state = no_group_state;
  static constexpr std::string_view name = "radam";
  static constexpr std::array<std::string_view, 2> buffers{"exp_avg", "exp_avg_sq"};
  enum : std::size_t { exp_avg, exp_avg_sq };
  struct constants {
    double bias_correction1 = 1, bias_correction2_sqrt = 1, rect = 0;
    bool rectified = false;
  };

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require_eps(o.eps, name);
    require_betas(o.betas, name);
    require_weight_decay(o.weight_decay, name);
  }
  static bool uses(std::size_t, options const&) { return true; }
  static constants prepare(options const& o, std::uint64_t step, group_state&) {
    auto const t = static_cast<double>(step);
    double const beta2 = o.betas[1];
    double const bias_correction2 = 1 - std::pow(beta2, t);
    double const rho_inf = 2 / (1 - beta2) - 1;
    double const rho_t = rho_inf - 2 * t * std::pow(beta2, t) / bias_correction2;
    constants c{1 - std::pow(o.betas[0], t), std::sqrt(bias_correction2), 0, rho_t > 5.};
    if (c.rectified)
      c.rect = std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
    return c;
  }
  template <class T>
  static void init(T, slots<T, 2>, options const&) {}

  template <class T>
  static void update(T& p, T grad, slots<T, 2> s, constants const& c, options const& o) {
    T g = grad;
    if (o.weight_decay != 0) g = g + static_cast<T>(o.weight_decay) * p;
    s[exp_avg] = s[exp_avg] * static_cast<T>(o.betas[0]) + static_cast<T>(1 - o.betas[0]) * g;
    s[exp_avg_sq] = s[exp_avg_sq] * static_cast<T>(o.betas[1]) + static_cast<T>(1 - o.betas[1]) * g * g;
    T const corrected = s[exp_avg] / static_cast<T>(c.bias_correction1);
    if (c.rectified) {
      // torch computes `sqrt(bc2) / tensor` as tensor.reciprocal() * sqrt(bc2)
      T const adaptive_lr = T(1) / (std::sqrt(s[exp_avg_sq]) + static_cast<T>(o.eps)) *
                            static_cast<T>(c.bias_correction2_sqrt);
      p = p + T(-1) * (corrected * static_cast<T>(o.lr) * adaptive_lr * static_cast<T>(c.rect));
    } else {
      p = p + T(-1) * (corrected * static_cast<T>(o.lr));
    }
  }
};
}  // namespace detail

/// RAdam over parameters `Ps…`, as `torch.optim.RAdam`:
///
///     tl::optim::radam opt{tl::params(w, b), {.lr = 0.01}};
///
/// State per parameter: "exp_avg", "exp_avg_sq".
template <class... Ps>
class radam : public detail::elementwise_optimizer<detail::radam_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::radam_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(radam, radam_options);

}  // namespace tapeless::optim
