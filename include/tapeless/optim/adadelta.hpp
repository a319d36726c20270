#pragma once
// `tl::optim::adadelta`: Adadelta, as `torch.optim.Adadelta`.
//
// Mirrors torch 1.13's single-tensor `_single_tensor_adadelta` in float32 operation order,
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

/// Hyper-parameters of Adadelta, with torch's defaults.
struct adadelta_options {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("rho", self.rho), f("eps", self.eps), f("weight_decay", self.weight_decay);
    f("maximize", self.maximize);
  }
};

namespace detail {
/// Adadelta's update:
///
///     g ← ±∇ + λθ;  v ← ρv + (1 − ρ)g²;  Δ ← √(u + ε)/√(v + ε) · g;  u ← ρu + (1 − ρ)Δ²;  θ ← θ − ηΔ
struct adadelta_rule {
  using options = adadelta_options;
  using group_state = no_group_state;
  static constexpr std::string_view name = "adadelta";
  static constexpr std::array<std::string_view, 2> buffers{"square_avg", "acc_delta"};
  enum : std::size_t { square_avg, acc_delta };
  struct constants {};

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require(o.rho >= 0 && o.rho <= 1, name, "rho must be in [0, 1]");
    require_eps(o.eps, name);
    require_weight_decay(o.weight_decay, name);
  }
  static bool uses(std::size_t, options const&) { return true; }
  static constants prepare(options const&, std::uint64_t, group_state&) { return {}; }
  template <class T>
  static void init(T, slots<T, 2>, options const&) {}

  template <class T>
  static void update(T& p, T grad, slots<T, 2> s, constants const&, options const& o) {
    T g = o.maximize ? -grad : grad;
    if (o.weight_decay != 0) g = g + static_cast<T>(o.weight_decay) * p;
    auto const rho = static_cast<T>(o.rho), rest = static_cast<T>(1 - o.rho), eps = static_cast<T>(o.eps);
    s[square_avg] = s[square_avg] * rho + rest * g * g;
    T const std_ = std::sqrt(s[square_avg] + eps);
    T const delta = std::sqrt(s[acc_delta] + eps) / std_ * g;
    s[acc_delta] = s[acc_delta] * rho + rest * delta * delta;
    p = p + static_cast<T>(-o.lr) * delta;
  }
};
}  // namespace detail

/// Adadelta over parameters `Ps…`, as `torch.optim.Adadelta`:
///
///     tl::optim::adadelta opt{tl::params(w, b), {.rho = 0.95}};
///
/// State per parameter: "square_avg", "acc_delta".
template <class... Ps>
class adadelta : public detail::elementwise_optimizer<detail::adadelta_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::adadelta_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(adadelta, adadelta_options);

}  // namespace tapeless::optim
