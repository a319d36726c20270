#pragma once
// Learning-rate schedulers as `torch.optim.lr_scheduler` (PyTorch 1.13):
// StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR and ReduceLROnPlateau,
// named `step_lr`, `multi_step_lr`, `exponential_lr`, `cosine_annealing_lr`
// and `reduce_lr_on_plateau`.
//
//     tl::optim::sgd opt{tl::params(w, b), {.lr = 0.1}};
//     tl::optim::lr_scheduler::step_lr scheduler{opt, {.step_size = 30, .gamma = 0.1}};
//     for (int epoch = 0; epoch < 100; ++epoch) {
//       opt.step(tl::value_and_grad(loss, w, b).grads);
//       scheduler.step();                      // after opt.step(), as in torch ≥ 1.1
//     }
//
// A scheduler works on any optimizer of the optimizer contract through
// `group_count()`, `lr(g)` and `set_lr(g, lr)`. Like torch's, the epoch-based
// schedulers use the *chainable* (recursive) form: each step computes the new
// rate from the group's current one, so two schedulers on one optimizer
// compose, and the cosine schedule matches torch's numbers (which follow its
// recursion, not the closed form). Rates are doubles, computed in torch's
// order of operations.
//
// The optimizer must outlive the scheduler (it keeps a pointer, as torch keeps
// a reference); a temporary optimizer is refused.

#include "../config.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapeless::optim::lr_scheduler {

/// What a scheduler needs of an optimizer (the optimizer contract's learning-rate part).
template <class O>
concept schedulable = requires(O& o, O const& c, std::size_t g, double lr) {
  { c.group_count() } -> std::convertible_to<std::size_t>;
  { c.lr(g) } -> std::convertible_to<double>;
  o.set_lr(g, lr);
};

namespace detail {

/// torch's `_LRScheduler`: the optimizer, `base_lrs` (each group's rate when
/// the scheduler was made), `last_epoch` and `get_last_lr()`. `Derived::next()`
/// is torch's chainable `get_lr()`: the rates for `last_epoch` from the current ones.
template <class Derived, class Opt>
class epoch_scheduler {
 public:
  /// One epoch further: `last_epoch + 1`, and each group's new rate.
  void step() {
    ++last_epoch_;
    apply(static_cast<Derived&>(*this).next());
  }

  /// The rates the last step set, one per group (torch's `get_last_lr()`).
  [[nodiscard]] std::vector<double> const& get_last_lr() const { return last_lr_; }
  /// Each group's rate when the scheduler was made (torch's `base_lrs`, its groups' `initial_lr`).
  [[nodiscard]] std::vector<double> const& base_lrs() const { return base_lrs_; }
  /// Steps taken: 0 right after construction (torch's `last_epoch`).
  [[nodiscard]] std::uint64_t last_epoch() const { return last_epoch_; }
  [[nodiscard]] Opt& optimizer() const { return *opt_; }

  /// Checkpoints: "last_epoch" (one uint64), "base_lrs" and "last_lr" (one double per group).
  template <class V>
  void visit_state(V&& v) {
    v(std::string_view("last_epoch"), std::span<std::uint64_t>(&last_epoch_, 1));
    v(std::string_view("base_lrs"), std::span<double>(base_lrs_));
    v(std::string_view("last_lr"), std::span<double>(last_lr_));
  }
  template <class V>
  void visit_state(V&& v) const {
    v(std::string_view("last_epoch"), std::span<std::uint64_t const>(&last_epoch_, 1));
    v(std::string_view("base_lrs"), std::span<double const>(base_lrs_));
    v(std::string_view("last_lr"), std::span<double const>(last_lr_));
  }

 protected:
  explicit epoch_scheduler(Opt& opt) : opt_(&opt) {
    for (std::size_t g = 0; g < opt.group_count(); ++g) base_lrs_.push_back(opt.lr(g));
  }
  /// torch's `_initial_step()`: epoch 0. Called by the derived constructor once
  /// its options are set.
  void initial_step() { apply(static_cast<Derived&>(*this).next()); }

  /// The current rate of every group.
  [[nodiscard]] std::vector<double> current() const {
    std::vector<double> lrs;
    for (std::size_t g = 0; g < opt_->group_count(); ++g) lrs.push_back(opt_->lr(g));
    return lrs;
  }

 private:
  void apply(std::vector<double> const& lrs) {
    for (std::size_t g = 0; g < lrs.size(); ++g) opt_->set_lr(g, lrs[g]);
    last_lr_ = current();
  }

  Opt* opt_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  std::uint64_t last_epoch_ = 0;
};

inline void require(bool ok, std::string_view scheduler, std::string_view what) {
  if (!ok) tapeless::detail::fail("tapeless::optim::lr_scheduler::" + std::string(scheduler) + ": " + std::string(what));
}

}  // namespace detail

// ---------------------------------------------------------------------------

/// Options of `step_lr` (torch's StepLR): `step_size` has no default.
struct step_lr_options {
  std::size_t step_size = 0;
  double gamma = 0.1;
};

/// Multiplies every group's rate by `gamma` every `step_size` epochs:
/// lr ← lr·γ when last_epoch is a positive multiple of step_size.
template <schedulable Opt>
class step_lr : public detail::epoch_scheduler<step_lr<Opt>, Opt> {
  using base = detail::epoch_scheduler<step_lr<Opt>, Opt>;
  friend base;

 public:
  step_lr(Opt& opt, step_lr_options options) : base(opt), options_(options) {
    detail::require(options_.step_size >= 1, "step_lr", "set step_size (.step_size), at least 1; it has no default");
    detail::require(options_.gamma >= 0, "step_lr", "gamma must be non-negative");
    this->initial_step();
  }
  step_lr(Opt&&, step_lr_options) = delete;  // the scheduler would point at a destroyed optimizer
  [[nodiscard]] step_lr_options const& options() const { return options_; }

 private:
  std::vector<double> next() const {
    auto lrs = this->current();
    std::uint64_t const e = this->last_epoch();
    if (e == 0 || e % options_.step_size != 0) return lrs;
    for (double& lr : lrs) lr = lr * options_.gamma;
    return lrs;
  }
  step_lr_options options_;
};

/// Options of `multi_step_lr` (torch's MultiStepLR).
struct multi_step_lr_options {
  std::vector<std::uint64_t> milestones;
  double gamma = 0.1;
};

/// Multiplies every group's rate by `gamma` at each milestone epoch (by γ^k
/// for a milestone listed k times, as torch's Counter does).
template <schedulable Opt>
class multi_step_lr : public detail::epoch_scheduler<multi_step_lr<Opt>, Opt> {
  using base = detail::epoch_scheduler<multi_step_lr<Opt>, Opt>;
  friend base;

 public:
  multi_step_lr(Opt& opt, multi_step_lr_options options) : base(opt), options_(std::move(options)) {
    detail::require(options_.gamma >= 0, "multi_step_lr", "gamma must be non-negative");
    this->initial_step();
  }
  multi_step_lr(Opt&&, multi_step_lr_options) = delete;
  [[nodiscard]] multi_step_lr_options const& options() const { return options_; }

 private:
  std::vector<double> next() const {
    auto lrs = this->current();
    auto const k = std::count(options_.milestones.begin(), options_.milestones.end(), this->last_epoch());
    if (k == 0) return lrs;
    for (double& lr : lrs) lr = lr * std::pow(options_.gamma, static_cast<double>(k));
    return lrs;
  }
  multi_step_lr_options options_;
};

/// Options of `exponential_lr` (torch's ExponentialLR): `gamma` has no default.
struct exponential_lr_options {
  double gamma = std::numeric_limits<double>::quiet_NaN();
};

/// Multiplies every group's rate by `gamma` every epoch.
template <schedulable Opt>
class exponential_lr : public detail::epoch_scheduler<exponential_lr<Opt>, Opt> {
  using base = detail::epoch_scheduler<exponential_lr<Opt>, Opt>;
  friend base;

 public:
  exponential_lr(Opt& opt, exponential_lr_options options) : base(opt), options_(options) {
    detail::require(options_.gamma >= 0, "exponential_lr", "set a non-negative gamma (.gamma); it has no default");
    this->initial_step();
  }
  exponential_lr(Opt&&, exponential_lr_options) = delete;
  [[nodiscard]] exponential_lr_options const& options() const { return options_; }

 private:
  std::vector<double> next() const {
    auto lrs = this->current();
    if (this->last_epoch() == 0) return lrs;
    for (double& lr : lrs) lr = lr * options_.gamma;
    return lrs;
  }
  exponential_lr_options options_;
};

/// Options of `cosine_annealing_lr` (torch's CosineAnnealingLR, names kept: `T_max` has no default).
struct cosine_annealing_lr_options {
  std::uint64_t T_max = 0;  // NOLINT(readability-identifier-naming): torch's name
  double eta_min = 0;
};

/// Anneals every group's rate from its base rate to `eta_min` along a cosine
/// of half-period `T_max` epochs, then back up (SGDR without restarts), by
/// torch's recursion
///
///     η_e = η_min + (η_{e−1} − η_min)·(1 + cos(πe/T)) / (1 + cos(π(e−1)/T)),
///     η_e = η_{e−1} + (η_base − η_min)·(1 − cos(π/T)) / 2   when (e − 1 − T) mod 2T = 0.
template <schedulable Opt>
class cosine_annealing_lr : public detail::epoch_scheduler<cosine_annealing_lr<Opt>, Opt> {
  using base = detail::epoch_scheduler<cosine_annealing_lr<Opt>, Opt>;
  friend base;

 public:
  cosine_annealing_lr(Opt& opt, cosine_annealing_lr_options options) : base(opt), options_(options) {
    detail::require(options_.T_max >= 1, "cosine_annealing_lr", "set T_max (.T_max), at least 1; it has no default");
    detail::require(options_.eta_min >= 0, "cosine_annealing_lr", "eta_min must be non-negative");
    this->initial_step();
  }
  cosine_annealing_lr(Opt&&, cosine_annealing_lr_options) = delete;
  [[nodiscard]] cosine_annealing_lr_options const& options() const { return options_; }

 private:
  std::vector<double> next() const {
    auto lrs = this->current();
    auto const e = static_cast<std::int64_t>(this->last_epoch());
    auto const t = static_cast<std::int64_t>(options_.T_max);
    double const pi = std::numbers::pi, eta_min = options_.eta_min, T = static_cast<double>(t);
    if (e == 0) return lrs;
    if ((e - 1 - t) % (2 * t) == 0) {  // the rate's minimum: the recursion would divide by zero
      for (std::size_t g = 0; g < lrs.size(); ++g)
        lrs[g] = lrs[g] + (this->base_lrs()[g] - eta_min) * (1 - std::cos(pi / T)) / 2;
      return lrs;
    }
    double const ed = static_cast<double>(e);
    for (double& lr : lrs)
      lr = (1 + std::cos(pi * ed / T)) / (1 + std::cos(pi * (ed - 1) / T)) * (lr - eta_min) + eta_min;
    return lrs;
  }
  cosine_annealing_lr_options options_;
};

template <class Opt>
step_lr(Opt&, step_lr_options) -> step_lr<Opt>;
template <class Opt>
multi_step_lr(Opt&, multi_step_lr_options) -> multi_step_lr<Opt>;
template <class Opt>
exponential_lr(Opt&, exponential_lr_options) -> exponential_lr<Opt>;
template <class Opt>
cosine_annealing_lr(Opt&, cosine_annealing_lr_options) -> cosine_annealing_lr<Opt>;

// ---------------------------------------------------------------------------

/// Which way the metric of `reduce_lr_on_plateau` should go (torch's `mode='min'|'max'`).
enum class plateau_mode { min, max };
/// How an improvement is measured (torch's `threshold_mode='rel'|'abs'`).
enum class plateau_threshold { rel, abs };

/// One value for every parameter group, or one per group (torch's `min_lr`,
/// a float or a list): `.min_lr = 0.001` or `.min_lr = {0.001, 0.0001}`.
class per_group {
 public:
  per_group(double value) : values_{value} {}  // NOLINT: implicit, as torch's float
  per_group(std::initializer_list<double> values) : values_(values) {}
  [[nodiscard]] std::vector<double> const& values() const { return values_; }

 private:
  std::vector<double> values_;
};

/// Options of `reduce_lr_on_plateau`, torch's ReduceLROnPlateau with its defaults.
struct reduce_lr_on_plateau_options {
  plateau_mode mode = plateau_mode::min;
  double factor = 0.1;
  std::uint64_t patience = 10;
  double threshold = 1e-4;
  plateau_threshold threshold_mode = plateau_threshold::rel;
  std::uint64_t cooldown = 0;
  per_group min_lr = 0.0;
  double eps = 1e-8;
};

/// Reduces every group's rate by `factor` when a metric has stopped improving
/// for more than `patience` epochs: `scheduler.step(validation_loss)`.
///
/// An epoch improves on the best value when (min, rel) metric < best·(1 −
/// threshold), (min, abs) metric < best − threshold, (max, rel) metric >
/// best·(1 + threshold), (max, abs) metric > best + threshold; a NaN never
/// does. A reduction sets lr ← max(lr·factor, min_lr) unless that changes it by
/// `eps` or less, then waits `cooldown` epochs, counting no bad epochs.
template <schedulable Opt>
class reduce_lr_on_plateau {
 public:
  explicit reduce_lr_on_plateau(Opt& opt, reduce_lr_on_plateau_options options = {})
      : opt_(&opt), options_(std::move(options)) {
    auto const fail = [](std::string_view what) { detail::require(false, "reduce_lr_on_plateau", what); };
    if (!(options_.factor < 1.0)) fail("factor must be below 1 (it multiplies the learning rate)");
    if (!(options_.factor >= 0)) fail("factor must be non-negative");
    if (!(options_.threshold >= 0)) fail("threshold must be non-negative");
    if (!(options_.eps >= 0)) fail("eps must be non-negative");
    auto const& min_lr = options_.min_lr.values();
    std::size_t const groups = opt.group_count();
    if (min_lr.size() == 1) min_lrs_.assign(groups, min_lr[0]);
    else if (min_lr.size() == groups) min_lrs_ = min_lr;
    else
      fail("min_lr has " + std::to_string(min_lr.size()) + " values for " + std::to_string(groups) +
           " parameter groups; give one value, or one per group");
    for (double m : min_lrs_)
      if (!(m >= 0)) fail("min_lr must be non-negative");
    reset();
  }
  reduce_lr_on_plateau(Opt&&, reduce_lr_on_plateau_options = {}) = delete;

  /// One epoch with the metric's value (the validation loss, an accuracy…).
  void step(double metric) {
    ++last_epoch_;
    if (is_better(metric, best_)) {
      best_ = metric;
      num_bad_epochs_ = 0;
    } else {
      ++num_bad_epochs_;
    }
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
    }
    if (num_bad_epochs_ > options_.patience) {
      reduce();
      cooldown_counter_ = options_.cooldown;
      num_bad_epochs_ = 0;
    }
  }

  /// Each group's current rate (torch 1.13's ReduceLROnPlateau has no
  /// `get_last_lr()` before its first step; here it is the optimizer's rates).
  [[nodiscard]] std::vector<double> get_last_lr() const {
    std::vector<double> lrs;
    for (std::size_t g = 0; g < opt_->group_count(); ++g) lrs.push_back(opt_->lr(g));
    return lrs;
  }
  /// The best metric so far (±infinity before the first step), torch's `best`.
  [[nodiscard]] double best() const { return best_; }
  [[nodiscard]] std::uint64_t num_bad_epochs() const { return num_bad_epochs_; }
  [[nodiscard]] std::uint64_t cooldown_counter() const { return cooldown_counter_; }
  [[nodiscard]] bool in_cooldown() const { return cooldown_counter_ > 0; }
  [[nodiscard]] std::uint64_t last_epoch() const { return last_epoch_; }
  [[nodiscard]] std::vector<double> const& min_lrs() const { return min_lrs_; }
  [[nodiscard]] reduce_lr_on_plateau_options const& options() const { return options_; }
  [[nodiscard]] Opt& optimizer() const { return *opt_; }

  /// Checkpoints: "last_epoch", "best", "num_bad_epochs", "cooldown_counter".
  template <class V>
  void visit_state(V&& v) {
    visit(*this, v);
  }
  template <class V>
  void visit_state(V&& v) const {
    visit(*this, v);
  }

 private:
  template <class Self, class V>
  static void visit(Self& self, V& v) {
    auto span1 = [](auto& x) { return std::span(&x, 1); };
    v(std::string_view("last_epoch"), span1(self.last_epoch_));
    v(std::string_view("best"), span1(self.best_));
    v(std::string_view("num_bad_epochs"), span1(self.num_bad_epochs_));
    v(std::string_view("cooldown_counter"), span1(self.cooldown_counter_));
  }

  void reset() {
    best_ = options_.mode == plateau_mode::min ? std::numeric_limits<double>::infinity()
                                               : -std::numeric_limits<double>::infinity();
    cooldown_counter_ = 0;
    num_bad_epochs_ = 0;
  }

  [[nodiscard]] bool is_better(double a, double best) const {
    double const t = options_.threshold;
    bool const rel = options_.threshold_mode == plateau_threshold::rel;
    if (options_.mode == plateau_mode::min) return rel ? a < best * (1. - t) : a < best - t;
    return rel ? a > best * (t + 1.) : a > best + t;
  }

  void reduce() {
    for (std::size_t g = 0; g < opt_->group_count(); ++g) {
      double const old_lr = opt_->lr(g);
      double const new_lr = std::max(old_lr * options_.factor, min_lrs_[g]);
      if (old_lr - new_lr > options_.eps) opt_->set_lr(g, new_lr);
    }
  }

  Opt* opt_;
  reduce_lr_on_plateau_options options_;
  std::vector<double> min_lrs_;
  double best_ = 0;
  std::uint64_t num_bad_epochs_ = 0;
  std::uint64_t cooldown_counter_ = 0;
  std::uint64_t last_epoch_ = 0;
};

template <class Opt>
reduce_lr_on_plateau(Opt&, reduce_lr_on_plateau_options) -> reduce_lr_on_plateau<Opt>;
template <class Opt>
reduce_lr_on_plateau(Opt&) -> reduce_lr_on_plateau<Opt>;

}  // namespace tapeless::optim::lr_scheduler
