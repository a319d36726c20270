#pragma once
// Elementwise arithmetic: `a + b`, `a - b`, `-a`, `a / b`, scaling `s * a`,
// `tl::hadamard(a, b)`, and `broadcast_to`, the node that keeps a derivative
// at the shape of what it differentiates. Builders (`build_*`) are the only
// place that simplifies: 0 and 1 fold away, constants fold, negations and
// constant factors move outward, and commutative operands take a canonical
// order (constants first in products, last in sums).

#include "base.hpp"
#include "leaf.hpp"
#include "node.hpp"
#include "operand.hpp"

#include <cstddef>
#include <string>
#include <utility>
#include <type_traits>

namespace tapeless::expr {

template <class L, class R>
struct add : binary_node<add, L, R> {
  using binary_node<add, L, R>::binary_node;
  template <class T>
  TAPELESS_HOST_DEVICE static constexpr T apply(T a, T b) { return a + b; }
};
template <class L, class R>
struct sub : binary_node<sub, L, R> {
  using binary_node<sub, L, R>::binary_node;
  template <class T>
  TAPELESS_HOST_DEVICE static constexpr T apply(T a, T b) { return a - b; }
};
/// Elementwise product (scaling by a scalar, or `tl::hadamard`).
template <class L, class R>
struct mul : binary_node<mul, L, R> {
  using binary_node<mul, L, R>::binary_node;
  template <class T>
  TAPELESS_HOST_DEVICE static constexpr T apply(T a, T b) { return a * b; }
};
template <class L, class R>
struct div : binary_node<div, L, R> {
  using binary_node<div, L, R>::binary_node;
  template <class T>
  TAPELESS_HOST_DEVICE static constexpr T apply(T a, T b) { return a / b; }
};
template <class X>
struct neg : unary_node<neg, X> {
  using unary_node<neg, X>::unary_node;
  template <class T>
  TAPELESS_HOST_DEVICE static constexpr T apply(T a) { return -a; }
};

/// `X` repeated to shape `S` (S's run-time rows stored when S has `dyn` rows).
template <class S, class X>
struct broadcast_to : node<broadcast_to<S, X>> {
  using shape_type = S;
  static constexpr std::size_t cols = S::cols;
  X arg;
  std::size_t n;

  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return n; }
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return broadcast_to<S, decltype(tapeless::detail::apply_child<0>(f, arg))>{
        {}, tapeless::detail::apply_child<0>(f, arg), n};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, cols> at(std::size_t r, Ctx const& ctx) const {
    auto const a = arg.template at<T>(r, ctx);
    constexpr std::size_t ca = shape_of_t<X>::cols;
    row<T, cols> out;
    for (std::size_t j = 0; j < cols; ++j) out[j] = a[ca == 1 ? 0 : j];
    return out;
  }
};

namespace detail {
template <class E>
inline constexpr bool is_neg = false;
template <class X>
inline constexpr bool is_neg<neg<X>> = true;
template <class E>
inline constexpr bool is_scaled = false;  // constant<N> * X
template <int N, class X>
inline constexpr bool is_scaled<mul<constant<N>, X>> = true;
template <class E>
inline constexpr bool is_broadcast = false;
template <class S, class X>
inline constexpr bool is_broadcast<broadcast_to<S, X>> = true;

/// Throws when two batch extents differ: "tapeless::<api>: operands have 5 and 4 rows; …".
template <class A, class B>
void check_rows(A const& a, B const& b, char const* api) {
  if constexpr (shape_of_t<A>::rows == dyn && shape_of_t<B>::rows == dyn) {
    if (a.rows() != b.rows())
      tapeless::detail::fail(std::string("tapeless::") + api + ": operands have " + std::to_string(a.rows()) +
                             " and " + std::to_string(b.rows()) +
                             " rows; the batch (dyn) extents must be equal");
  }
}
}  // namespace detail

template <class A, class B>
constexpr auto build_add(A const& a, B const& b);
template <class A, class B>
constexpr auto build_mul(A const& a, B const& b);

template <class X>
constexpr auto build_neg(X const& x) {
  if constexpr (detail::is_constant<X>) return constant<-X::value>{};
  else if constexpr (detail::is_neg<X>) return x.arg;
  else if constexpr (detail::is_scaled<X>) return build_mul(constant<-decltype(x.lhs)::value>{}, x.rhs);
  else return neg<X>{x};
}

template <class A, class B>
constexpr auto build_add(A const& a, B const& b) {
  detail::check_rows(a, b, "operator+");
  if constexpr (detail::is_zero<A>) return b;
  else if constexpr (detail::is_zero<B>) return a;
  else if constexpr (detail::is_constant<A> && detail::is_constant<B>) return constant<A::value + B::value>{};
  else if constexpr (detail::is_broadcast<B> && std::is_same_v<shape_of_t<A>, shape_of_t<B>>) return build_add(a, b.arg);
  else if constexpr (detail::is_broadcast<A> && std::is_same_v<shape_of_t<A>, shape_of_t<B>>) return build_add(a.arg, b);
  else if constexpr (detail::canon_rank<A> < detail::canon_rank<B>) return add<B, A>{b, a};
  else return add<A, B>{a, b};
}

template <class A, class B>
constexpr auto build_sub(A const& a, B const& b) {
  detail::check_rows(a, b, "operator-");
  if constexpr (detail::is_zero<B>) return a;
  else if constexpr (detail::is_zero<A>) return build_neg(b);
  else if constexpr (detail::is_constant<A> && detail::is_constant<B>) return constant<A::value - B::value>{};
  else if constexpr (detail::is_neg<B>) return build_add(a, b.arg);
  else return sub<A, B>{a, b};
}

template <class A, class B>
constexpr auto build_mul(A const& a, B const& b) {
  detail::check_rows(a, b, "operator*");
  if constexpr (detail::canon_rank<B> < detail::canon_rank<A>) return build_mul(b, a);
  else if constexpr (detail::is_zero<A> || detail::is_zero<B>) return zero{};
  else if constexpr (detail::is_one<A>) return b;
  else if constexpr (detail::is_one<B>) return a;
  else if constexpr (std::is_same_v<A, constant<-1>>) return build_neg(b);
  else if constexpr (detail::is_constant<A> && detail::is_constant<B>) return constant<A::value * B::value>{};
  else if constexpr (detail::is_constant<A> && detail::is_scaled<B>)
    return build_mul(constant<A::value * decltype(b.lhs)::value>{}, b.rhs);
  else if constexpr (detail::is_scaled<A> && !detail::is_constant<B>) return build_mul(a.lhs, build_mul(a.rhs, b));
  else if constexpr (detail::is_scaled<B> && !detail::is_constant<A>) return build_mul(b.lhs, build_mul(a, b.rhs));
  else if constexpr (detail::is_neg<A>) return build_neg(build_mul(a.arg, b));
  else if constexpr (detail::is_neg<B>) return build_neg(build_mul(a, b.arg));
  else if constexpr (detail::is_broadcast<B> && std::is_same_v<shape_of_t<A>, shape_of_t<B>>) return build_mul(a, b.arg);
  else if constexpr (detail::is_broadcast<A> && std::is_same_v<shape_of_t<A>, shape_of_t<B>>) return build_mul(a.arg, b);
  else return mul<A, B>{a, b};
}

template <class A, class B>
constexpr auto build_div(A const& a, B const& b) {
  detail::check_rows(a, b, "operator/");
  if constexpr (detail::is_zero<A>) return zero{};
  else if constexpr (detail::is_one<B>) return a;
  else return div<A, B>{a, b};
}

/// `x`, repeated to the shape of `like` when its own shape is smaller.
template <class Like, class X>
constexpr auto broadcast_like(Like const& like, X const& x) {
  if constexpr (detail::is_zero<X> || std::is_same_v<shape_of_t<X>, shape_of_t<Like>>) return x;
  else if constexpr (detail::is_broadcast<X>) return broadcast_like(like, x.arg);
  else return broadcast_to<shape_of_t<Like>, X>{{}, x, tapeless::detail::rows_of(like)};
}

// d(l + r) = dl + dr;  d(l - r) = dl - dr;  d(-x) = -dx
template <class L, class R, class W>
constexpr auto derivative(add<L, R> const& e, W w) {
  return broadcast_like(e, build_add(derivative(e.lhs, w), derivative(e.rhs, w)));
}
template <class L, class R, class W>
constexpr auto derivative(sub<L, R> const& e, W w) {
  return broadcast_like(e, build_sub(derivative(e.lhs, w), derivative(e.rhs, w)));
}
template <class X, class W>
constexpr auto derivative(neg<X> const& e, W w) {
  return build_neg(derivative(e.arg, w));
}
// d(l ⊙ r) = dl ⊙ r + l ⊙ dr
template <class L, class R, class W>
constexpr auto derivative(mul<L, R> const& e, W w) {
  return broadcast_like(e, build_add(build_mul(derivative(e.lhs, w), e.rhs), build_mul(e.lhs, derivative(e.rhs, w))));
}
// d(l / r) = dl / r − l ⊙ dr / (r ⊙ r)
template <class L, class R, class W>
constexpr auto derivative(div<L, R> const& e, W w) {
  return broadcast_like(e, build_sub(build_div(derivative(e.lhs, w), e.rhs),
                                     build_div(build_mul(e.lhs, derivative(e.rhs, w)), build_mul(e.rhs, e.rhs))));
}
// d(broadcast(x)) = broadcast(dx)
template <class S, class X, class W>
constexpr auto derivative(broadcast_to<S, X> const& e, W w) {
  return broadcast_like(e, derivative(e.arg, w));
}

// ---- public operators (found by ADL for nodes; re-exported in tapeless) ----

/// `x` with shape `S` (and `rows` rows when S's rows are dyn): a folded `0`
/// stands for a zero of any shape inside derivatives, but a user's `0 * X` keeps X's shape.
template <class S, class X>
constexpr auto with_shape(X const& x, std::size_t rows) {
  if constexpr (std::is_same_v<shape_of_t<X>, S>) return x;
  else return broadcast_to<S, X>{{}, x, rows};
}

/// Builds `a op b` from user operands: converts them, then keeps the broadcast shape.
template <class A, class B, class Build>
constexpr auto build_public(A&& a, B&& b, Build build) {
  auto const x = tapeless::detail::as_expr(std::forward<A>(a));
  auto const y = tapeless::detail::as_expr(std::forward<B>(b));
  using S = broadcast_t<shape_of_t<decltype(x)>, shape_of_t<decltype(y)>>;
  return with_shape<S>(build(x, y), tapeless::detail::broadcast_rows(x, y));
}

// `a op b` for the elementwise operators: shapes must broadcast (checked before building).
#define TAPELESS_ELEMENTWISE_OPERATOR(OP, BUILD)                                                                     \
  template <class A, class B>                                                                                      \
    requires operand_pair<A, B>                                                                                    \
  constexpr auto operator OP(A&& a, B&& b) {                                                                       \
    static_assert(broadcastable<shape_of_t<as_expr_t<A>>, shape_of_t<as_expr_t<B>>>,                               \
                  "tapeless::operator" #OP ": operand shapes cannot be broadcast together; each extent must be "   \
                  "equal or 1 (a static extent above 1 never meets the dyn batch extent)");                       \
    return build_public(std::forward<A>(a), std::forward<B>(b),                                                     \
                        [](auto const& x, auto const& y) { return BUILD(x, y); });                                  \
  }
TAPELESS_ELEMENTWISE_OPERATOR(+, build_add)
TAPELESS_ELEMENTWISE_OPERATOR(-, build_sub)
TAPELESS_ELEMENTWISE_OPERATOR(/, build_div)
#undef TAPELESS_ELEMENTWISE_OPERATOR

template <class A>
  requires(expression<std::remove_cvref_t<A>> || has_expression_view<std::remove_cvref_t<A>>)
constexpr auto operator-(A&& a) {
  return build_neg(tapeless::detail::as_expr(std::forward<A>(a)));
}

}  // namespace tapeless::expr

namespace tapeless {
using expr::operator+;
using expr::operator-;
using expr::operator/;

/// Elementwise (Hadamard) product with broadcasting, `torch.mul`: `*` is the matrix product.
template <operand A, operand B>
constexpr auto hadamard(A&& a, B&& b) {
  using SA = shape_of_t<as_expr_t<A>>;
  using SB = shape_of_t<as_expr_t<B>>;
  static_assert(broadcastable<SA, SB>,
                "tapeless::hadamard: operand shapes cannot be broadcast together; each extent must be equal or 1 "
                "(a static extent above 1 never meets the dyn batch extent)");
  return expr::build_public(std::forward<A>(a), std::forward<B>(b),
                            [](auto const& x, auto const& y) { return expr::build_mul(x, y); });
}
}  // namespace tapeless
