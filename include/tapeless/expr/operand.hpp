#pragma once
// What may stand on either side of an operator: an expression, a tensor or a
// parameter (each converts through its `.expr()`), or a plain number.

#include "leaf.hpp"
#include "node.hpp"

#include <concepts>
#include <type_traits>

namespace tapeless {

/// Satisfied by tensors and parameters: things with an expression view.
template <class X>
concept has_expression_view = requires(X const& x) {
  { x.expr() } -> expression;
};

/// Anything an operator accepts: an expression, a tensor, a parameter or a number.
template <class X>
concept operand = expression<X> || has_expression_view<X> || std::is_arithmetic_v<X>;

/// Operands of which at least one is a tapeless object (so `1 + 2` stays plain C++).
template <class A, class B>
concept operand_pair = operand<A> && operand<B> && !(std::is_arithmetic_v<A> && std::is_arithmetic_v<B>);

namespace detail {
template <operand X>
constexpr auto as_expr(X const& x) {
  if constexpr (expression<X>) return x;
  else if constexpr (has_expression_view<X>) return x.expr();
  else return expr::scalar<X>{{}, x};
}
}  // namespace detail

/// The expression type an operand becomes.
template <operand X>
using as_expr_t = decltype(detail::as_expr(std::declval<X const&>()));

}  // namespace tapeless

namespace tapeless::expr::detail {
// Rank used to order the operands of commutative nodes canonically:
// compile-time constants, run-time scalars, parameters, data, composites.
template <class E>
inline constexpr int canon_rank = 4;
template <int N>
inline constexpr int canon_rank<constant<N>> = 0;
template <class T>
inline constexpr int canon_rank<scalar<T>> = 1;
template <fixed_name Name, std::size_t R, std::size_t C, class T>
inline constexpr int canon_rank<param_ref<Name, R, C, T>> = 2;
template <class T, std::size_t R, std::size_t C>
inline constexpr int canon_rank<data<T, R, C>> = 3;

template <class E>
inline constexpr bool is_constant = false;
template <int N>
inline constexpr bool is_constant<constant<N>> = true;
template <class E>
inline constexpr bool is_zero = std::is_same_v<E, zero>;
template <class E>
inline constexpr bool is_one = std::is_same_v<E, one>;
}  // namespace tapeless::expr::detail
