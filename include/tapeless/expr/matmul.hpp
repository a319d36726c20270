#pragma once
// The matrix product `A * B` (math and Eigen convention), column selection
// `col<K>(A)` and `transpose(A)`. `*` scales when either side is a scalar
// (1×1), so `x * w` with a 1×1 `w` reads like the lecture's `x_train * w`.
//
// Row-separable by construction: row r of A*B is row r of A times the whole
// of B, so B must have static rows (the inner extent is never the batch).

#include "arith.hpp"
#include "base.hpp"
#include "leaf.hpp"
#include "node.hpp"
#include "operand.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tapeless::expr {

template <class L, class R>
struct matmul : node<matmul<L, R>> {
  using shape_type = shape<shape_of_t<L>::rows, shape_of_t<R>::cols>;
  static constexpr std::size_t inner = shape_of_t<L>::cols;
  static constexpr std::size_t cols = shape_type::cols;
  L lhs;
  R rhs;

  constexpr matmul(L l, R r) : lhs(l), rhs(r) {}
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return lhs.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(lhs, rhs); }
  template <class F>
  constexpr auto map(F& f) const {
    return matmul<decltype(tapeless::detail::apply_child<0>(f, lhs)), decltype(tapeless::detail::apply_child<1>(f, rhs))>{
        tapeless::detail::apply_child<0>(f, lhs), tapeless::detail::apply_child<1>(f, rhs)};
  }
  /// Independent partial sums of a long, narrow product: one chain of `inner`
  /// dependent adds would bound the row's latency (and cannot vectorise
  /// without reordering it); `chains` interleaved ones, added pairwise at the
  /// end, can. Short or wide products keep the plain order.
  static constexpr std::size_t chains = inner >= 16 && cols < 8 ? 8 : 1;

  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, cols> at(std::size_t r, Ctx const& ctx) const {
    auto const a = lhs.template at<T>(r, ctx);
    row<T, cols> out;
    if constexpr (chains == 1) {
      for (std::size_t j = 0; j < cols; ++j) out[j] = T(0);
      for (std::size_t k = 0; k < inner; ++k) {
        auto const b = rhs.template at<T>(k, ctx);
        for (std::size_t j = 0; j < cols; ++j) out[j] += a[k] * b[j];
      }
    } else {
      T part[cols][chains];
      for (std::size_t j = 0; j < cols; ++j)
        for (std::size_t c = 0; c < chains; ++c) part[j][c] = T(0);
      std::size_t k = 0;
      for (; k + chains <= inner; k += chains)
        for (std::size_t c = 0; c < chains; ++c) {
          auto const b = rhs.template at<T>(k + c, ctx);
          for (std::size_t j = 0; j < cols; ++j) part[j][c] += a[k + c] * b[j];
        }
      for (std::size_t c = 0; k < inner; ++k, ++c) {
        auto const b = rhs.template at<T>(k, ctx);
        for (std::size_t j = 0; j < cols; ++j) part[j][c] += a[k] * b[j];
      }
      for (std::size_t width = chains / 2; width > 0; width /= 2)
        for (std::size_t c = 0; c < width; ++c)
          for (std::size_t j = 0; j < cols; ++j) part[j][c] += part[j][c + width];
      for (std::size_t j = 0; j < cols; ++j) out[j] = part[j][0];
    }
    return out;
  }
};

/// Column `K` of `X`, as a one-column expression.
template <std::size_t K, class X>
struct col : node<col<K, X>> {
  static_assert(K < shape_of_t<X>::cols, "tapeless::col: column index outside the shape");
  using shape_type = shape<shape_of_t<X>::rows, 1>;
  X arg;

  constexpr explicit col(X x) : arg(x) {}
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return arg.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return col<K, decltype(tapeless::detail::apply_child<0>(f, arg))>{tapeless::detail::apply_child<0>(f, arg)};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, 1> at(std::size_t r, Ctx const& ctx) const {
    return {{arg.template at<T>(r, ctx)[K]}};
  }
};

/// The transpose of a static-shape `X`.
template <class X>
struct transpose_ : node<transpose_<X>> {
  static_assert(shape_of_t<X>::rows != dyn,
                "tapeless::transpose: the batch (dyn) extent cannot become a column; transpose static shapes only");
  using shape_type = shape<shape_of_t<X>::cols, shape_of_t<X>::rows>;
  static constexpr std::size_t cols = shape_type::cols;
  X arg;

  constexpr explicit transpose_(X x) : arg(x) {}
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return transpose_<decltype(tapeless::detail::apply_child<0>(f, arg))>{tapeless::detail::apply_child<0>(f, arg)};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, cols> at(std::size_t r, Ctx const& ctx) const {
    row<T, cols> out;
    std::size_t const j = shape_type::rows == 1 ? 0 : r;  // one row broadcasts to every row
    for (std::size_t k = 0; k < cols; ++k) out[k] = arg.template at<T>(k, ctx)[j];
    return out;
  }
};

namespace detail {
template <class E>
inline constexpr bool is_unit = false;
template <std::size_t R, std::size_t C, std::size_t I, std::size_t J>
inline constexpr bool is_unit<unit<R, C, I, J>> = true;
template <class E>
inline constexpr bool is_transpose = false;
template <class X>
inline constexpr bool is_transpose<transpose_<X>> = true;
}  // namespace detail

template <std::size_t K, class X>
constexpr auto build_col(X const& x) {
  if constexpr (detail::is_zero<X>) {
    return zero{};
  } else if constexpr (detail::is_unit<X>) {
    // column K of the one-hot matrix e_IJ
    return []<std::size_t R, std::size_t C, std::size_t I, std::size_t J>(unit<R, C, I, J>) {
      if constexpr (J != K) return zero{};
      else if constexpr (R == 1) return one{};
      else return unit<R, 1, I, 0>{};
    }(x);
  } else if constexpr (shape_of_t<X>::cols == 1) {
    return x;
  } else {
    return col<K, X>{x};
  }
}

template <class X>
constexpr auto build_transpose(X const& x) {
  if constexpr (detail::is_zero<X> || detail::is_constant<X>) return x;
  else if constexpr (detail::is_transpose<X>) return x.arg;
  else if constexpr (detail::is_unit<X>)
    return []<std::size_t R, std::size_t C, std::size_t I, std::size_t J>(unit<R, C, I, J>) {
      return unit<C, R, J, I>{};
    }(x);
  else return transpose_<X>{x};
}

template <class A, class B>
constexpr auto build_matmul(A const& a, B const& b) {
  if constexpr (detail::is_zero<A> || detail::is_zero<B>) {
    return zero{};
  } else if constexpr (detail::is_unit<B> && shape_of_t<B>::cols == 1) {
    // A · e_I0 = column I of A
    return []<std::size_t R, std::size_t I>(A const& lhs, unit<R, 1, I, 0>) { return build_col<I>(lhs); }(a, b);
  } else if constexpr (detail::is_scaled<B>) {
    return build_mul(b.lhs, build_matmul(a, b.rhs));
  } else if constexpr (detail::is_scaled<A>) {
    return build_mul(a.lhs, build_matmul(a.rhs, b));
  } else {
    return matmul<A, B>{a, b};
  }
}

// d(A·B) = dA·B + A·dB
template <class L, class R, class W>
constexpr auto derivative(matmul<L, R> const& e, W w) {
  return build_add(build_matmul(derivative(e.lhs, w), e.rhs), build_matmul(e.lhs, derivative(e.rhs, w)));
}
// d(col_K(X)) = col_K(dX);  d(Xᵀ) = (dX)ᵀ
template <std::size_t K, class X, class W>
constexpr auto derivative(col<K, X> const& e, W w) {
  return broadcast_like(e, build_col<K>(derivative(e.arg, w)));
}
template <class X, class W>
constexpr auto derivative(transpose_<X> const& e, W w) {
  return build_transpose(derivative(e.arg, w));
}

/// `A * B` from user operands: the product keeps its shape (rows of A, columns of B).
template <class A, class B>
constexpr auto build_public_matmul(A&& a, B&& b) {
  auto const x = tapeless::detail::as_expr(std::forward<A>(a));
  auto const y = tapeless::detail::as_expr(std::forward<B>(b));
  using S = shape<shape_of_t<decltype(x)>::rows, shape_of_t<decltype(y)>::cols>;
  return with_shape<S>(build_matmul(x, y), tapeless::detail::rows_of(x));
}

template <class A, class B>
  requires operand_pair<A, B>
constexpr auto operator*(A&& a, B&& b) {
  using SA = shape_of_t<as_expr_t<A>>;
  using SB = shape_of_t<as_expr_t<B>>;
  if constexpr (SA::scalar || SB::scalar) {
    return build_public(std::forward<A>(a), std::forward<B>(b),
                        [](auto const& x, auto const& y) { return build_mul(x, y); });
  } else {
    static_assert(SB::rows != dyn,
                  "tapeless::operator*: the right operand's rows are the batch (dyn) extent; put the data on the "
                  "left (X * w), or write a product over the batch with sum or mean");
    static_assert(matmul_compatible<SA, SB>,
                  "tapeless::operator*: inner extents differ (lhs columns vs rhs rows); transpose one operand or "
                  "use tl::hadamard for an elementwise product");
    if constexpr (matmul_compatible<SA, SB>) return build_public_matmul(std::forward<A>(a), std::forward<B>(b));
  }
}

}  // namespace tapeless::expr

namespace tapeless {
using expr::operator*;

/// The matrix product, `torch.matmul`: the same as `a * b` for non-scalars.
template <operand A, operand B>
constexpr auto matmul(A&& a, B&& b) {
  using SA = shape_of_t<as_expr_t<A>>;
  using SB = shape_of_t<as_expr_t<B>>;
  static_assert(SB::rows != dyn,
                "tapeless::matmul: the right operand's rows are the batch (dyn) extent; a product over the batch "
                "is a reduction, write it with sum or mean");
  static_assert(matmul_compatible<SA, SB>,
                "tapeless::matmul: inner extents differ (lhs columns vs rhs rows); transpose one operand");
  if constexpr (matmul_compatible<SA, SB>) return expr::build_public_matmul(std::forward<A>(a), std::forward<B>(b));
}

/// The transpose of a static-shape expression (`W.T`).
template <operand X>
constexpr auto transpose(X&& x) {
  return expr::build_transpose(detail::as_expr(std::forward<X>(x)));
}

/// Column `K` of an expression.
template <std::size_t K, operand X>
constexpr auto col(X&& x) {
  static_assert(K < shape_of_t<as_expr_t<X>>::cols, "tapeless::col: column index outside the shape");
  return expr::build_col<K>(detail::as_expr(std::forward<X>(x)));
}
}  // namespace tapeless
