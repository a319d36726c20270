#pragma once
// Shared shapes of nodes: elementwise binary (with broadcasting) and
// elementwise unary. A node derives from one of these and supplies only its
// arithmetic (`apply`), its builder and its derivative rule.

#include "node.hpp"

#include <cstddef>
#include <tuple>

namespace tapeless::expr {

/// Base of elementwise binary nodes `Node<L, R>`; the result broadcasts L and R.
template <template <class, class> class Node, class L, class R>
struct binary_node : node<Node<L, R>> {
  using shape_type = broadcast_t<shape_of_t<L>, shape_of_t<R>>;
  static constexpr std::size_t cols = shape_type::cols;
  L lhs;
  R rhs;

  constexpr binary_node(L l, R r) : lhs(l), rhs(r) {}

  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const {
    if constexpr (shape_of_t<L>::rows == dyn) return lhs.rows();
    else return rhs.rows();
  }
  [[nodiscard]] constexpr auto children() const { return std::tie(lhs, rhs); }
  template <class F>
  constexpr auto map(F& f) const {
    using A = decltype(tapeless::detail::apply_child<0>(f, lhs));
    using B = decltype(tapeless::detail::apply_child<1>(f, rhs));
    return Node<A, B>{tapeless::detail::apply_child<0>(f, lhs),
                      tapeless::detail::apply_child<1>(f, rhs)};  // braced: left before right
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, cols> at(std::size_t r, Ctx const& ctx) const {
    auto const a = lhs.template at<T>(r, ctx);
    auto const b = rhs.template at<T>(r, ctx);
    constexpr std::size_t ca = shape_of_t<L>::cols, cb = shape_of_t<R>::cols;
    row<T, cols> out;
    for (std::size_t j = 0; j < cols; ++j)
      out[j] = Node<L, R>::apply(a[ca == 1 ? 0 : j], b[cb == 1 ? 0 : j]);
    return out;
  }
};

/// Base of elementwise unary nodes `Node<X>`.
template <template <class> class Node, class X>
struct unary_node : node<Node<X>> {
  using shape_type = shape_of_t<X>;
  static constexpr std::size_t cols = shape_type::cols;
  X arg;

  constexpr explicit unary_node(X x) : arg(x) {}

  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return arg.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return Node<decltype(tapeless::detail::apply_child<0>(f, arg))>{tapeless::detail::apply_child<0>(f, arg)};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, cols> at(std::size_t r, Ctx const& ctx) const {
    auto out = arg.template at<T>(r, ctx);
    for (std::size_t j = 0; j < cols; ++j) out[j] = Node<X>::apply(out[j]);
    return out;
  }
};

}  // namespace tapeless::expr
