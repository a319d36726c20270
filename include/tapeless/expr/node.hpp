#pragma once
// What every expression node shares: the `expression` concept, the small
// per-row value type the evaluator passes around, and the evaluation context.
//
// Nodes live in `tapeless::expr` so that diagnostics read
// `tapeless::expr::add<…>`; the user-facing builders (`tl::exp`, `tl::sum`, …)
// live in `tapeless`. Every node is a small trivially copyable aggregate that
// holds its children by value (data leaves are views), so a whole tree copies
// into a kernel functor.

#include "../config.hpp"
#include "../shape.hpp"

#include <concepts>
#include <cstddef>
#include <tuple>
#include <type_traits>

namespace tapeless::expr {

/// Base of every node; the CRTP parameter keeps node bases distinct. There is
/// deliberately no common base class: a node's first child would then hold a
/// base subobject of the same type as the node's own, the two may not share an
/// address, and every node grew by 8 bytes of uninitialised padding — so two
/// equal expressions differed in their bytes and the program cache
/// (eval/evaluate.hpp) missed.
template <class Derived>
struct node {
  using tapeless_node_tag = void;
};

/// A fixed-size row of values: what one row of an expression evaluates to.
template <class T, std::size_t C>
struct row {
  T v[C];
  TAPELESS_HOST_DEVICE constexpr T& operator[](std::size_t j) { return v[j]; }
  TAPELESS_HOST_DEVICE constexpr T const& operator[](std::size_t j) const { return v[j]; }
};

/// What evaluation may read besides the tree itself: the parameter values of a
/// lowered tree (`params`), the row sums of the one pass (`acc`) and the shared
/// subterms of the current row (`cache`).
template <class T>
struct context {
  T const* params = nullptr;
  double const* acc = nullptr;
  T const* cache = nullptr;  // this row's shared subterms (see memo.hpp)
};

}  // namespace tapeless::expr

namespace tapeless {

/// Satisfied by tapeless expression nodes.
template <class E>
concept expression = requires {
  typename std::remove_cvref_t<E>::tapeless_node_tag;
  typename std::remove_cvref_t<E>::shape_type;
};

/// The static shape of an expression.
template <expression E>
using shape_of_t = typename std::remove_cvref_t<E>::shape_type;

/// True when `E` is a scalar (static shape 1×1).
template <class E>
inline constexpr bool is_scalar_v = expression<E> && shape_of_t<E>::scalar;

namespace detail {
template <class E>
concept has_children = requires(E const& e) { e.children(); };

/// Sum of the first `I` of `Sizes` (offsets of consecutive blocks: parameter
/// values, cache slots, subtree positions).
template <std::size_t I, std::size_t... Sizes>
inline constexpr std::size_t prefix_sum = [] {
  std::size_t const sizes[] = {Sizes..., 0};
  std::size_t sum = 0;
  for (std::size_t k = 0; k + 1 < I + 1; ++k) sum += sizes[k];  // `k < I` warns under nvcc when I is 0
  return sum;
}();

/// `f(child)`, or `f(child, index)` when `f` wants to know which child it sees
/// (`F::takes_position`; `map` calls this for child I; memoization numbers
/// subtrees by position). A flag, not `std::is_invocable`: asking whether the
/// call compiles would instantiate it (a whole subtree's memoization) inside
/// the trait, nine template levels per node, and deep losses hit the
/// compilers' instantiation-depth limits.
template <std::size_t I, class F, class C>
constexpr auto apply_child(F& f, C const& c) {
  if constexpr (requires { F::takes_position; })
    return f(c, std::integral_constant<std::size_t, I>{});
  else
    return f(c);
}

/// `std::tuple` of references to the children of `e` (empty for leaves).
template <class E>
constexpr auto children_of(E const& e) {
  if constexpr (has_children<E>) return e.children();
  else return std::tuple<>{};
}

/// The scalar type a leaf contributes to the computation (void: none, e.g. literals).
template <class E>
struct leaf_value_type {
  using type = void;
};
template <class E>
  requires requires { typename E::value_type; }
struct leaf_value_type<E> {
  using type = typename E::value_type;
};

template <class A, class B>
struct join_value {
  using type = std::common_type_t<A, B>;
};
template <class A>
struct join_value<A, void> {
  using type = A;
};
template <class B>
struct join_value<void, B> {
  using type = B;
};
template <>
struct join_value<void, void> {
  using type = void;
};
template <class A, class B>
using join_value_t = typename join_value<A, B>::type;

template <class E>
struct value_type_of;
template <class Tuple>
struct value_type_of_children;
template <class... Cs>
struct value_type_of_children<std::tuple<Cs...>> {
  using type = void;
};
template <class C, class... Cs>
struct value_type_of_children<std::tuple<C, Cs...>> {
  using type = join_value_t<typename value_type_of<std::remove_cvref_t<C>>::type,
                            typename value_type_of_children<std::tuple<Cs...>>::type>;
};
template <class E>
struct value_type_of {
  using type = join_value_t<
      typename leaf_value_type<E>::type,
      typename value_type_of_children<decltype(children_of(std::declval<E const&>()))>::type>;
};
}  // namespace detail

namespace detail {
template <class T>
using compute_type_t = std::conditional_t<std::is_void_v<T> || std::is_integral_v<T>, float, T>;
}  // namespace detail

/// The scalar type in which an expression is computed: the common type of its
/// data and parameters, `float` when it has neither or when that is an integer type
/// (`mean` of integer data is not rounded to an integer).
template <expression E>
using value_type_t = detail::compute_type_t<typename detail::value_type_of<std::remove_cvref_t<E>>::type>;

namespace detail {
/// Run-time number of rows of `e` (its static extent unless that is `dyn`).
template <class E>
TAPELESS_HOST_DEVICE constexpr std::size_t rows_of(E const& e) {
  if constexpr (shape_of_t<E>::rows != dyn) return shape_of_t<E>::rows;
  else return e.rows();
}

/// Run-time rows of `a op b` after broadcasting (the builders check that two
/// batch extents agree).
template <class A, class B>
TAPELESS_HOST_DEVICE constexpr std::size_t broadcast_rows(A const& a, B const& b) {
  if constexpr (shape_of_t<A>::rows == dyn) return a.rows();
  else if constexpr (shape_of_t<B>::rows == dyn) return b.rows();
  else return broadcast_t<shape_of_t<A>, shape_of_t<B>>::rows;
}
}  // namespace detail

}  // namespace tapeless
