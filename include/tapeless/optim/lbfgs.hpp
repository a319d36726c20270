#pragma once
// `tl::optim::lbfgs`: limited-memory BFGS driven by a closure, as
// `torch.optim.LBFGS` (torch 1.13), with its optional strong-Wolfe line search.
//
// The algorithm is torch's, statement by statement: the parameters are
// flattened in the order given (as torch's `torch.cat` of the `.grad`s), the
// vector arithmetic runs in the parameters' value type with torch's rounding
// (`add_(v, alpha=a)` is one fused multiply-add, `dot` accumulates left to
// right, as the reference BLAS does), and the scalar logic of the line search
// keeps torch's Python types: 0-d tensors in the value type, Python floats in
// double (`detail::lbfgs_ops::py`). The closure re-evaluates the loss and its
// gradients in one fused pass: it returns `tl::value_and_grad(…)`.
//
// Differences from torch (docs/lbfgs.md): invalid options throw at
// construction; a closure that throws, or returns a non-finite loss or
// gradient, leaves the parameters and the state as they were at the end of
// the last completed iteration (torch leaves them at the failed trial point).

#include "../config.hpp"
#include "../param.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace tapeless {

namespace optim {

/// The line search of `lbfgs` (torch's `line_search_fn`: `None` or `'strong_wolfe'`).
enum class line_search {
  none,         ///< a fixed step `lr` (torch's `None`)
  strong_wolfe  ///< torch's `'strong_wolfe'`: bracketing and zoom with cubic interpolation
};

/// Options of LBFGS, with torch's names and defaults. `max_eval` left unset
/// means torch's `None`: `max_iter * 5 / 4`.
struct lbfgs_options {
  double lr = 1;
  std::size_t max_iter = 20;
  std::optional<std::size_t> max_eval{};
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  std::size_t history_size = 100;
  optim::line_search line_search = optim::line_search::none;
};

namespace detail::lbfgs_ops {

/// What an LBFGS closure returns: the loss (`.value`) and its gradients (`.grads`).
template <class R>
concept lbfgs_result = requires(R const& r) {
  { static_cast<double>(r.value) };
  r.grads;
};

template <class P, class... Ps>
inline constexpr std::size_t count_of = (std::size_t{std::is_same_v<P, Ps>} + ...);
/// No parameter type appears twice (gradients are keyed by name, shape and value type).
template <class... Ps>
inline constexpr bool distinct_parameters = ((count_of<Ps, Ps...> == 1) && ...);

/// True unless `Grads` is a `tl::gradients` that holds no gradient for `P`.
template <class Grads, class P>
constexpr bool holds_gradient() {
  if constexpr (requires { Grads::template holds<P>; }) return Grads::template holds<P>;
  else return true;
}

/// A scalar of torch's line search as Python sees it: a Python float (double)
/// or a 0-d tensor of the parameters' type `T`. Arithmetic follows torch's
/// promotion: with a tensor on either side the Python float is rounded to `T`
/// and the operation runs in `T` (so do comparisons); `float / tensor` is
/// `tensor.reciprocal() * float`, as torch's `__rtruediv__`. For double
/// parameters this is double arithmetic, the reciprocal included.
template <class T>
struct py {
  double v;
  bool tensor = false;

  py(double x) : v(x) {}  // NOLINT: implicit, as a Python literal
  static py of(T x) { return {static_cast<double>(x), true}; }

  friend py operator+(py a, py b) { return a.tensor || b.tensor ? of(a.t() + b.t()) : py(a.v + b.v); }
  friend py operator-(py a, py b) { return a.tensor || b.tensor ? of(a.t() - b.t()) : py(a.v - b.v); }
  friend py operator*(py a, py b) { return a.tensor || b.tensor ? of(a.t() * b.t()) : py(a.v * b.v); }
  friend py operator/(py a, py b) {
    if (b.tensor && !a.tensor) return of((T(1) / b.t()) * a.t());
    return a.tensor || b.tensor ? of(a.t() / b.t()) : py(a.v / b.v);
  }
  friend py operator-(py a) { return {-a.v, a.tensor}; }
  friend bool operator<(py a, py b) { return a.tensor || b.tensor ? a.t() < b.t() : a.v < b.v; }
  friend bool operator>(py a, py b) { return b < a; }
  friend bool operator<=(py a, py b) { return a.tensor || b.tensor ? a.t() <= b.t() : a.v <= b.v; }
  friend bool operator>=(py a, py b) { return b <= a; }
  friend py abs(py a) { return {std::abs(a.v), a.tensor}; }
  friend py sqrt(py a) { return a.tensor ? of(std::sqrt(a.t())) : py(std::sqrt(a.v)); }
  // Python's max(a, b) and min(a, b): the first argument unless the second is strictly beyond it.
  friend py max(py a, py b) { return b > a ? b : a; }
  friend py min(py a, py b) { return b < a ? b : a; }

 private:
  py(double x, bool is_tensor) : v(x), tensor(is_tensor) {}
  [[nodiscard]] T t() const { return static_cast<T>(v); }
};

/// torch's `_cubic_interpolate`: the minimiser of the cubic through (x1, f1)
/// and (x2, f2) with slopes g1 and g2, clamped to [lo, hi]; the midpoint when
/// the cubic has no minimum. Written as torch's Python, operation by operation.
template <class T>
py<T> cubic_interpolate(py<T> x1, py<T> f1, py<T> g1, py<T> x2, py<T> f2, py<T> g2, py<T> lo, py<T> hi) {
  py<T> const d1 = g1 + g2 - py<T>(3) * (f1 - f2) / (x1 - x2);
  py<T> const d2_square = d1 * d1 - g1 * g2;
  if (d2_square >= py<T>(0)) {
    py<T> const d2 = sqrt(d2_square);
    py<T> const min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + py<T>(2) * d2))
                                   : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + py<T>(2) * d2));
    return min(max(min_pos, lo), hi);
  }
  return (lo + hi) / py<T>(2.);
}
template <class T>
py<T> cubic_interpolate(py<T> x1, py<T> f1, py<T> g1, py<T> x2, py<T> f2, py<T> g2) {
  return x1 <= x2 ? cubic_interpolate(x1, f1, g1, x2, f2, g2, x1, x2)
                  : cubic_interpolate(x1, f1, g1, x2, f2, g2, x2, x1);
}

}  // namespace detail::lbfgs_ops

/// Limited-memory BFGS over parameters `Ps…`, as `torch.optim.LBFGS`; each
/// `step` runs up to `max_iter` iterations, calling `closure` to re-evaluate.
///
///     tl::optim::lbfgs opt{tl::params(w, b), {.line_search = tl::optim::line_search::strong_wolfe}};
///     float first = opt.step([&] { return tl::value_and_grad(cost, w, b); });
///
/// Direction: d = −H·g by the two-loop recursion over the last `history_size`
/// pairs (s, y) with yᵀs > 1e-10, H₀ = yᵀs / yᵀy; step: t = lr (the first
/// iteration ever: min(1, 1/‖g‖₁)·lr), or what the strong-Wolfe search finds.
template <class... Ps>
class lbfgs {
  static_assert(sizeof...(Ps) >= 1,
                "tapeless::optim::lbfgs: the optimizer got no parameters; pass tl::params(w, ...)");
  using T = std::tuple_element_t<0, std::tuple<typename Ps::value_type...>>;
  static_assert((std::is_same_v<typename Ps::value_type, T> && ...),
                "tapeless::optim::lbfgs: the parameters have different value types; LBFGS works on them flattened "
                "into one vector, so make them all float or all double");
  static_assert(detail::lbfgs_ops::distinct_parameters<Ps...>,
                "tapeless::optim::lbfgs: two parameters have the same name and shape (or one is passed twice); give "
                "each parameter its own name");

 public:
  using value_type = T;
  /// The number of values LBFGS optimises: every parameter's values, flattened.
  static constexpr std::size_t numel = (Ps::size + ...);

  /// `tl::optim::lbfgs opt{tl::params(w, b), {.lr = 1, .max_iter = 20}};` — torch:
  /// `LBFGS([w, b], lr=1, max_iter=20)`. Throws `tapeless::error` for invalid options.
  explicit lbfgs(param_list<Ps...> ps, lbfgs_options options = {}) : params_(ps.ptrs), options_(options) {
    validate(options_);
    if (!options_.max_eval) options_.max_eval = options_.max_iter * 5 / 4;
    std::size_t const h = options_.history_size;
    d_.assign(numel, T(0));
    prev_flat_grad_.assign(numel, T(0));
    // One slot more than the history: an iteration writes its new pair to the
    // last one and commits it only when its evaluations succeed.
    old_dirs_.assign((h + 1) * numel, T(0));
    old_stps_.assign((h + 1) * numel, T(0));
    ro_.assign(h + 1, T(0));
    al_.assign(h + 1, T(0));
  }

  /// Runs one optimisation step (up to `max_iter` iterations) and returns the
  /// loss the closure gave at the start, as torch does. `closure` takes no
  /// argument and returns `tl::value_and_grad(loss, <every parameter>)`.
  ///
  /// If the closure throws, or returns a non-finite loss or gradient (then
  /// `tapeless::error`), the exception propagates and the parameters and the
  /// optimizer are as at the end of the last completed iteration.
  template <class Closure>
  auto step(Closure&& closure) {
    static_assert(std::is_invocable_v<Closure&>,
                  "tapeless::optim::lbfgs::step: LBFGS takes a closure, not gradients; pass "
                  "[&] { return tl::value_and_grad(loss, w, b); }");
    if constexpr (std::is_invocable_v<Closure&>) {
      using R = std::remove_cvref_t<std::invoke_result_t<Closure&>>;
      static_assert(detail::lbfgs_ops::lbfgs_result<R>,
                    "tapeless::optim::lbfgs::step: the closure must return what tl::value_and_grad returns (a "
                    "loss .value and .grads)");
      if constexpr (detail::lbfgs_ops::lbfgs_result<R>) {
        using G = std::remove_cvref_t<decltype(std::declval<R&>().grads)>;
        static_assert((detail::lbfgs_ops::holds_gradient<G, Ps>() && ...),
                      "tapeless::optim::lbfgs::step: the closure's gradients miss a parameter of the optimizer; "
                      "return tl::value_and_grad(loss, <every parameter>)");
        // The algorithm is compiled once per optimizer type; each closure
        // only adds this small function that calls it and flattens its gradients.
        using L = std::remove_cvref_t<decltype(std::declval<R&>().value)>;
        L first{};
        bool started = false;
        auto call = [&](T* g) {
          auto const r = closure();
          auto const& grads = r.grads;
          bool finite = std::isfinite(static_cast<double>(r.value));
          for_each_param([&](auto const& p, std::size_t o) {
            auto const& gp = grads[p];
            for (std::size_t k = 0; k < p.size; ++k) {
              g[o + k] = gp[k];
              finite = finite && std::isfinite(gp[k]);
            }
          });
          if (!started) {
            first = r.value;
            started = true;
          }
          return finite ? static_cast<double>(r.value) : std::numeric_limits<double>::quiet_NaN();
        };
        using Call = decltype(call);
        run({&call, [](void* self, T* g) { return (*static_cast<Call*>(self))(g); }});
        return first;
      }
    }
  }

  /// The options, `max_eval` resolved (torch's `param_groups[0]`); only `lr` changes after construction.
  [[nodiscard]] lbfgs_options const& options(std::size_t group = 0) const {
    check_group(group);
    return options_;
  }
  /// The number of parameter groups: always 1 (torch's LBFGS allows only one).
  [[nodiscard]] static constexpr std::size_t group_count() { return 1; }
  /// The learning rate (schedulers change it between steps).
  [[nodiscard]] double lr(std::size_t group = 0) const {
    check_group(group);
    return options_.lr;
  }
  void set_lr(double lr) {
    TAPELESS_CHECK(lr >= 0 && std::isfinite(lr), "tapeless::optim::lbfgs: the learning rate must be non-negative");
    options_.lr = lr;
  }
  void set_lr(std::size_t group, double lr) {
    check_group(group);
    set_lr(lr);
  }
  /// Number of `step` calls that returned.
  [[nodiscard]] std::size_t steps() const { return static_cast<std::size_t>(steps_); }
  /// Iterations over all steps (torch's `state['n_iter']`).
  [[nodiscard]] std::size_t iterations() const { return static_cast<std::size_t>(n_iter_); }
  /// Closure calls that returned a finite loss and gradient, over all steps
  /// (torch's `state['func_evals']`).
  [[nodiscard]] std::size_t function_evaluations() const { return static_cast<std::size_t>(func_evals_); }
  /// The number of (s, y) pairs in the history (torch's `len(state['old_dirs'])`).
  [[nodiscard]] std::size_t history_length() const { return static_cast<std::size_t>(history_); }

  /// Visits the state for checkpoints, in this order: "group0/lr" (double),
  /// "group0/d", "group0/t" (double), "group0/H_diag", "group0/prev_flat_grad",
  /// "group0/prev_loss" (double), "group0/old_dirs" and "group0/old_stps"
  /// (history_size × numel, oldest pair first), "group0/ro" (history_size),
  /// "group0/history_length", "n_iter", "func_evals", "steps" (uint64). Vectors
  /// are in the parameters' value type. Loaded values are checked afterwards
  /// (throws `tapeless::error` and resets the state when they are invalid).
  template <class V>
  void visit_state(V&& v) {
    double lr = options_.lr;
    std::uint64_t history = history_;
    visit(*this, v, lr, history);
    bool const ok = lr >= 0 && std::isfinite(lr) && history <= options_.history_size;
    if (!ok) {
      history_ = n_iter_ = func_evals_ = steps_ = 0;
      ::tapeless::detail::fail("tapeless::optim::lbfgs: the checkpoint holds a negative lr or a history longer "
                               "than history_size; the optimizer was reset");
    }
    options_.lr = lr;
    history_ = history;
  }
  template <class V>
  void visit_state(V&& v) const {
    visit(*this, v, options_.lr, history_);
  }

 private:
  static void validate(lbfgs_options const& o) {
    TAPELESS_CHECK(o.lr >= 0 && std::isfinite(o.lr),
                   "tapeless::optim::lbfgs: the learning rate (.lr) must be non-negative");
    TAPELESS_CHECK(o.max_iter >= 1, "tapeless::optim::lbfgs: max_iter must be at least 1");
    TAPELESS_CHECK(!o.max_eval || *o.max_eval >= 1,
                   "tapeless::optim::lbfgs: max_eval must be at least 1; leave it unset for max_iter * 5 / 4");
    TAPELESS_CHECK(o.tolerance_grad >= 0, "tapeless::optim::lbfgs: tolerance_grad must be non-negative");
    TAPELESS_CHECK(o.tolerance_change >= 0, "tapeless::optim::lbfgs: tolerance_change must be non-negative");
    TAPELESS_CHECK(o.history_size >= 1, "tapeless::optim::lbfgs: history_size must be at least 1");
    TAPELESS_CHECK(o.history_size <= (std::size_t{1} << 20),
                   "tapeless::optim::lbfgs: history_size above 2^20 pairs; torch's default is 100");
  }
  static void check_group(std::size_t group) {
    TAPELESS_CHECK(group == 0, "tapeless::optim::lbfgs: LBFGS has one parameter group; use group 0");
  }

  template <class Self, class V, class Lr, class History>
  static void visit(Self& self, V& v, Lr& lr, History& history) {
    using U = std::conditional_t<std::is_const_v<Self>, T const, T>;
    using D = std::conditional_t<std::is_const_v<Self>, double const, double>;
    using C = std::conditional_t<std::is_const_v<Self>, std::uint64_t const, std::uint64_t>;
    std::size_t const h = self.options_.history_size;
    v(std::string_view("group0/lr"), std::span<D>(&lr, 1));
    v(std::string_view("group0/d"), std::span<U>(self.d_.data(), numel));
    v(std::string_view("group0/t"), std::span<D>(&self.t_, 1));
    v(std::string_view("group0/H_diag"), std::span<U>(&self.h_diag_, 1));
    v(std::string_view("group0/prev_flat_grad"), std::span<U>(self.prev_flat_grad_.data(), numel));
    v(std::string_view("group0/prev_loss"), std::span<D>(&self.prev_loss_, 1));
    v(std::string_view("group0/old_dirs"), std::span<U>(self.old_dirs_.data(), h * numel));
    v(std::string_view("group0/old_stps"), std::span<U>(self.old_stps_.data(), h * numel));
    v(std::string_view("group0/ro"), std::span<U>(self.ro_.data(), h));
    v(std::string_view("group0/history_length"), std::span<C>(&history, 1));
    v(std::string_view("n_iter"), std::span<C>(&self.n_iter_, 1));
    v(std::string_view("func_evals"), std::span<C>(&self.func_evals_, 1));
    v(std::string_view("steps"), std::span<C>(&self.steps_, 1));
  }

  // torch.dot on the CPU (reference BLAS): products summed left to right, in T.
  static T dot(T const* x, T const* y, std::size_t n) {
    T acc = 0;
    for (std::size_t k = 0; k < n; ++k) acc = acc + x[k] * y[k];
    return acc;
  }
  // x.abs().max()
  static T max_abs(T const* x, std::size_t n) {
    T m = 0;
    for (std::size_t k = 0; k < n; ++k) m = std::abs(x[k]) > m ? std::abs(x[k]) : m;
    return m;
  }
  // y.add_(x, alpha=a): torch's kernel is one fused multiply-add per element.
  static void axpy(T a, T const* x, T* y, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) y[k] = std::fma(a, x[k], y[k]);
  }

  // ---- the parameters as one flat vector ----
  template <class F>
  void for_each_param(F&& f) const {
    std::size_t offset = 0;
    std::apply([&](auto*... p) { ((f(*p, offset), offset += p->size), ...); }, params_);
  }
  void get_params(T* x) const {
    for_each_param([&](auto const& p, std::size_t o) {
      for (std::size_t k = 0; k < p.size; ++k) x[o + k] = p[k];
    });
  }
  void set_params(T const* x) const {
    for_each_param([&](auto& p, std::size_t o) {
      for (std::size_t k = 0; k < p.size; ++k) p[k] = x[o + k];
    });
  }
  // torch's `_add_grad(t, d)`: p.add_(d, alpha=t), t rounded to the value type.
  void add_to_params(double t, T const* d) const {
    for_each_param([&](auto& p, std::size_t o) { axpy(static_cast<T>(t), d + o, p.data(), p.size); });
  }

  /// The closure, type-erased: `call(self, g)` writes the flat gradient to `g`
  /// and returns the loss as a double (torch's `float(closure())`), NaN when
  /// the loss or a gradient is not finite.
  struct evaluator {
    void* self;
    double (*call)(void*, T*);
  };
  /// One evaluation, counted; `where` is the error when it is not finite.
  double evaluate(evaluator const& closure, T* g, char const* where) {
    double const f = closure.call(closure.self, g);
    if (std::isnan(f)) ::tapeless::detail::fail(where);
    ++func_evals_;
    return f;
  }

  using py = detail::lbfgs_ops::py<T>;
  struct search_result {
    double f;
    py t;
    std::size_t evals;
  };

  /// torch's `_strong_wolfe` (c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9, max_ls = 25): from loss `f`,
  /// gradient `g` (replaced by the gradient at the point found) and slope `gtd`
  /// along `d`, a step `t` satisfying the strong Wolfe conditions.
  /// `obj(t, g_out)` evaluates the loss and gradient at x + t·d.
  template <class Obj>
  search_result strong_wolfe(Obj& obj, py t, std::vector<T> const& d, double f_, std::vector<T>& g, py gtd) const {
    py const c1 = 1e-4, c2 = 0.9, f = f_;
    constexpr int max_ls = 25;
    // torch calls _strong_wolfe without its tolerance_change: the default, 1e-9, whatever the option says.
    py const tolerance_change = 1e-9;
    py const d_norm = py::of(max_abs(d.data(), numel));
    std::vector<T> g_new(numel);
    py f_new = obj(t.v, g_new);
    std::size_t evals = 1;
    py gtd_new = py::of(dot(g_new.data(), d.data(), numel));

    // Bracket an interval containing a point that satisfies the conditions.
    py t_prev = 0, f_prev = f, gtd_prev = gtd;
    std::vector<T> g_prev = g;
    bool done = false;
    int ls_iter = 0;
    py bracket[2] = {0, 0}, bracket_f[2] = {0, 0}, bracket_gtd[2] = {0, 0};
    std::vector<T> bracket_g[2];
    std::size_t size = 0;
    auto set_bracket = [&](py t0, py f0, std::vector<T> const& g0, py gtd0, py t1, py f1,
                           std::vector<T> const& g1, py gtd1) {
      bracket[0] = t0, bracket_f[0] = f0, bracket_g[0] = g0, bracket_gtd[0] = gtd0;
      bracket[1] = t1, bracket_f[1] = f1, bracket_g[1] = g1, bracket_gtd[1] = gtd1;
      size = 2;
    };
    while (ls_iter < max_ls) {
      if (f_new > (f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
        set_bracket(t_prev, f_prev, g_prev, gtd_prev, t, f_new, g_new, gtd_new);
        break;
      }
      if (abs(gtd_new) <= -c2 * gtd) {
        bracket[0] = t, bracket_f[0] = f_new, bracket_g[0] = g_new;
        size = 1;
        done = true;
        break;
      }
      if (gtd_new >= py(0)) {
        set_bracket(t_prev, f_prev, g_prev, gtd_prev, t, f_new, g_new, gtd_new);
        break;
      }
      // Extrapolate by cubic interpolation, at least 1% and at most 10× further.
      py const min_step = t + py(0.01) * (t - t_prev);
      py const max_step = t * py(10);
      py const tmp = t;
      t = detail::lbfgs_ops::cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step);
      t_prev = tmp;
      f_prev = f_new;
      g_prev = g_new;
      gtd_prev = gtd_new;
      f_new = obj(t.v, g_new);
      ++evals;
      gtd_new = py::of(dot(g_new.data(), d.data(), numel));
      ++ls_iter;
    }
    if (ls_iter == max_ls) {  // torch leaves bracket_gtd as it was: the zoom below does not run
      bracket[0] = 0, bracket_f[0] = f, bracket_g[0] = g;
      bracket[1] = t, bracket_f[1] = f_new, bracket_g[1] = g_new;
      size = 2;
    }

    // Zoom: shrink the bracket until a point satisfies the conditions.
    bool insuf_progress = false;
    std::size_t low = bracket_f[0] <= bracket_f[size - 1] ? 0 : 1, high = 1 - low;
    while (!done && ls_iter < max_ls) {
      if (abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
      t = detail::lbfgs_ops::cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                                               bracket_gtd[1]);
      // Too close to an end of the bracket (twice in a row, or outside it):
      // move to 10% of its length from the nearer end.
      py const hi = max(bracket[0], bracket[1]), lo = min(bracket[0], bracket[1]);
      py const eps = py(0.1) * (hi - lo);
      if (min(hi - t, t - lo) < eps) {
        if (insuf_progress || t >= hi || t <= lo) {
          t = abs(t - hi) < abs(t - lo) ? hi - eps : lo + eps;
          insuf_progress = false;
        } else {
          insuf_progress = true;
        }
      } else {
        insuf_progress = false;
      }
      f_new = obj(t.v, g_new);
      ++evals;
      gtd_new = py::of(dot(g_new.data(), d.data(), numel));
      ++ls_iter;
      if (f_new > (f + c1 * t * gtd) || f_new >= bracket_f[low]) {
        // Armijo condition not satisfied, or not lower than the lowest point.
        bracket[high] = t, bracket_f[high] = f_new, bracket_g[high] = g_new, bracket_gtd[high] = gtd_new;
        low = bracket_f[0] <= bracket_f[1] ? 0 : 1;
        high = 1 - low;
      } else {
        if (abs(gtd_new) <= -c2 * gtd) {
          done = true;
        } else if (gtd_new * (bracket[high] - bracket[low]) >= py(0)) {  // old high becomes new low
          bracket[high] = bracket[low], bracket_f[high] = bracket_f[low];
          bracket_g[high] = bracket_g[low], bracket_gtd[high] = bracket_gtd[low];
        }
        bracket[low] = t, bracket_f[low] = f_new, bracket_g[low] = g_new, bracket_gtd[low] = gtd_new;
      }
    }
    g = std::move(bracket_g[low]);
    return {bracket_f[low].v, bracket[low], evals};
  }

  /// torch's `LBFGS.step`, on the state.
  void run(evaluator const& closure) {
    constexpr std::size_t n = numel;
    lbfgs_options const& o = options_;
    std::size_t const h = o.history_size;
    auto const tolerance_grad = static_cast<T>(o.tolerance_grad);
    auto const tolerance_change = static_cast<T>(o.tolerance_change);

    // torch divides by zero there (t = 0 brackets nothing); a learning rate
    // scheduled down to 0 suits the fixed step only.
    TAPELESS_CHECK(o.lr > 0 || o.line_search != line_search::strong_wolfe,
                   "tapeless::optim::lbfgs: the strong-Wolfe line search needs lr > 0");

    // Evaluate f(x) and its gradient; nothing has changed if this throws.
    std::vector<T> flat_grad(n);
    double loss = evaluate(closure, flat_grad.data(),
                           "tapeless::optim::lbfgs: the closure returned a non-finite loss or gradient at the "
                           "current parameters; check the data and the starting point");
    std::size_t current_evals = 1;
    if (max_abs(flat_grad.data(), n) <= tolerance_grad) {  // optimal already
      ++steps_;
      return;
    }

    std::vector<T> d(n), x(n);
    std::size_t n_iter = 0;
    while (n_iter < o.max_iter) {
      ++n_iter;
      // An iteration works on locals and commits them to the state once its
      // evaluations have succeeded.
      std::uint64_t const it = n_iter_ + 1;  // torch's state['n_iter']
      std::size_t history = history_;
      bool push = false;
      T h_diag = h_diag_;
      if (it == 1) {
        for (std::size_t k = 0; k < n; ++k) d[k] = -flat_grad[k];
        history = 0;
        h_diag = 1;
      } else {
        // Update the memory with y = g − g_prev and s = d·t, written to the
        // spare slot `h` until the iteration commits.
        T* y = old_dirs_.data() + h * n;
        T* s = old_stps_.data() + h * n;
        for (std::size_t k = 0; k < n; ++k) {
          y[k] = flat_grad[k] - prev_flat_grad_[k];
          s[k] = d_[k] * static_cast<T>(t_);
        }
        T const ys = dot(y, s, n);
        if (ys > static_cast<T>(1e-10)) {
          push = true;
          ro_[h] = T(1) / ys;
          h_diag = ys / dot(y, y, n);
        }
        // Two-loop recursion over the last `h` pairs, oldest first: the
        // committed ones, then the new one. d = −H·g.
        std::size_t const count = std::min(history + (push ? 1 : 0), h);
        auto slot = [&](std::size_t i) {  // the i-th pair of that window
          std::size_t const j = i + (history + (push ? 1 : 0) - count);
          return j < history ? j : h;
        };
        for (std::size_t k = 0; k < n; ++k) d[k] = -flat_grad[k];
        for (std::size_t i = count; i-- > 0;) {
          std::size_t const j = slot(i);
          al_[i] = dot(old_stps_.data() + j * n, d.data(), n) * ro_[j];
          axpy(-al_[i], old_dirs_.data() + j * n, d.data(), n);
        }
        for (std::size_t k = 0; k < n; ++k) d[k] = d[k] * h_diag;
        for (std::size_t i = 0; i < count; ++i) {
          std::size_t const j = slot(i);
          T const be_i = dot(old_dirs_.data() + j * n, d.data(), n) * ro_[j];
          axpy(al_[i] - be_i, old_stps_.data() + j * n, d.data(), n);
        }
      }
      double const prev_loss = loss;

      // Step length: torch's initial guess on the very first iteration.
      py t = o.lr;
      if (it == 1) {  // min(1., 1. / flat_grad.abs().sum()) * lr
        T sum = 0;
        for (std::size_t k = 0; k < n; ++k) sum = sum + std::abs(flat_grad[k]);
        t = min(py(1.), py::of(T(1) / sum)) * py(o.lr);
      }
      T const gtd = dot(flat_grad.data(), d.data(), n);

      // What the state becomes once this iteration is done.
      auto commit = [&](std::vector<T> const& g_start) {
        n_iter_ = it;
        if (push) {
          if (history == h) {  // drop the oldest pair: slots 1…h move to 0…h−1
            std::copy(old_dirs_.begin() + static_cast<std::ptrdiff_t>(n), old_dirs_.end(), old_dirs_.begin());
            std::copy(old_stps_.begin() + static_cast<std::ptrdiff_t>(n), old_stps_.end(), old_stps_.begin());
            std::copy(ro_.begin() + 1, ro_.end(), ro_.begin());
          } else {  // the spare slot becomes the newest pair
            auto const from = static_cast<std::ptrdiff_t>(h * n), to = static_cast<std::ptrdiff_t>(history * n);
            std::copy(old_dirs_.begin() + from, old_dirs_.end(), old_dirs_.begin() + to);
            std::copy(old_stps_.begin() + from, old_stps_.end(), old_stps_.begin() + to);
            ro_[history] = ro_[h];
            ++history;
          }
        }
        history_ = history;
        h_diag_ = h_diag;
        d_ = d;
        t_ = t.v;
        prev_flat_grad_ = g_start;
        prev_loss_ = prev_loss;
      };
      if (gtd > -tolerance_change) {  // the directional derivative is below tolerance
        commit(flat_grad);
        break;
      }

      std::vector<T> g_start = flat_grad;
      get_params(x.data());
      std::size_t ls_evals = 0;
      bool opt_cond = false;
      char const* const diverged =
          o.line_search == line_search::strong_wolfe
              ? "tapeless::optim::lbfgs: the closure returned a non-finite loss or gradient at a trial point of the "
                "line search; lower lr (the first trial step) or keep the loss finite along the way (the parameters "
                "are back at the last completed iteration)"
              : "tapeless::optim::lbfgs: the closure returned a non-finite loss or gradient after a step; lower lr or "
                "use line_search::strong_wolfe (the parameters are back at the last completed iteration)";
      try {
        if (o.line_search == line_search::strong_wolfe) {
          auto obj = [&](double step, std::vector<T>& g_out) {
            add_to_params(step, d.data());
            double const f = evaluate(closure, g_out.data(), diverged);
            set_params(x.data());
            return f;
          };
          auto const found = strong_wolfe(obj, t, d, loss, flat_grad, py::of(gtd));
          loss = found.f;
          t = found.t;
          ls_evals = found.evals;
          add_to_params(t.v, d.data());
          opt_cond = max_abs(flat_grad.data(), n) <= tolerance_grad;
        } else {
          add_to_params(t.v, d.data());
          if (n_iter != o.max_iter) {  // torch does not re-evaluate after the last iteration
            loss = evaluate(closure, flat_grad.data(), diverged);
            opt_cond = max_abs(flat_grad.data(), n) <= tolerance_grad;
            ls_evals = 1;
          }
        }
      } catch (...) {
        set_params(x.data());
        throw;
      }
      current_evals += ls_evals;
      commit(g_start);

      // Stopping conditions.
      if (n_iter == o.max_iter) break;
      if (current_evals >= *o.max_eval) break;
      if (opt_cond) break;
      T change = 0;  // (d·t).abs().max(): lack of progress
      for (std::size_t k = 0; k < n; ++k) {
        T const v = std::abs(d[k] * static_cast<T>(t.v));
        change = v > change ? v : change;
      }
      if (change <= tolerance_change) break;
      if (std::abs(loss - prev_loss) < o.tolerance_change) break;
    }
    ++steps_;
  }

  std::tuple<Ps*...> params_;
  lbfgs_options options_;
  // torch's state['d'], ['t'], ['H_diag'], ['prev_flat_grad'], ['prev_loss'].
  std::vector<T> d_, prev_flat_grad_;
  double t_ = 0;
  T h_diag_ = 1;
  double prev_loss_ = 0;
  // torch's old_dirs (y), old_stps (s) and ro (1 / yᵀs): pairs [0, history_)
  // oldest first, in history_size + 1 slots (the last one spare).
  std::vector<T> old_dirs_, old_stps_, ro_;
  std::vector<T> al_;  // scratch of the two-loop recursion (torch keeps it in its state)
  std::uint64_t history_ = 0, n_iter_ = 0, func_evals_ = 0, steps_ = 0;
};

template <class... Ps>
lbfgs(param_list<Ps...>) -> lbfgs<Ps...>;
template <class... Ps>
lbfgs(param_list<Ps...>, lbfgs_options) -> lbfgs<Ps...>;

}  // namespace optim
}  // namespace tapeless
