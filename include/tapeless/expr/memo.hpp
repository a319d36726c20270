#pragma once
// Sharing subterms across the loss and its gradients, once per row.
//
// The derivative trees of a loss reuse the loss's own subtrees (d(r²) = 2r·dr
// keeps r, the residual). Their types cannot say whether two copies are the same
// value (two tensors of one type are different data), so before differentiating,
// `memoize` wraps every row-dependent interior subtree of the loss in
// `memo<Id, E>`, Id being its position in the loss (post-order): equal Ids are
// the same value. Derivatives see through `memo`; lowering then evaluates each
// distinct Id once per row into a small cache (`cached<Offset, C>` leaves read
// it), which is what a hand-written loop does with its residual.

#include "elementwise.hpp"
#include "leaf.hpp"
#include "node.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tapeless::expr {

/// Subtree `E` at position `Id` of the loss it came from.
template <std::size_t Id, class E>
struct memo : node<memo<Id, E>> {
  using shape_type = shape_of_t<E>;
  static constexpr std::size_t id = Id;
  static constexpr std::size_t cols = shape_type::cols;
  E inner;

  constexpr explicit memo(E e) : inner(e) {}
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return inner.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(inner); }
  template <class F>
  constexpr auto map(F& f) const {
    using I = decltype(tapeless::detail::apply_child<0>(f, inner));
    return memo<Id, I>{tapeless::detail::apply_child<0>(f, inner)};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, cols> at(std::size_t r, Ctx const& ctx) const {
    return inner.template at<T>(r, ctx);
  }
};

/// A row of a shared subterm, already computed for the current row: `C` values at
/// `Offset` in the context's per-row cache.
template <std::size_t Offset, std::size_t C>
struct cached : node<cached<Offset, C>> {
  using shape_type = shape<dyn, C>;
  std::size_t n;

  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return n; }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, C> at(std::size_t, Ctx const& ctx) const {
    row<T, C> out;
    for (std::size_t j = 0; j < C; ++j) out[j] = static_cast<T>(ctx.cache[Offset + j]);
    return out;
  }
};

// d(memo(e)) = d(e): a memo is the same value; a function whose slope reuses
// its own value (eˣ, tanh, σ, √) reads it from the memo.
template <std::size_t Id, class E, class W>
constexpr auto derivative(memo<Id, E> const& e, W w) {
  if constexpr (has_slope<E>) return build_mul(slope(e.inner, e), derivative(e.inner.arg, w));
  else return derivative(e.inner, w);
}

}  // namespace tapeless::expr

namespace tapeless::detail {

/// Number of nodes of `E` (memo ids are positions among them).
template <class E>
constexpr std::size_t node_count() {
  return []<class... Cs>(std::type_identity<std::tuple<Cs...>>) {
    return (std::size_t{1} + ... + node_count<std::remove_cvref_t<Cs>>());
  }(std::type_identity<decltype(children_of(std::declval<E const&>()))>{});
}

/// Nodes before child `I` of `E`.
template <class E, std::size_t I>
constexpr std::size_t nodes_before_child() {
  return []<class... Cs>(std::type_identity<std::tuple<Cs...>>) {
    return prefix_sum<I, node_count<std::remove_cvref_t<Cs>>()...>;
  }(std::type_identity<decltype(children_of(std::declval<E const&>()))>{});
}

template <std::size_t Offset, class E>
constexpr auto memoize_at(E const& e);

/// Memoizes the children of `Parent`, each at its own position.
template <std::size_t Offset, class Parent>
struct memoizer {
  static constexpr bool takes_position = true;
  template <class C, std::size_t I>
  constexpr auto operator()(C const& c, std::integral_constant<std::size_t, I>) const {
    return memoize_at<Offset + nodes_before_child<Parent, I>()>(c);
  }
};

/// A narrow batch of data: read from memory once per row into the cache when
/// memoized, rather than once per term that reads it (the model's `X w` and the
/// weight gradient's `Xᵀ ū` both read X; the compiler cannot tell that two
/// leaves point at the same memory).
template <class E>
inline constexpr bool is_narrow_batch = false;
template <class T, std::size_t C>
inline constexpr bool is_narrow_batch<expr::data<T, dyn, C>> = C <= 8;

template <std::size_t Offset, class E>
constexpr auto memoize_at(E const& e) {
  if constexpr (is_narrow_batch<E>) {
    return expr::memo<Offset, E>{e};
  } else if constexpr (!has_children<E>) {
    return e;
  } else {
    memoizer<Offset, E> f;
    auto const inner = e.map(f);
    // Only what varies by row is worth a slot; static parts are loop-invariant.
    if constexpr (shape_of_t<E>::rows == dyn)
      return expr::memo<Offset + node_count<E>() - 1, std::remove_cvref_t<decltype(inner)>>{inner};
    else
      return inner;
  }
}

/// `e` with every row-dependent interior subtree numbered by its position.
template <class E>
constexpr auto memoize(E const& e) {
  return memoize_at<0>(e);
}

}  // namespace tapeless::detail
