#pragma once
// Reductions over every element: `tl::sum(x)` and `tl::mean(x)` (1×1).
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
  [[nodiscard]] constexpr std::size_t count() const {
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

// d(Σx) = Σdx;  d(mean x) = mean(dx)
template <class X, class W>
constexpr auto derivative(sum<X> const& e, W w) {
  return build_sum(derivative(e.arg, w));
}
template <class X, class W>
constexpr auto derivative(mean<X> const& e, W w) {
  return build_mean(derivative(e.arg, w));
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

}  // namespace tapeless
