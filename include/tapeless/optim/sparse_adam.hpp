#pragma once
// `tl::optim::sparse_adam`: lazy Adam, as `torch.optim.SparseAdam`, where an element whose gradient is
// exactly zero is absent from the sparse gradient.
//
// Mirrors torch 1.13's single-tensor `sparse_adam` in float32 operation order,
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

/// Hyper-parameters of SparseAdam, with torch's defaults.
struct sparse_adam_options {
  double lr = 1e-3;
  pair betas{0.9, 0.999};
  double eps = 1e-8;
  bool maximize = false;

  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("betas", self.betas), f("eps", self.eps), f("maximize", self.maximize);
  }
};

namespace detail {
/// SparseAdam's update (torch's `F.sparse_adam`): tapeless gradients are dense,
/// so the sparse gradient torch would see is the dense one without its exact
/// zeros. Present elements get Adam's update with the step count of the
/// parameter; absent ones keep their moments and values (lazy Adam):
///
///     if g ≠ 0:  m ← m + (1 − β₁)(g − m);  v ← v + (1 − β₂)(g² − v);  θ ← θ − η√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m/(√v + ε)
struct sparse_adam_rule {
  using options = sparse_adam_options;
  using group_state = no_group_state;
  static constexpr std::string_view name = "sparse_adam";
  static constexpr std::array<std::string_view, 2> buffers{"exp_avg", "exp_avg_sq"};
  enum : std::size_t { exp_avg, exp_avg_sq };
  struct constants {
    double step_size = 0;
  };

  static void validate(options const& o) {
    require(o.lr > 0, name, "the learning rate (.lr) must be positive");
    require(o.eps > 0, name, "eps must be positive");
    require_betas(o.betas, name);
  }
  static bool uses(std::size_t, options const&) { return true; }
  static constants prepare(options const& o, std::uint64_t step, group_state&) {
    auto const t = static_cast<double>(step);
    return {o.lr * std::sqrt(1 - std::pow(o.betas[1], t)) / (1 - std::pow(o.betas[0], t))};
  }
  template <class T>
  static void init(T, slots<T, 2>, options const&) {}

  template <class T>
  static void update(T& p, T grad, slots<T, 2> s, constants const& c, options const& o) {
    if (grad == 0) return;  // absent from the sparse gradient
    T const g = o.maximize ? -grad : grad;
    T const old_exp_avg = s[exp_avg], old_exp_avg_sq = s[exp_avg_sq];
    T const exp_avg_update = (g - old_exp_avg) * static_cast<T>(1 - o.betas[0]);
    s[exp_avg] = old_exp_avg + exp_avg_update;
    T const exp_avg_sq_update = (g * g - old_exp_avg_sq) * static_cast<T>(1 - o.betas[1]);
    s[exp_avg_sq] = old_exp_avg_sq + exp_avg_sq_update;
    T const numer = exp_avg_update + old_exp_avg;
    T const denom = std::sqrt(exp_avg_sq_update + old_exp_avg_sq) + static_cast<T>(o.eps);
    p = p + static_cast<T>(-c.step_size) * (numer / denom);
  }
};
}  // namespace detail

/// SparseAdam over parameters `Ps…`, as `torch.optim.SparseAdam` (lazy Adam): an
/// element whose gradient is exactly zero in a step is left alone, moments included.
///
///     tl::optim::sparse_adam opt{tl::params(embedding), {.lr = 0.01}};
///
/// State per parameter: "exp_avg", "exp_avg_sq".
template <class... Ps>
class sparse_adam : public detail::elementwise_optimizer<detail::sparse_adam_rule, Ps...> {
  using base = detail::elementwise_optimizer<detail::sparse_adam_rule, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(sparse_adam, sparse_adam_options);

}  // namespace tapeless::optim
