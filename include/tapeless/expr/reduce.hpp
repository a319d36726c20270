#pragma once
// Reductions: over every element, `tl::sum(x)` and `tl::mean(x)` (1×1); over
// the columns of each row, `tl::rowsum(x)` (rows×1); over the rows of each
// column, `tl::colsum(x)` (1×C); and `gram(a, b)` = aᵀ·b summed over rows
// (what reverse mode builds for the gradient of a weight matrix).
//
// A reduction over an expression with `dyn` rows is what lowering turns into
// the one pass over the data; evaluated directly (outside a lowered loss) it
// loops over the rows itself, accumulating in double.

#include "arith.hpp"
#include "leaf.hpp"
#include "node.hpp"
#include "operand.hpp"

#include <cstddef>
#include <tuple>
#include <utility>

namespace tapeless::detail {
/// The column sums of `x` over all of its rows, accumulated in double.
template <class T, class X, class Ctx>
TAPELESS_HOST_DEVICE expr::row<T, shape_of_t<X>::cols> sum_rows(X const& x, Ctx const& ctx) {
  constexpr std::size_t C = shape_of_t<X>::cols;
  double total[C] = {};
  std::size_t const n = rows_of(x);
  for (std::size_t r = 0; r < n; ++r) {
    auto const v = x.template at<T>(r, ctx);
    for (std::size_t j = 0; j < C; ++j) total[j] += static_cast<double>(v[j]);
  }
  expr::row<T, C> out;
  for (std::size_t j = 0; j < C; ++j) out[j] = static_cast<T>(total[j]);
  return out;
}
}  // namespace tapeless::detail

namespace tapeless::expr {

template <template <class> class Node, class X>
struct reduction_node : node<Node<X>> {
  using shape_type = scalar_shape;
  X arg;

  constexpr explicit reduction_node(X x) : arg(x) {}
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return Node<decltype(tapeless::detail::apply_child<0>(f, arg))>{tapeless::detail::apply_child<0>(f, arg)};
  }
  /// Number of elements summed (run time when the rows are `dyn`).
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t count() const {
    return tapeless::detail::rows_of(arg) * shape_of_t<X>::cols;
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE row<T, 1> at(std::size_t, Ctx const& ctx) const {
    double total = 0;
    std::size_t const n = tapeless::detail::rows_of(arg);
    for (std::size_t r = 0; r < n; ++r) {
      auto const v = arg.template at<T>(r, ctx);
      for (std::size_t j = 0; j < shape_of_t<X>::cols; ++j) total += static_cast<double>(v[j]);
    }
    return {{static_cast<T>(total * Node<X>::scale(count()))}};
  }
};

template <class X>
struct sum : reduction_node<sum, X> {
  using reduction_node<sum, X>::reduction_node;
  TAPELESS_HOST_DEVICE static constexpr double scale(std::size_t) { return 1.0; }
};
template <class X>
struct mean : reduction_node<mean, X> {
  using reduction_node<mean, X>::reduction_node;
  TAPELESS_HOST_DEVICE static constexpr double scale(std::size_t n) { return 1.0 / static_cast<double>(n); }
};

/// Σⱼ x_rj: the sum of each row (rows×1); row-local, not a reduction over rows.
template <class X>
struct rowsum : node<rowsum<X>> {
  using shape_type = shape<shape_of_t<X>::rows, 1>;
  X arg;

  constexpr explicit rowsum(X x) : arg(x) {}
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return arg.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return rowsum<decltype(tapeless::detail::apply_child<0>(f, arg))>{tapeless::detail::apply_child<0>(f, arg)};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, 1> at(std::size_t r, Ctx const& ctx) const {
    auto const v = arg.template at<T>(r, ctx);
    T s = v[0];
    for (std::size_t j = 1; j < shape_of_t<X>::cols; ++j) s += v[j];
    return {{s}};
  }
};

/// The row-by-row outer product a_rᵀ·b_r, flattened row-major into one row of
/// Ca·Cb values: the per-row term of `gram` in the one pass.
template <class A, class B>
struct outer : node<outer<A, B>> {
  static constexpr std::size_t ca = shape_of_t<A>::cols, cb = shape_of_t<B>::cols;
  using shape_type = shape<broadcast_t<shape_of_t<A>, shape_of_t<B>>::rows, ca * cb>;
  A lhs;
  B rhs;

  constexpr outer(A a, B b) : lhs(a), rhs(b) {}
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const {
    return tapeless::detail::broadcast_rows(lhs, rhs);
  }
  [[nodiscard]] constexpr auto children() const { return std::tie(lhs, rhs); }
  template <class F>
  constexpr auto map(F& f) const {
    using L = decltype(tapeless::detail::apply_child<0>(f, lhs));
    using R = decltype(tapeless::detail::apply_child<1>(f, rhs));
    return outer<L, R>{tapeless::detail::apply_child<0>(f, lhs), tapeless::detail::apply_child<1>(f, rhs)};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, ca * cb> at(std::size_t r, Ctx const& ctx) const {
    auto const a = lhs.template at<T>(r, ctx);
    auto const b = rhs.template at<T>(r, ctx);
    row<T, ca * cb> out;
    for (std::size_t i = 0; i < ca; ++i)
      for (std::size_t j = 0; j < cb; ++j) out[i * cb + j] = a[i] * b[j];
    return out;
  }
};

/// Reductions over rows that keep a matrix: `colsum<X>` = Σᵣ x_r (1×C) and
/// `gram<A, B>` = Σᵣ a_rᵀ·b_r = AᵀB (Ca×Cb). `term()` is the per-row value
/// the one pass sums (lowering), as one row of R·C values.
template <class X>
struct colsum : node<colsum<X>> {
  using shape_type = shape<1, shape_of_t<X>::cols>;
  X arg;

  constexpr explicit colsum(X x) : arg(x) {}
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return colsum<decltype(tapeless::detail::apply_child<0>(f, arg))>{tapeless::detail::apply_child<0>(f, arg)};
  }
  template <class F>
  constexpr auto term(F& f) const {
    return f(arg);
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE row<T, shape_type::cols> at(std::size_t, Ctx const& ctx) const {
    return tapeless::detail::sum_rows<T>(arg, ctx);
  }
};

template <class A, class B>
struct gram : node<gram<A, B>> {
  static_assert(shape_of_t<A>::rows == shape_of_t<B>::rows, "tapeless::gram: both sides run over the same rows");
  using shape_type = shape<shape_of_t<A>::cols, shape_of_t<B>::cols>;
  A lhs;
  B rhs;

  constexpr gram(A a, B b) : lhs(a), rhs(b) {}
  [[nodiscard]] constexpr auto children() const { return std::tie(lhs, rhs); }
  template <class F>
  constexpr auto map(F& f) const {
    using L = decltype(tapeless::detail::apply_child<0>(f, lhs));
    using R = decltype(tapeless::detail::apply_child<1>(f, rhs));
    return gram<L, R>{tapeless::detail::apply_child<0>(f, lhs), tapeless::detail::apply_child<1>(f, rhs)};
  }
  template <class F>
  constexpr auto term(F& f) const {
    auto const a = f(lhs);
    auto const b = f(rhs);
    return outer<decltype(a), decltype(b)>{a, b};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE row<T, shape_type::cols> at(std::size_t r, Ctx const& ctx) const {
    auto const all = tapeless::detail::sum_rows<T>(outer<A, B>{lhs, rhs}, ctx);
    row<T, shape_type::cols> out;
    for (std::size_t j = 0; j < shape_type::cols; ++j) out[j] = all[r * shape_type::cols + j];
    return out;
  }
};

namespace detail {
template <class E>
inline constexpr bool is_colsum = false;
template <class X>
inline constexpr bool is_colsum<colsum<X>> = true;
template <class E>
inline constexpr bool is_gram = false;
template <class A, class B>
inline constexpr bool is_gram<gram<A, B>> = true;
}  // namespace detail

template <class X>
constexpr auto build_sum(X const& x) {
  if constexpr (detail::is_zero<X>) return zero{};
  else if constexpr (detail::is_scaled<X>) return build_mul(x.lhs, build_sum(x.rhs));
  else if constexpr (detail::is_neg<X>) return build_neg(build_sum(x.arg));
  else return sum<X>{x};
}

template <class X>
constexpr auto build_mean(X const& x) {
  if constexpr (detail::is_constant<X>) return x;  // mean of a constant (incl. 0)
  else if constexpr (detail::is_scaled<X>) return build_mul(x.lhs, build_mean(x.rhs));
  else if constexpr (detail::is_neg<X>) return build_neg(build_mean(x.arg));
  else if constexpr (detail::is_broadcast<X>) return build_mean(x.arg);  // each element repeated equally often
  else return mean<X>{x};
}

template <class X>
constexpr auto build_rowsum(X const& x) {
  if constexpr (detail::is_zero<X> || shape_of_t<X>::cols == 1) return x;
  else if constexpr (detail::is_scaled<X>) return build_mul(x.lhs, build_rowsum(x.rhs));
  else if constexpr (detail::is_neg<X>) return build_neg(build_rowsum(x.arg));
  else return rowsum<X>{x};
}

template <class X>
constexpr auto build_colsum(X const& x) {
  if constexpr (detail::is_zero<X> || shape_of_t<X>::rows == 1) return x;
  else if constexpr (detail::is_scaled<X>) return build_mul(x.lhs, build_colsum(x.rhs));
  else if constexpr (detail::is_neg<X>) return build_neg(build_colsum(x.arg));
  else return colsum<X>{x};
}

/// Aᵀ·B over the rows of A and B (same row extent).
template <class A, class B>
constexpr auto build_gram(A const& a, B const& b) {
  if constexpr (detail::is_zero<A> || detail::is_zero<B>) return zero{};
  else if constexpr (detail::is_scaled<A>) return build_mul(a.lhs, build_gram(a.rhs, b));
  else if constexpr (detail::is_scaled<B>) return build_mul(b.lhs, build_gram(a, b.rhs));
  else if constexpr (detail::is_neg<A>) return build_neg(build_gram(a.arg, b));
  else if constexpr (detail::is_neg<B>) return build_neg(build_gram(a, b.arg));
  else return gram<A, B>{a, b};
}

// d(Σx) = Σdx;  d(mean x) = mean(dx)
template <class X, class W>
constexpr auto derivative(sum<X> const& e, W w) {
  return build_sum(derivative(e.arg, w));
}
template <class X, class W>
constexpr auto derivative(mean<X> const& e, W w) {
  return build_mean(derivative(e.arg, w));
}
// the row, column and Gram sums are linear too: d(AᵀB) = dAᵀB + AᵀdB
template <class X, class W>
constexpr auto derivative(rowsum<X> const& e, W w) {
  return broadcast_like(e, build_rowsum(broadcast_like(e.arg, derivative(e.arg, w))));
}
template <class X, class W>
constexpr auto derivative(colsum<X> const& e, W w) {
  return broadcast_like(e, build_colsum(broadcast_like(e.arg, derivative(e.arg, w))));
}
template <class A, class B, class W>
constexpr auto derivative(gram<A, B> const& e, W w) {
  return broadcast_like(e, build_add(build_gram(broadcast_like(e.lhs, derivative(e.lhs, w)), e.rhs),
                                     build_gram(e.lhs, broadcast_like(e.rhs, derivative(e.rhs, w)))));
}

}  // namespace tapeless::expr

namespace tapeless {

/// Sum of every element: Σᵢⱼ xᵢⱼ (1×1).
template <operand X>
constexpr auto sum(X&& x) {
  return expr::build_sum(detail::as_expr(std::forward<X>(x)));
}

/// Mean of every element: (1/n) Σᵢⱼ xᵢⱼ (1×1).
template <operand X>
constexpr auto mean(X&& x) {
  return expr::build_mean(detail::as_expr(std::forward<X>(x)));
}

/// The sum of each row, Σⱼ xᵢⱼ (rows×1; `x.sum(dim=1, keepdim=True)`).
template <operand X>
constexpr auto rowsum(X&& x) {
  return expr::build_rowsum(detail::as_expr(std::forward<X>(x)));
}

/// The sum of each column, Σᵢ xᵢⱼ (1×C; `x.sum(dim=0, keepdim=True)`).
template <operand X>
constexpr auto colsum(X&& x) {
  return expr::build_colsum(detail::as_expr(std::forward<X>(x)));
}

}  // namespace tapeless
