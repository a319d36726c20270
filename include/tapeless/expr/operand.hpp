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

/// Anything an operator accepts: an expression, a tensor, a parameter or a number
/// (cv-qualifiers and references ignored, so it constrains forwarding references).
template <class X>
concept operand = expression<std::remove_cvref_t<X>> || has_expression_view<std::remove_cvref_t<X>> ||
                  std::is_arithmetic_v<std::remove_cvref_t<X>>;

/// Operands of which at least one is a tapeless object (so `1 + 2` stays plain C++).
template <class A, class B>
concept operand_pair = operand<A> && operand<B> &&
                       !(std::is_arithmetic_v<std::remove_cvref_t<A>> && std::is_arithmetic_v<std::remove_cvref_t<B>>);

namespace detail {
/// True for types that own the values an expression would view (tensors, parameters).
template <class X>
inline constexpr bool owning = false;

/// The expression an operand becomes. A temporary tensor or parameter is refused:
/// the expression would keep a view of values destroyed at the end of the statement.
template <operand X>
constexpr auto as_expr(X&& x) {
  using V = std::remove_cvref_t<X>;
  static_assert(!(owning<V> && std::is_rvalue_reference_v<X&&>),
                "tapeless: a temporary tensor or parameter would dangle inside the expression (expressions keep "
                "views of their data); give it a name first");
  if constexpr (expression<V>) return V(x);
  else if constexpr (has_expression_view<V>) return x.expr();
  else return expr::scalar<V>{{}, x};
}
}  // namespace detail

/// The expression type an operand becomes.
template <operand X>
using as_expr_t = decltype(detail::as_expr(std::declval<std::remove_cvref_t<X> const&>()));

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
