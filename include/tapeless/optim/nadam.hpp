#pragma once
// `tl::optim::nadam`: NAdam, as `torch.optim.NAdam` (momentum_decay).
//
// Mirrors torch 1.13's single-tensor `_single_tensor_nadam` in float32 operation order,
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

/// Hyper-parameters of NAdam, with torch 1.13's defaults (torch 1.13 has no maximize for NAdam).
struct nadam_options {
  double lr = 2e-3;
  pair betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum_decay = 4e-3;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("betas", self.betas), f("eps", self.eps), f("weight_decay", self.weight_decay);
    f("momentum_decay", self.momentum_decay);
  }
};

namespace detail {
/// NAdam's update, with the product of momenta per group (torch keeps one
/// float32 copy per parameter, always equal within a group):
///
///     μₜ = β₁(1 − ½·0.96^(tψ));  Πₜ = Πₜ₋₁μₜ;  g ← ∇ + λθ;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²
///     d = √(v/(1 − β₂ᵗ)) + ε;  θ ← θ − η(1 − μₜ)/(1 − Πₜ) · g/d − η μₜ₊₁/(1 − Πₜμₜμₜ₊₁) · m/d
struct nadam_rule {
  using options = nadam_options;
  static constexpr std::string_view name = "nadam";
  static constexpr std::array<std::string_view, 2> buffers{"exp_avg", "exp_avg_sq"};
  enum : std::size_t { exp_avg, exp_avg_sq };
  struct group_state {
    float mu_product = 1;
    template <class Self, class F>
    static constexpr void fields(Self& self, F&& f) {
      f("mu_product", self.mu_product);
    }
  };
  struct constants {
    double bias_correction2 = 1, grad_scale = 0, exp_avg_scale = 0;
  };

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require_eps(o.eps, name);
    require_betas(o.betas, name);
    require_weight_decay(o.weight_decay, name);
    require(o.momentum_decay >= 0, name, "momentum_decay must be non-negative");
  }
  static bool uses(std::size_t, options const&) { return true; }
  static constants prepare(options const& o, std::uint64_t step, group_state& s) {
    if (step == 1) s.mu_product = 1;
    auto const t = static_cast<double>(step);
    double const mu = o.betas[0] * (1. - 0.5 * std::pow(0.96, t * o.momentum_decay));
    double const mu_next = o.betas[0] * (1. - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay));
    // float32 tensor arithmetic, as torch's mu_product
    s.mu_product = s.mu_product * static_cast<float>(mu);
    float const mu_product_next = s.mu_product * static_cast<float>(mu) * static_cast<float>(mu_next);
    return {1 - std::pow(o.betas[1], t), -o.lr * (1. - mu) / (1. - static_cast<double>(s.mu_product)),
            -o.lr * mu_next / (1. - static_cast<double>(mu_product_next))};
  }
  template <class T>
  static void init(T, slots<T, 2>, options const&) {}

  template <class T>
  static void update(T& p, T grad, slots<T, 2> s, constants const& c, options const& o) {
    T g = grad;
    if (o.weight_decay != 0) g = g + static_cast<T>(o.weight_decay) * p;
    s[exp_avg] = s[exp_avg] * static_cast<T>(o.betas[0]) + static_cast<T>(1 - o.betas[0]) * g;
    s[exp_avg_sq] = s[exp_avg_sq] * static_cast<T>(o.betas[1]) + static_cast<T>(1 - o.betas[1]) * g * g;
    T const denom = std::sqrt(s[exp_avg_sq] / static_cast<T>(c.bias_correction2)) + static_cast<T>(o.eps);
    p = p + static_cast<T>(c.grad_scale) * g / denom;
    p = p + static_cast<T>(c.exp_avg_scale) * s[exp_avg] / denom;
  }
};
}  // namespace detail

/// NAdam over parameters `Ps…`, as `torch.optim.NAdam`:
///
///     tl::optim::nadam opt{tl::params(w, b), {.lr = 0.01}};
///
/// State per parameter: "exp_avg", "exp_avg_sq"; per group: "mu_product".
template <class... Ps>
class nadam : public detail::elementwise_optimizer<detail::nadam_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::nadam_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(nadam, nadam_options);

}  // namespace tapeless::optim
