#pragma once
// `tl::optim::rprop`: resilient backpropagation, as `torch.optim.Rprop`.
//
// Mirrors torch 1.13's single-tensor `_single_tensor_rprop` in float32 operation order,
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

/// Hyper-parameters of Rprop, with torch's defaults: etas = (η⁻, η⁺), step_sizes = (min, max).
struct rprop_options {
  double lr = 1e-2;
  pair etas{0.5, 1.2};
  pair step_sizes{1e-6, 50};
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("etas", self.etas), f("step_sizes", self.step_sizes), f("maximize", self.maximize);
  }
};

namespace detail {
/// Rprop's update: each element keeps its own step size, grown by η⁺ while the
/// gradient keeps its sign and shrunk by η⁻ when it flips (that step then moves nothing):
///
///     s ← clamp(s · (η⁺ if g·g₋ > 0, η⁻ if < 0, else 1), min, max);  g ← 0 if g·g₋ < 0
///     θ ← θ − sign(g) · s;  g₋ ← g        (s starts at lr, g₋ at 0)
struct rprop_rule {
  using options = rprop_options;
  using group_state = no_group_state;
  static constexpr std::string_view name = "rprop";
  static constexpr std::array<std::string_view, 2> buffers{"prev", "step_size"};
  enum : std::size_t { prev, step_size };
  struct constants {};

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require(0 < o.etas[0] && o.etas[0] < 1 && 1 < o.etas[1], name, "etas must satisfy 0 < etas[0] < 1 < etas[1]");
    require(0 <= o.step_sizes[0] && o.step_sizes[0] <= o.step_sizes[1], name,
            "step_sizes must satisfy 0 <= step_sizes[0] <= step_sizes[1]");
  }
  static bool uses(std::size_t, options const&) { return true; }
  static constants prepare(options const&, std::uint64_t, group_state&) { return {}; }
  template <class T>
  static void init(T, slots<T, 2> s, options const& o) {
    s[prev] = 0;
    s[step_size] = static_cast<T>(o.lr);
  }

  template <class T>
  static void update(T& p, T grad, slots<T, 2> s, constants const&, options const& o) {
    T g = o.maximize ? -grad : grad;
    T const agreement = g * s[prev];
    T const factor = agreement > 0 ? static_cast<T>(o.etas[1]) : agreement < 0 ? static_cast<T>(o.etas[0]) : T(1);
    s[step_size] = std::clamp(s[step_size] * factor, static_cast<T>(o.step_sizes[0]), static_cast<T>(o.step_sizes[1]));
    if (agreement < 0) g = 0;
    T const sign = g > 0 ? T(1) : g < 0 ? T(-1) : T(0);
    p = p + T(-1) * sign * s[step_size];
    s[prev] = g;
  }
};
}  // namespace detail

/// Rprop over parameters `Ps…`, as `torch.optim.Rprop`:
///
///     tl::optim::rprop opt{tl::params(w, b), {.lr = 0.01, .etas = {0.4, 1.3}}};
///
/// State per parameter: "prev", "step_size" (both set at the first step).
template <class... Ps>
class rprop : public detail::elementwise_optimizer<detail::rprop_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::rprop_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(rprop, rprop_options);

}  // namespace tapeless::optim
