#pragma once
// `tl::optim::adagrad`: Adagrad, as `torch.optim.Adagrad` (lr_decay, initial_accumulator_value).
//
// Mirrors torch 1.13's single-tensor `_single_tensor_adagrad` in float32 operation order,
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

/// Hyper-parameters of Adagrad, with torch's defaults (eps is declared before
/// weight_decay here, torch lists it last: see docs/optim.md on field order).
struct adagrad_options {
  double lr = 1e-2;
  double lr_decay = 0;
  double eps = 1e-10;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("lr_decay", self.lr_decay), f("eps", self.eps), f("weight_decay", self.weight_decay);
    f("initial_accumulator_value", self.initial_accumulator_value), f("maximize", self.maximize);
  }
};

namespace detail {
/// Adagrad's update:
///
///     g ← ±∇ + λθ;  s ← s + g²;  θ ← θ − η/(1 + (t − 1)·lr_decay) · g / (√s + ε)
struct adagrad_rule {
  using options = adagrad_options;
  using group_state = no_group_state;
  static constexpr std::string_view name = "adagrad";
  static constexpr std::array<std::string_view, 1> buffers{"sum"};
  struct constants {
    double clr = 0;
  };

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require(o.lr_decay >= 0, name, "lr_decay must be non-negative");
    require_weight_decay(o.weight_decay, name);
    require(o.initial_accumulator_value >= 0, name, "initial_accumulator_value must be non-negative");
    require_eps(o.eps, name);
  }
  static bool uses(std::size_t, options const&) { return true; }
  static constants prepare(options const& o, std::uint64_t step, group_state&) {
    return {o.lr / (1 + (static_cast<double>(step) - 1) * o.lr_decay)};
  }
  template <class T>
  static void init(T, slots<T, 1> s, options const& o) {
    s[0] = static_cast<T>(o.initial_accumulator_value);
  }

  template <class T>
  static void update(T& p, T grad, slots<T, 1> s, constants const& c, options const& o) {
    T g = o.maximize ? -grad : grad;
    if (o.weight_decay != 0) g = g + static_cast<T>(o.weight_decay) * p;
    s[0] = s[0] + g * g;
    T const std_ = std::sqrt(s[0]) + static_cast<T>(o.eps);
    p = p + static_cast<T>(-c.clr) * g / std_;
  }
};
}  // namespace detail

/// Adagrad over parameters `Ps…`, as `torch.optim.Adagrad`:
///
///     tl::optim::adagrad opt{tl::params(w, b), {.lr = 0.1, .lr_decay = 0.01}};
///
/// State per parameter: "sum" (set to initial_accumulator_value at the first step).
template <class... Ps>
class adagrad : public detail::elementwise_optimizer<detail::adagrad_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::adagrad_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(adagrad, adagrad_options);

}  // namespace tapeless::optim
