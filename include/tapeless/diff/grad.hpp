#pragma once
// `tl::grad(e, p)`: the derivative of `e` with respect to parameter `p`, as an
// expression type built by the node rules and simplified by the builders.
//
// A parameter with several elements is differentiated element by element
// (seed `wrt<Name, R, C, I, J>`); the results are gathered by `stack`, an
// R×C expression whose element (I, J) is ∂e/∂p_IJ.

#include "../expr/leaf.hpp"
#include "../expr/node.hpp"
#include "../expr/operand.hpp"
#include "../param.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tapeless::expr {

/// An R×C expression whose elements are the scalar expressions `Es…` (row-major).
template <std::size_t R, std::size_t C, class... Es>
struct stack : node<stack<R, C, Es...>> {
  static_assert(sizeof...(Es) == R * C, "tapeless::stack: one element per entry");
  using shape_type = shape<R, C>;
  std::tuple<Es...> elems;

  [[nodiscard]] constexpr auto children() const {
    return std::apply([](auto const&... e) { return std::tie(e...); }, elems);
  }
  template <class F>
  constexpr auto map(F& f) const {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return stack<R, C, decltype(tapeless::detail::apply_child<K>(f, std::get<K>(elems)))...>{
          {}, {tapeless::detail::apply_child<K>(f, std::get<K>(elems))...}};
    }(std::index_sequence_for<Es...>{});
  }
  template <class T, class Ctx>
  row<T, C> at(std::size_t r, Ctx const& ctx) const {
    row<T, C> out{};
    std::size_t const i = R == 1 ? 0 : r;  // one row broadcasts to every row
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((K / C == i ? (out[K % C] = std::get<K>(elems).template at<T>(0, ctx)[0], 0) : 0), ...);
    }(std::index_sequence_for<Es...>{});
    return out;
  }
};

template <std::size_t R, std::size_t C, class... Es, class W>
constexpr auto derivative(stack<R, C, Es...> const& e, W w) {
  return std::apply([&](auto const&... x) { return stack<R, C, decltype(derivative(x, w))...>{{}, {derivative(x, w)...}}; },
                    e.elems);
}

}  // namespace tapeless::expr

namespace tapeless {

namespace detail {
template <class P>
using param_ref_t = std::remove_cvref_t<decltype(std::declval<P const&>().expr())>;
template <class P>
struct param_traits;
template <fixed_name Name, std::size_t R, std::size_t C, class T>
struct param_traits<expr::param_ref<Name, R, C, T>> {
  static constexpr fixed_name name = Name;
  static constexpr std::size_t rows = R, cols = C;
  template <std::size_t I, std::size_t J>
  using seed = expr::wrt<Name, R, C, I, J>;
};
template <class P>
constexpr auto ref_of(P const& p) {
  if constexpr (is_param_ref<P>) return p;
  else return p.expr();
}
/// The leaf type of parameter `P` in an expression (`expr::param_ref`).
template <class P>
using ref_t = std::remove_cvref_t<decltype(ref_of(std::declval<P const&>()))>;
}  // namespace detail

/// The derivative of `e` with respect to parameter `p`, as an expression.
///
/// For a scalar `p` the result has the shape of `e` (or is `expr::zero`, a zero
/// of any shape, when `e` does not depend on `p`); otherwise `e` must be a scalar
/// and the result has the shape of `p`.
///
///     auto g = tl::grad(tl::mean(tl::square(X * w + b - y)), b);   // 2 * mean(X*w + b - y)
template <operand E, parameter P>
constexpr auto grad(E const& e, P const& p) {
  using Ref = std::remove_cvref_t<decltype(detail::ref_of(p))>;
  using traits = detail::param_traits<Ref>;
  auto const x = detail::as_expr(e);
  if constexpr (traits::rows * traits::cols == 1) {
    return derivative(x, typename traits::template seed<0, 0>{});
  } else {
    static_assert(shape_of_t<decltype(x)>::scalar,
                  "tapeless::grad: the expression must be a scalar (1x1) to differentiate by a non-scalar "
                  "parameter; reduce it with sum or mean first");
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return expr::stack<traits::rows, traits::cols,
                         decltype(derivative(x, typename traits::template seed<K / traits::cols, K % traits::cols>{}))...>{
          {}, {derivative(x, typename traits::template seed<K / traits::cols, K % traits::cols>{})...}};
    }(std::make_index_sequence<traits::rows * traits::cols>{});
  }
}

/// Overload that turns a non-parameter `wrt` into a readable error.
template <operand E, class P>
  requires(!parameter<P>)
constexpr auto grad(E const&, P const&) {  // deduced: the message comes before any use of the result
  static_assert(parameter<P>, "tapeless::grad: 'wrt' must be a parameter (tapeless::param), not an expression");
}

}  // namespace tapeless
