#pragma once
// `tl::optim::asgd`: averaged SGD, as `torch.optim.ASGD`, with the averaged parameters (torch's `ax`).
//
// Mirrors torch 1.13's single-tensor `_single_tensor_asgd` in float32 operation order,
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

/// Hyper-parameters of ASGD, with torch's defaults.
struct asgd_options {
  double lr = 1e-2;
  double lambd = 1e-4;
  double alpha = 0.75;
  double t0 = 1e6;
  double weight_decay = 0;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("lambd", self.lambd), f("alpha", self.alpha), f("t0", self.t0);
    f("weight_decay", self.weight_decay), f("maximize", self.maximize);
  }
};

namespace detail {
/// ASGD's update, with η and μ per group (torch keeps one copy per parameter,
/// always equal within a group, as float32 tensors: so do we):
///
///     g ← ±∇ + λθ;  θ ← (1 − λ_d η)θ − ηg;  ax ← ax + μ(θ − ax) (ax ← θ while μ = 1)
///     η ← lr / (1 + λ_d · lr · t)^α;  μ ← 1 / max(1, t − t₀)
struct asgd_rule {
  using options = asgd_options;
  static constexpr std::string_view name = "asgd";
  static constexpr std::array<std::string_view, 1> buffers{"ax"};
  struct group_state {
    float eta = 0;
    float mu = 1;
    template <class Self, class F>
    static constexpr void fields(Self& self, F&& f) {
      f("eta", self.eta), f("mu", self.mu);
    }
  };
  struct constants {
    double decay = 1, neg_eta = 0;
    float mu = 1;
  };

  static void validate(options const& o) {
    require_lr(o.lr, name);
    require_weight_decay(o.weight_decay, name);
  }
  static bool uses(std::size_t, options const&) { return true; }
  static constants prepare(options const& o, std::uint64_t step, group_state& s) {
    if (step == 1) s = {static_cast<float>(o.lr), 1.0f};
    constants const c{1 - o.lambd * static_cast<double>(s.eta), -static_cast<double>(s.eta), s.mu};
    auto const t = static_cast<double>(step);
    s.eta = static_cast<float>(o.lr / std::pow(1 + o.lambd * o.lr * t, o.alpha));
    s.mu = static_cast<float>(1 / std::max(1.0, t - o.t0));
    return c;
  }
  template <class T>
  static void init(T, slots<T, 1>, options const&) {}

  template <class T>
  static void update(T& p, T grad, slots<T, 1> s, constants const& c, options const& o) {
    T g = o.maximize ? -grad : grad;
    if (o.weight_decay != 0) g = g + static_cast<T>(o.weight_decay) * p;
    p = p * static_cast<T>(c.decay);
    p = p + static_cast<T>(c.neg_eta) * g;
    if (c.mu != 1) s[0] = s[0] + (p - s[0]) * static_cast<T>(c.mu);
    else s[0] = p;
  }
};
}  // namespace detail

/// Averaged SGD over parameters `Ps…`, as `torch.optim.ASGD`:
///
///     tl::optim::asgd opt{tl::params(w, b), {.lr = 0.05, .t0 = 10}};
///     auto const& w_avg = opt.averaged(w);          // torch: opt.state[w]['ax']
///
/// State per parameter: "ax"; per group: "eta", "mu".
template <class... Ps>
class asgd : public detail::elementwise_optimizer<detail::asgd_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::asgd_rule, Ps...>;

 public:
  using base::base;

  /// The averaged values of parameter `p` (torch's `state[p]['ax']`), shaped like it.
  template <class P>
  [[nodiscard]] auto const& averaged(P const& p) const {
    return this->state(p, "ax");
  }
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(asgd, asgd_options);

}  // namespace tapeless::optim
