#pragma once
// The machinery every elementwise optimizer of `tl::optim` shares: parameter
// groups (torch's `[{'params': ..., 'lr': ...}, ...]`), per-parameter state
// buffers, the per-step loop and checkpoint visiting (`visit_state`).
//
// An algorithm is a *rule*: an options struct with torch's defaults, the names
// of its per-parameter buffers, per-group per-step constants (bias
// corrections) and a per-element update. `detail::elementwise_optimizer`
// owns the parameter pointers, the buffers and the groups, and calls the rule
// for every element of every parameter. `tl::optim::sgd`, `adam`, … are thin
// class templates over the parameter types that derive from it.
//
// There is no `zero_grad`: gradients are values returned by value_and_grad,
// not state accumulated in the parameters.

#include "../config.hpp"
#include "../matrix.hpp"
#include "../param.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace tapeless::optim {

/// A pair of hyper-parameters, as torch's tuples: `.betas = {0.9, 0.999}`.
using pair = std::array<double, 2>;

/// An optional pair that a braced pair initialises: `.betas = {0.9, 0.99}`
/// (`optional_pair` accepts that on g++ but not on clang 14).
class optional_pair {
 public:
  using value_type = pair;
  constexpr optional_pair() = default;
  constexpr optional_pair(double first, double second) : value_{first, second}, set_(true) {}
  constexpr optional_pair(pair p) : value_(p), set_(true) {}  // NOLINT: implicit, as std::optional
  constexpr explicit operator bool() const { return set_; }
  [[nodiscard]] constexpr bool has_value() const { return set_; }
  constexpr pair const& operator*() const { return value_; }

 private:
  pair value_{};
  bool set_ = false;
};

/// The options one parameter group overrides; every unset field comes from the
/// optimizer's options (torch's defaults mechanism).
///
/// Fields are declared in one order shared by every options struct of
/// `tl::optim`, so a designated initializer valid for `adam_options` is valid
/// here: lr, lr_decay, rho, lambd, alpha, t0, betas, etas, step_sizes,
/// momentum, dampening, eps, weight_decay, initial_accumulator_value,
/// momentum_decay, amsgrad, centered, nesterov, maximize. Setting a field the
/// algorithm does not have throws `tapeless::error`.
struct group_options {
  std::optional<double> lr{};
  std::optional<double> lr_decay{};
  std::optional<double> rho{};
  std::optional<double> lambd{};
  std::optional<double> alpha{};
  std::optional<double> t0{};
  optional_pair betas{};
  optional_pair etas{};
  optional_pair step_sizes{};
  std::optional<double> momentum{};
  std::optional<double> dampening{};
  std::optional<double> eps{};
  std::optional<double> weight_decay{};
  std::optional<double> initial_accumulator_value{};
  std::optional<double> momentum_decay{};
  std::optional<bool> amsgrad{};
  std::optional<bool> centered{};
  std::optional<bool> nesterov{};
  std::optional<bool> maximize{};

  /// Calls `f(name, field)` for every field of `self`, in declaration order.
  template <class Self, class F>
  static constexpr void fields(Self& self, F&& f) {
    f("lr", self.lr), f("lr_decay", self.lr_decay), f("rho", self.rho), f("lambd", self.lambd);
    f("alpha", self.alpha), f("t0", self.t0), f("betas", self.betas), f("etas", self.etas);
    f("step_sizes", self.step_sizes), f("momentum", self.momentum), f("dampening", self.dampening);
    f("eps", self.eps), f("weight_decay", self.weight_decay);
    f("initial_accumulator_value", self.initial_accumulator_value), f("momentum_decay", self.momentum_decay);
    f("amsgrad", self.amsgrad), f("centered", self.centered), f("nesterov", self.nesterov);
    f("maximize", self.maximize);
  }
};

/// One parameter group: parameters and the options they override.
///
///     tl::optim::group{tl::params(b), {.lr = 0.01}}      // torch: {'params': [b], 'lr': 0.01}
template <class... Ps>
struct group {
  static_assert(sizeof...(Ps) >= 1, "tapeless::optim::group: a parameter group needs at least one parameter");
  param_list<Ps...> params;
  group_options options;

  constexpr group(param_list<Ps...> ps, group_options o = {}) : params(ps), options(o) {}  // NOLINT: implicit
};

/// Several groups for one optimizer, parameters flattened in order (what
/// `tl::optim::groups(...)` returns).
template <class... Ps>
struct group_list {
  std::tuple<Ps*...> ptrs;
  std::array<std::size_t, sizeof...(Ps)> group_of;  // each parameter's group
  std::vector<group_options> options;                // one per group
};

namespace detail {
template <class... Ps>
group_list<Ps...> as_group_list(group<Ps...> const& g) {
  return {g.params.ptrs, {((void)sizeof(Ps), std::size_t{0})...}, {g.options}};
}
// `a` then `b`, with b's groups numbered after a's.
template <class... A, class... B>
group_list<A..., B...> join(group_list<A...> const& a, group_list<B...> const& b) {
  group_list<A..., B...> out{std::tuple_cat(a.ptrs, b.ptrs), {}, a.options};
  std::size_t k = 0;
  for (auto i : a.group_of) out.group_of[k++] = i;
  for (auto i : b.group_of) out.group_of[k++] = i + a.options.size();
  out.options.insert(out.options.end(), b.options.begin(), b.options.end());
  return out;
}
}  // namespace detail

/// The list of groups an optimizer is built from, as torch's list of dicts:
///
///     tl::optim::adam opt{tl::optim::groups(tl::optim::group{tl::params(w)},
///                                           tl::optim::group{tl::params(b), {.lr = 0.01}}),
///                         {.lr = 0.1}};      // torch: Adam([{'params': [w]}, {'params': [b], 'lr': 0.01}], lr=0.1)
template <class... Ps, class... Gs>
auto groups(group<Ps...> const& first, Gs const&... rest) {
  if constexpr (sizeof...(Gs) == 0) return detail::as_group_list(first);
  else return detail::join(detail::as_group_list(first), groups(rest...));
}

namespace detail {

/// The state of one element for a rule's update: `s[k]` is buffer k's value.
template <class T, std::size_t K>
struct slots {
  T* at[K];
  TAPELESS_HOST_DEVICE constexpr T& operator[](std::size_t k) const { return *at[k]; }
};

/// For rules without per-group state.
struct no_group_state {
  template <class Self, class F>
  static constexpr void fields(Self&, F&&) {}
};

template <class... Ps>
constexpr bool distinct_names() {
  fixed_name const names[] = {Ps::name...};
  for (std::size_t i = 0; i < sizeof...(Ps); ++i)
    for (std::size_t j = i + 1; j < sizeof...(Ps); ++j)
      if (names[i] == names[j]) return false;
  return true;
}

/// Validation of options: throws `tapeless::optim::<algorithm>: <what>` unless `ok`.
inline void require(bool ok, std::string_view algorithm, std::string_view what) {
  if (!ok) tapeless::detail::fail("tapeless::optim::" + std::string(algorithm) + ": " + std::string(what));
}
/// The checks most algorithms share (torch's "Invalid learning rate", ...).
inline void require_lr(double lr, std::string_view algorithm) {
  require(lr >= 0, algorithm, "the learning rate (.lr) must be non-negative");
}
inline void require_eps(double eps, std::string_view algorithm) {
  require(eps >= 0, algorithm, "eps must be non-negative");
}
inline void require_weight_decay(double weight_decay, std::string_view algorithm) {
  require(weight_decay >= 0, algorithm, "weight_decay must be non-negative");
}
inline void require_betas(pair betas, std::string_view algorithm) {
  require(betas[0] >= 0 && betas[0] < 1, algorithm, "betas[0] must be in [0, 1)");
  require(betas[1] >= 0 && betas[1] < 1, algorithm, "betas[1] must be in [0, 1)");
}

/// "group<g>/<rest>", the key of a piece of state in `visit_state`.
inline std::string state_key(std::size_t g, std::string_view rest) {
  std::string key = "group" + std::to_string(g) + "/";
  key += rest;
  return key;
}

/// What `tl::fit` reads and writes of an optimizer to run its steps elsewhere
/// (on a GPU, many in one launch): its members, by reference.
struct optimizer_access {
  template <class O>
  static auto& params(O& o) { return o.params_; }
  template <class O>
  static auto& group_of(O& o) { return o.group_of_; }
  template <class O>
  static auto& options(O& o) { return o.options_; }
  template <class O>
  static auto& group_state(O& o) { return o.group_state_; }
  template <class O>
  static auto& buffers(O& o) { return o.buffers_; }
  template <class O>
  static auto& steps(O& o) { return o.steps_; }
};

/// The optimizer every elementwise algorithm of `tl::optim` is: parameters
/// `Ps...` in groups, `Rule::buffers` per parameter (each a `tl::matrix`
/// shaped like it), `Rule::group_state` per group, one step counter.
///
/// `Rule` provides: `options` (an aggregate with `static fields(self, f)`),
/// `name`, `buffers` (names), `group_state`, `constants`, and
///
///     static void validate(options const&);                     // throws tapeless::error
///     static bool uses(std::size_t buffer, options const&);     // buffers in checkpoints
///     static constants prepare(options const&, std::uint64_t step, group_state&);   // step is 1-based
///     static void init(T p, slots<T, K> s, options const&);     // before the first step
///     static void update(T& p, T g, slots<T, K> s, constants const&, options const&);
template <class Rule, class... Ps>
class elementwise_optimizer {
  static_assert(sizeof...(Ps) >= 1, "tapeless::optim: the optimizer got no parameters; pass tl::params(w, ...)");
  static_assert(distinct_names<Ps...>(),
                "tapeless::optim: two parameters have the same name (or one is passed twice); give each parameter "
                "its own name, since gradients and checkpoints are keyed by name");

 public:
  using rule_type = Rule;
  using options_type = typename Rule::options;
  using group_state_type = typename Rule::group_state;
  static constexpr std::size_t buffer_count = Rule::buffers.size();

  /// One group: `opt{tl::params(w, b), {.lr = 0.01}}`.
  elementwise_optimizer(param_list<Ps...> ps, options_type options = {})
      : params_(ps.ptrs), options_{options}, group_state_(1) {
    group_of_.fill(0);
    Rule::validate(options_[0]);
  }

  /// Several groups, each overriding `defaults`: `opt{tl::optim::groups(...), {.lr = 0.1}}`.
  elementwise_optimizer(group_list<Ps...> const& groups, options_type defaults = {})
      : params_(groups.ptrs), group_of_(groups.group_of), group_state_(groups.options.size()) {
    TAPELESS_CHECK(!groups.options.empty() && groups.options.size() <= sizeof...(Ps),
                   "tapeless::optim: a group list needs between one group and one group per parameter");
    for (std::size_t g : group_of_)
      TAPELESS_CHECK(g < groups.options.size(), "tapeless::optim: a parameter belongs to a group that does not exist");
    for (auto const& overrides : groups.options) options_.push_back(merged(defaults, overrides));
    for (auto const& o : options_) Rule::validate(o);
  }

  /// One update from gradients keyed by parameter (`value_and_grad(...).grads`).
  /// Every gradient is looked up before any parameter changes.
  template <class Grads>
  void step(Grads const& grads) {
    std::apply([&](auto*... p) { ((void)grads[*p], ...); }, params_);
    std::uint64_t const step = steps_ + 1;
    std::array<typename Rule::constants, sizeof...(Ps)> constants{};
    for (std::size_t g = 0; g < options_.size(); ++g) constants[g] = Rule::prepare(options_[g], step, group_state_[g]);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (update<I>(grads, constants[group_of_[I]]), ...);
    }(std::index_sequence_for<Ps...>{});
    steps_ = step;
  }

  /// Number of parameter groups.
  [[nodiscard]] std::size_t group_count() const { return options_.size(); }
  /// The options of group `g` (merged with the optimizer's defaults).
  [[nodiscard]] options_type const& options(std::size_t g = 0) const { return options_[checked(g)]; }
  /// Replaces the options of group `g` (validated like the constructor's).
  void set_options(std::size_t g, options_type const& o) {
    Rule::validate(o);
    options_[checked(g)] = o;
  }
  /// The learning rate of group `g` (schedulers change it between steps).
  [[nodiscard]] double lr(std::size_t g = 0) const { return options_[checked(g)].lr; }
  /// Sets the learning rate of every group.
  void set_lr(double lr) {
    check_lr(lr);
    for (auto& o : options_) o.lr = lr;
  }
  /// Sets the learning rate of group `g`.
  void set_lr(std::size_t g, double lr) {
    check_lr(lr);
    options_[checked(g)].lr = lr;
  }
  /// Number of steps taken.
  [[nodiscard]] std::size_t steps() const { return static_cast<std::size_t>(steps_); }

  /// The buffer named `buffer` (one of `Rule::buffers`) of parameter `p`.
  template <class P>
  [[nodiscard]] auto const& state(P const& p, std::string_view buffer) const {
    constexpr std::size_t i = index_of<P>();
    static_assert(i < sizeof...(Ps), "tapeless::optim: this parameter is not one of the optimizer's");
    TAPELESS_CHECK(std::get<i>(params_) == &p, "tapeless::optim::" + std::string(Rule::name) +
                                                    ": this parameter is not one of the optimizer's (same name, "
                                                    "another object)");
    std::size_t k = 0;
    while (k < buffer_count && Rule::buffers[k] != buffer) ++k;
    TAPELESS_CHECK(k < buffer_count, "tapeless::optim::" + std::string(Rule::name) + ": no state named '" +
                                         std::string(buffer) + "'");
    return std::get<i>(buffers_)[k];
  }

  /// Checkpoints: calls `v(key, std::span<T>)` for every piece of state, in
  /// this order: per group, its numeric options ("group0/lr", "group0/betas",
  /// …), its per-group state, then each of its parameters' buffers in use
  /// ("group0/w/exp_avg"); last "steps". The options are validated afterwards.
  template <class V>
  void visit_state(V&& v) {
    visit(*this, v);
    for (auto const& o : options_) Rule::validate(o);
  }
  template <class V>
  void visit_state(V&& v) const {
    visit(*this, v);
  }

 protected:
  /// Which parameter is `P` (sizeof...(Ps) if none).
  template <class P>
  static constexpr std::size_t index_of() {
    bool const same[] = {std::is_same_v<Ps, P>..., true};
    std::size_t i = 0;
    while (!same[i]) ++i;
    return i;
  }

 private:
  static std::string prefix() { return "tapeless::optim::" + std::string(Rule::name) + ": "; }

  static options_type merged(options_type o, group_options const& overrides) {
    group_options::fields(overrides, [&](std::string_view name, auto const& field) {
      if (!field) return;
      bool found = false;
      options_type::fields(o, [&](std::string_view own, auto& target) {
        using F = typename std::remove_cvref_t<decltype(field)>::value_type;
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(target)>, F>) {
          if (own == name) {
            target = *field;
            found = true;
          }
        }
      });
      if (!found)
        tapeless::detail::fail(prefix() + "a parameter group sets '" + std::string(name) + "', which " +
                     std::string(Rule::name) + " does not have; remove it from the group");
    });
    return o;
  }

  std::size_t checked(std::size_t g) const {
    if (g >= options_.size())
      tapeless::detail::fail(prefix() + "there is no parameter group " + std::to_string(g) + "; the optimizer has " +
                   std::to_string(options_.size()));
    return g;
  }

  static void check_lr(double lr) {
    TAPELESS_CHECK(lr >= 0, prefix() + "the learning rate must be non-negative");
  }

  template <class Self, class V>
  static void visit(Self& self, V& v) {
    constexpr bool is_const = std::is_const_v<Self>;
    auto span_of = [](auto* data, std::size_t n) {
      using T = std::remove_pointer_t<decltype(data)>;
      return std::span<T>(data, n);
    };
    for (std::size_t g = 0; g < self.options_.size(); ++g) {
      options_type::fields(self.options_[g], [&](std::string_view name, auto& field) {
        using F = std::remove_cvref_t<decltype(field)>;
        if constexpr (std::is_same_v<F, double>) v(state_key(g, name), span_of(&field, 1));
        else if constexpr (std::is_same_v<F, pair>) v(state_key(g, name), span_of(field.data(), 2));
      });
      group_state_type::fields(self.group_state_[g], [&](std::string_view name, auto& field) {
        v(state_key(g, name), span_of(&field, 1));
      });
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
          if (self.group_of_[J] != g) return;
          using P = std::tuple_element_t<J, std::tuple<Ps...>>;
          auto& bufs = std::get<J>(self.buffers_);
          for (std::size_t k = 0; k < buffer_count; ++k) {
            if (!Rule::uses(k, self.options_[g])) continue;
            std::string rest = P::name.str() + "/";
            rest += Rule::buffers[k];
            v(state_key(g, rest), span_of(bufs[k].data(), P::size));
          }
        };
        (one(std::integral_constant<std::size_t, I>{}), ...);
      }(std::index_sequence_for<Ps...>{});
    }
    if constexpr (is_const) v(std::string_view("steps"), std::span<std::uint64_t const>(&self.steps_, 1));
    else v(std::string_view("steps"), std::span<std::uint64_t>(&self.steps_, 1));
  }

  template <std::size_t I, class Grads, class Constants>
  void update(Grads const& grads, Constants const& c) {
    auto& p = *std::get<I>(params_);
    using T = typename std::remove_reference_t<decltype(p)>::value_type;
    auto const& g = grads[p];
    auto& bufs = std::get<I>(buffers_);
    auto const& o = options_[group_of_[I]];
    for (std::size_t k = 0; k < p.size; ++k) {
      slots<T, buffer_count> s;
      for (std::size_t b = 0; b < buffer_count; ++b) s.at[b] = &bufs[b][k];
      if (steps_ == 0) Rule::init(p[k], s, o);
      Rule::update(p[k], g[k], s, c, o);
    }
  }

  friend struct optimizer_access;

  std::tuple<Ps*...> params_;
  std::array<std::size_t, sizeof...(Ps)> group_of_{};
  std::vector<options_type> options_;
  std::vector<group_state_type> group_state_;
  std::tuple<std::array<matrix<typename Ps::value_type, Ps::rows, Ps::cols>, buffer_count>...> buffers_{};
  std::uint64_t steps_ = 0;
};

}  // namespace detail

/// Deduction guides of an optimizer class template `Name` deriving from
/// `detail::elementwise_optimizer` (inherited constructors give none in C++20).
#define TAPELESS_OPTIM_DEDUCTION_GUIDES(Name, Options)          \
  template <class... Ps>                                        \
  Name(::tapeless::param_list<Ps...>, Options)->Name<Ps...>;    \
  template <class... Ps>                                        \
  Name(::tapeless::param_list<Ps...>)->Name<Ps...>;             \
  template <class... Ps>                                        \
  Name(::tapeless::optim::group_list<Ps...>, Options)->Name<Ps...>; \
  template <class... Ps>                                        \
  Name(::tapeless::optim::group_list<Ps...>)->Name<Ps...>

}  // namespace tapeless::optim
