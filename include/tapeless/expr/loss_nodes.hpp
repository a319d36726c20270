#pragma once
// The nodes the losses of torch.nn need beyond plain arithmetic (loss.hpp
// builds every loss from these and the elementwise functions):
//
// - `softplus_`: log(1 + eˣ), stable on both tails, slope σ(x) (exactly ½ at 0);
//   binary_cross_entropy_with_logits is softplus(x) − x·y.
// - `smooth_l1_`: ½x²/β inside ±β, |x| − ½β outside, with its slopes
//   (smooth_l1_loss; huber_loss is δ times it with β = δ).
// - `clamped_log_`: max(log x, −100), torch's clamp in binary_cross_entropy,
//   slope 1 / max(x, 10⁻¹²) (`clamped_reciprocal_`), finite at x = 0 as torch's.
// - `logsumexp_`: log Σⱼ e^(x_rj) of each row (rows×1), slope softmax(x_r);
//   `softmax_` is that slope, row by row (rows×C).
// - `class_one_hot<I, R, C>`: the one-hot rows of integer class indices (a
//   data leaf), so that rowsum(one_hot ⊙ logits) picks each row's target logit.
//
// Each has its forward rule (`slope` or `derivative`) here; logsumexp's and the
// one-hot leaf's reverse rules sit in diff/adjoint.hpp with the others.

#include "arith.hpp"
#include "base.hpp"
#include "elementwise.hpp"
#include "leaf.hpp"
#include "node.hpp"
#include "reduce.hpp"

#include <cmath>
#include <cstddef>
#include <tuple>

namespace tapeless::expr {

/// log(1 + eˣ), elementwise; exp never sees a large positive argument.
template <class X>
struct softplus_ : unary_node<softplus_, X> {
  using unary_node<softplus_, X>::unary_node;
  template <class T>
  TAPELESS_HOST_DEVICE static T apply(T x) {
    using std::exp;
    using std::log1p;
    return x > T(0) ? x + log1p(exp(-x)) : log1p(exp(x));
  }
};

/// 1 / max(x, 10⁻¹²), elementwise: the slope of `clamped_log_`.
template <class X>
struct clamped_reciprocal_ : unary_node<clamped_reciprocal_, X> {
  using unary_node<clamped_reciprocal_, X>::unary_node;
  static constexpr double floor = 1e-12;
  template <class T>
  TAPELESS_HOST_DEVICE static T apply(T x) {
    return x < T(floor) ? T(1) / T(floor) : T(1) / x;  // NaN stays NaN
  }
};

/// max(log x, −100), elementwise, as torch's binary_cross_entropy (a NaN, from
/// x < 0, stays NaN rather than being clamped).
template <class X>
struct clamped_log_ : unary_node<clamped_log_, X> {
  using unary_node<clamped_log_, X>::unary_node;
  template <class T>
  TAPELESS_HOST_DEVICE static T apply(T x) {
    using std::log;
    T const l = log(x);
    return l < T(-100) ? T(-100) : l;
  }
};

template <class X, class S>
constexpr auto slope(softplus_<X> const& e, S const&) { return sigmoid_<X>{e.arg}; }  // σ(x)
template <class X, class S>
constexpr auto slope(clamped_log_<X> const& e, S const&) {                           // 1 / max(x, ε)
  return clamped_reciprocal_<X>{e.arg};
}
template <class X, class S>
constexpr auto slope(clamped_reciprocal_<X> const& e, S const& self) {  // −1/x² above ε, 0 below
  auto const above = build_sub(e.arg, scalar<double>{{}, clamped_reciprocal_<X>::floor});
  return build_neg(build_mul(square<S>{self}, step_<decltype(above)>{above}));
}

/// The smooth L1 function of `smooth_l1_loss` and `huber_loss` (K = 0), and its
/// first and second derivatives (K = 1, 2), elementwise, with a run-time β ≥ 0:
///     K = 0:  ½x²/β where |x| < β, else |x| − ½β   (β = 0: |x|)
///     K = 1:  x/β   where |x| < β, else sign x
///     K = 2:  1/β   where |x| < β, else 0
/// One node rather than a composition of |x|, relu and squares: its reverse sweep
/// stays one multiplication, and its compile time that of one function.
template <int K, class X>
struct smooth_l1_ : node<smooth_l1_<K, X>> {
  using shape_type = shape_of_t<X>;
  static constexpr std::size_t cols = shape_type::cols;
  X arg;
  double beta;

  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return arg.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    using A = decltype(tapeless::detail::apply_child<0>(f, arg));
    return smooth_l1_<K, A>{{}, tapeless::detail::apply_child<0>(f, arg), beta};
  }
  template <class T>
  TAPELESS_HOST_DEVICE static T apply(T x, T b) {
    T const a = x < T(0) ? -x : x;
    bool const inside = a < b;  // torch's test: the quadratic piece is open at |x| = β
    if constexpr (K == 0) return inside ? T(0.5) * x * x / b : a - T(0.5) * b;
    else if constexpr (K == 1) return inside ? x / b : T((x > T(0)) - (x < T(0)));
    else return inside ? T(1) / b : T(0);
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, cols> at(std::size_t r, Ctx const& ctx) const {
    auto out = arg.template at<T>(r, ctx);
    for (std::size_t j = 0; j < cols; ++j) out[j] = apply(out[j], static_cast<T>(beta));
    return out;
  }
};

template <int K, class X, class S>
constexpr auto slope(smooth_l1_<K, X> const& e, S const&) {
  if constexpr (K < 2) return smooth_l1_<K + 1, X>{{}, e.arg, e.beta};
  else return zero{};  // piecewise constant
}

/// Per-row node shapes: rows of X, and `Cols` columns.
template <template <class> class Node, class X, std::size_t Cols>
struct row_node : node<Node<X>> {
  using shape_type = shape<shape_of_t<X>::rows, Cols>;
  static constexpr std::size_t cols_in = shape_of_t<X>::cols;
  X arg;

  constexpr explicit row_node(X x) : arg(x) {}
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return arg.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return Node<decltype(tapeless::detail::apply_child<0>(f, arg))>{tapeless::detail::apply_child<0>(f, arg)};
  }

 protected:
  /// The largest value of row `v` (subtracted before exponentiating).
  template <class T>
  TAPELESS_HOST_DEVICE static T row_max(row<T, cols_in> const& v) {
    T m = v[0];
    for (std::size_t j = 1; j < cols_in; ++j) m = v[j] > m ? v[j] : m;
    return m;
  }
};

/// log Σⱼ e^(x_rj) for each row r (rows×1), computed as m + log Σⱼ e^(x_rj − m).
template <class X>
struct logsumexp_ : row_node<logsumexp_, X, 1> {
  using row_node<logsumexp_, X, 1>::row_node;
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, 1> at(std::size_t r, Ctx const& ctx) const {
    using std::exp;
    using std::log;
    auto const v = this->arg.template at<T>(r, ctx);
    T const m = this->row_max(v);
    T s = T(0);
    for (std::size_t j = 0; j < this->cols_in; ++j) s += exp(v[j] - m);
    return {{m + log(s)}};
  }
};

/// e^(x_rj) / Σₖ e^(x_rk) for each row r (rows×C).
template <class X>
struct softmax_ : row_node<softmax_, X, shape_of_t<X>::cols> {
  using row_node<softmax_, X, shape_of_t<X>::cols>::row_node;
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, shape_of_t<X>::cols> at(std::size_t r, Ctx const& ctx) const {
    using std::exp;
    auto v = this->arg.template at<T>(r, ctx);
    T const m = this->row_max(v);
    T s = T(0);
    for (std::size_t j = 0; j < this->cols_in; ++j) s += (v[j] = exp(v[j] - m));
    for (std::size_t j = 0; j < this->cols_in; ++j) v[j] /= s;
    return v;
  }
};

// d lse(x) = Σⱼ softmax(x)ⱼ dxⱼ  (per row)
template <class X, class W>
constexpr auto derivative(logsumexp_<X> const& e, W w) {
  auto const dx = broadcast_like(e.arg, derivative(e.arg, w));
  return broadcast_like(e, build_rowsum(build_mul(softmax_<X>{e.arg}, dx)));
}
// d softmax(x) = s ⊙ (dx − Σⱼ sⱼ dxⱼ)  (per row)
template <class X, class W>
constexpr auto derivative(softmax_<X> const& e, W w) {
  auto const s = softmax_<X>{e.arg};
  auto const dx = broadcast_like(e.arg, derivative(e.arg, w));
  return broadcast_like(e, build_mul(s, build_sub(dx, build_rowsum(build_mul(s, dx)))));
}

/// Row r is the one-hot encoding of the class index `index[r]` among `C`
/// classes (validated when the loss is built; an index changed to one outside
/// [0, C) afterwards reads as a row of zeros, never out of bounds). The indices
/// are rows of data, on `where`, as a data leaf's values are.
template <class I, std::size_t R, std::size_t C>
struct class_one_hot : node<class_one_hot<I, R, C>> {
  using shape_type = shape<R, C>;
  I const* index;
  std::size_t n;
  tapeless::device where = tapeless::cpu;

  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return n; }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, C> at(std::size_t r, Ctx const&) const {
    row<T, C> out;
    I const k = index[R == 1 ? 0 : r];
    for (std::size_t j = 0; j < C; ++j) out[j] = (k >= 0 && static_cast<std::size_t>(k) == j) ? T(1) : T(0);
    return out;
  }
};

// the classes are data: they do not depend on any parameter
template <class I, std::size_t R, std::size_t C, class W>
constexpr zero derivative(class_one_hot<I, R, C> const&, W) { return {}; }

}  // namespace tapeless::expr

namespace tapeless::detail {
template <class I, std::size_t R, std::size_t C>
inline constexpr bool is_row_source<expr::class_one_hot<I, R, C>> = true;
}  // namespace tapeless::detail
