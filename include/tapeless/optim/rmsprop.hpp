#pragma once
// `tl::optim::rmsprop`: RMSprop, as `torch.optim.RMSprop` (centered, momentum).
//
// Mirrors torch 1.13's single-tensor `_single_tensor_rmsprop` in float32 operation order,
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

/// Hyper-parameters of RMSprop, with torch's defaults (momentum is declared
/// before eps here, torch lists it after weight_decay: see docs/optim.md on field order).
struct rmsprop_options {
  double lr = 1e-2;
  double alpha = 0.99;
  double momentum = 0;
  double eps = 1e-8;
  double weight_decay = 0;
  bool centered = false;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("alpha", self.alpha), f("momentum", self.momentum), f("eps", self.eps);
    f("weight_decay", self.weight_decay), f("centered", self.centered), f("maximize", self.maximize);
  }
};

namespace detail {
/// RMSprop's update:
///
///     g ← ±∇ + λθ;  v ← αv + (1 − α)g²;  ḡ ← αḡ + (1 − α)g (centered);  d ← √(v − ḡ²) + ε (√v + ε)
///     b ← μb + g/d, θ ← θ − ηb (momentum);  else θ ← θ − η g/d
struct rmsprop_rule {
  using options = rmsprop_options;
  using group_state = no_group_state;
  static constexpr std::string_view name = "rmsprop";
  static constexpr std::array<std::string_view, 3> buffers{"square_avg", "momentum_buffer", "grad_avg"};
  enum : std::size_t { square_avg, momentum_buffer, grad_avg };
  struct constants {};

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require_eps(o.eps, name);
    require(o.momentum >= 0, name, "momentum must be non-negative");
    require_weight_decay(o.weight_decay, name);
    require(o.alpha >= 0, name, "alpha must be non-negative");
  }
  static bool uses(std::size_t buffer, options const& o) {
    return buffer == square_avg || (buffer == momentum_buffer && o.momentum > 0) || (buffer == grad_avg && o.centered);
  }
  static constants prepare(options const&, std::uint64_t, group_state&) { return {}; }
  template <class T>
  static void init(T, slots<T, 3>, options const&) {}

  template <class T>
  static void update(T& p, T grad, slots<T, 3> s, constants const&, options const& o) {
    T g = o.maximize ? -grad : grad;
    if (o.weight_decay != 0) g = g + static_cast<T>(o.weight_decay) * p;
    auto const alpha = static_cast<T>(o.alpha), rest = static_cast<T>(1 - o.alpha);
    s[square_avg] = s[square_avg] * alpha + rest * g * g;
    T avg;
    if (o.centered) {
      s[grad_avg] = s[grad_avg] * alpha + rest * g;
      avg = std::sqrt(s[square_avg] + T(-1) * s[grad_avg] * s[grad_avg]);
    } else {
      avg = std::sqrt(s[square_avg]);
    }
    avg = avg + static_cast<T>(o.eps);
    if (o.momentum > 0) {
      s[momentum_buffer] = s[momentum_buffer] * static_cast<T>(o.momentum) + g / avg;
      p = p + static_cast<T>(-o.lr) * s[momentum_buffer];
    } else {
      p = p + static_cast<T>(-o.lr) * g / avg;
    }
  }
};
}  // namespace detail

/// RMSprop over parameters `Ps…`, as `torch.optim.RMSprop`:
///
///     tl::optim::rmsprop opt{tl::params(w, b), {.lr = 0.01, .momentum = 0.9, .centered = true}};
///
/// State per parameter: "square_avg", "momentum_buffer" (with momentum), "grad_avg" (centered).
template <class... Ps>
class rmsprop : public detail::elementwise_optimizer<detail::rmsprop_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::rmsprop_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(rmsprop, rmsprop_options);

}  // namespace tapeless::optim
