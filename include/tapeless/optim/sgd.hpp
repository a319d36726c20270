#pragma once
// `tl::optim::sgd`: stochastic gradient descent exactly as `torch.optim.SGD`
// (lr, momentum, dampening, weight_decay, nesterov, maximize), step by step.
//
// There is no `zero_grad`: gradients are values returned by value_and_grad,
// not state accumulated in the parameters.

#include "../config.hpp"
#include "../matrix.hpp"
#include "../param.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tapeless {

namespace optim {

/// Hyper-parameters of SGD, with torch's defaults; `lr` has none and must be set.
struct sgd_options {
  double lr = std::numeric_limits<double>::quiet_NaN();
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
};

/// SGD over parameters `Ps…`: `tl::optim::sgd opt{tl::params(w, b), {.lr = 0.01}}; opt.step(grads);`
///
///     g ← ±∇ + λθ;  b ← μb + (1 − τ)g (b ← g on the first step);  g ← g + μb (nesterov) or b;  θ ← θ − ηg
template <class... Ps>
class sgd {
 public:
  sgd(param_list<Ps...> ps, sgd_options options) : params_(ps.ptrs), options_(options) { validate(options_); }

  /// One update from gradients keyed by parameter (`value_and_grad(...).grads`).
  template <class Grads>
  void step(Grads const& grads) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (update<I>(grads), ...); }(std::index_sequence_for<Ps...>{});
    ++steps_;
  }

  [[nodiscard]] sgd_options const& options() const { return options_; }
  /// The learning rate (schedulers change it between steps).
  [[nodiscard]] double lr() const { return options_.lr; }
  void set_lr(double lr) {
    TAPELESS_CHECK(lr >= 0, "tapeless::optim::sgd: the learning rate must be non-negative");
    options_.lr = lr;
  }
  /// Number of steps taken.
  [[nodiscard]] std::size_t steps() const { return steps_; }

 private:
  static void validate(sgd_options const& o) {
    TAPELESS_CHECK(o.lr >= 0, "tapeless::optim::sgd: set a non-negative learning rate (.lr); it has no default");
    TAPELESS_CHECK(o.momentum >= 0, "tapeless::optim::sgd: momentum must be non-negative");
    TAPELESS_CHECK(o.weight_decay >= 0, "tapeless::optim::sgd: weight_decay must be non-negative");
    TAPELESS_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
                   "tapeless::optim::sgd: nesterov momentum requires a momentum and zero dampening");
  }

  template <std::size_t I, class Grads>
  void update(Grads const& grads) {
    auto& p = *std::get<I>(params_);
    using T = typename std::remove_reference_t<decltype(p)>::value_type;
    auto const& g = grads[p];
    auto& buf = std::get<I>(buffers_);
    auto const lr = static_cast<T>(options_.lr), mu = static_cast<T>(options_.momentum);
    auto const wd = static_cast<T>(options_.weight_decay), damp = static_cast<T>(1 - options_.dampening);
    for (std::size_t k = 0; k < p.size; ++k) {
      T d = options_.maximize ? -g[k] : g[k];
      if (options_.weight_decay != 0) d = d + wd * p[k];
      if (options_.momentum != 0) {
        buf[k] = steps_ == 0 ? d : mu * buf[k] + damp * d;
        d = options_.nesterov ? d + mu * buf[k] : buf[k];
      }
      p[k] = p[k] - lr * d;
    }
  }

  std::tuple<Ps*...> params_;
  std::tuple<matrix<typename Ps::value_type, Ps::rows, Ps::cols>...> buffers_{};
  sgd_options options_;
  std::size_t steps_ = 0;
};

template <class... Ps>
sgd(param_list<Ps...>, sgd_options) -> sgd<Ps...>;

}  // namespace optim
}  // namespace tapeless
