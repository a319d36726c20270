#pragma once
// Elementwise functions: square, pow<N> (integer exponent), exp, log, sqrt,
// abs, tanh, sigmoid, relu, and sign/step (the derivatives of abs and relu).
// Each is one node with its value, builder and derivative rule side by side.

#include "arith.hpp"
#include "base.hpp"
#include "leaf.hpp"
#include "node.hpp"
#include "operand.hpp"

#include <cmath>
#include <tuple>
#include <utility>

namespace tapeless::expr {

#define TAPELESS_UNARY_NODE(NAME, BODY)                                    \
  template <class X>                                                       \
  struct NAME : unary_node<NAME, X> {                                      \
    using unary_node<NAME, X>::unary_node;                                 \
    template <class T>                                                     \
    TAPELESS_HOST_DEVICE static T apply(T x) { BODY }                      \
  };

TAPELESS_UNARY_NODE(square, return x * x;)
TAPELESS_UNARY_NODE(exp_, using std::exp; return exp(x);)
TAPELESS_UNARY_NODE(log_, using std::log; return log(x);)
TAPELESS_UNARY_NODE(sqrt_, using std::sqrt; return sqrt(x);)
TAPELESS_UNARY_NODE(abs_, return x < T(0) ? -x : x;)
TAPELESS_UNARY_NODE(tanh_, using std::tanh; return tanh(x);)
// Stable on both tails: exp never sees a large positive argument.
TAPELESS_UNARY_NODE(sigmoid_, using std::exp; if (x >= T(0)) return T(1) / (T(1) + exp(-x));
                    T const e = exp(x); return e / (T(1) + e);)
TAPELESS_UNARY_NODE(relu_, return x > T(0) ? x : T(0);)
TAPELESS_UNARY_NODE(sign_, return T((x > T(0)) - (x < T(0)));)
TAPELESS_UNARY_NODE(step_, return x > T(0) ? T(1) : T(0);)
#undef TAPELESS_UNARY_NODE

/// x^N for an integer N known at compile time.
template <int N, class X>
struct pow_ : node<pow_<N, X>> {
  using shape_type = shape_of_t<X>;
  static constexpr std::size_t cols = shape_type::cols;
  X arg;
  constexpr explicit pow_(X x) : arg(x) {}
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return arg.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return pow_<N, decltype(tapeless::detail::apply_child<0>(f, arg))>{tapeless::detail::apply_child<0>(f, arg)};
  }
  template <class T>
  TAPELESS_HOST_DEVICE static T apply(T x) {
    T p = T(1);
    for (int i = 0; i < (N < 0 ? -N : N); ++i) p *= x;
    return N < 0 ? T(1) / p : p;
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, cols> at(std::size_t r, Ctx const& ctx) const {
    auto out = arg.template at<T>(r, ctx);
    for (std::size_t j = 0; j < cols; ++j) out[j] = apply(out[j]);
    return out;
  }
};

template <int N, class X>
constexpr auto build_pow(X const& x) {
  if constexpr (N == 0) return broadcast_like(x, one{});
  else if constexpr (N == 1) return x;
  else if constexpr (N == 2) return square<X>{x};
  else return pow_<N, X>{x};
}

// Each function's slope f′(x), as an expression: one rule serves forward mode
// (d f(x) = f′(x)·dx, below) and reverse mode (diff/adjoint.hpp: ū_x = ū ⊙ f′(x)).
// `self` stands for the value f(x) itself (the node, or a shared copy of it).
template <class X, class S>
constexpr auto slope(square<X> const& e, S const&) { return build_mul(constant<2>{}, e.arg); }  // 2x
template <int N, class X, class S>
constexpr auto slope(pow_<N, X> const& e, S const&) {                                          // N·xᴺ⁻¹
  return build_mul(constant<N>{}, build_pow<N - 1>(e.arg));
}
template <class X, class S>
constexpr auto slope(exp_<X> const&, S const& self) { return self; }                            // eˣ
template <class X, class S>
constexpr auto slope(log_<X> const& e, S const&) { return build_div(one{}, e.arg); }            // 1/x
template <class X, class S>
constexpr auto slope(sqrt_<X> const&, S const& self) {                                          // 1/(2√x)
  return build_div(one{}, build_mul(constant<2>{}, self));
}
template <class X, class S>
constexpr auto slope(abs_<X> const& e, S const&) { return sign_<X>{e.arg}; }                    // sign x
template <class X, class S>
constexpr auto slope(tanh_<X> const&, S const& self) {                                          // 1 − tanh²x
  return build_sub(one{}, square<S>{self});
}
template <class X, class S>
constexpr auto slope(sigmoid_<X> const&, S const& self) {                                       // σ(1 − σ)
  return build_mul(self, build_sub(one{}, self));
}
template <class X, class S>
constexpr auto slope(relu_<X> const& e, S const&) { return step_<X>{e.arg}; }                  // step x
template <class X, class S>
constexpr zero slope(sign_<X> const&, S const&) { return {}; }  // piecewise constant
template <class X, class S>
constexpr zero slope(step_<X> const&, S const&) { return {}; }

/// Elementwise functions of one argument, which have a `slope`.
template <class E>
concept has_slope = requires(E const& e) { slope(e, e); };

// d f(x) = f′(x)·dx
template <has_slope E, class W>
constexpr auto derivative(E const& e, W w) {
  return build_mul(slope(e, e), derivative(e.arg, w));
}

}  // namespace tapeless::expr

namespace tapeless {

#define TAPELESS_UNARY_FUNCTION(NAME, NODE)                 \
  template <operand X>                                                 \
  constexpr auto NAME(X&& x) {                                         \
    return expr::NODE<as_expr_t<X>>{detail::as_expr(std::forward<X>(x))}; \
  }

/// x², elementwise.
TAPELESS_UNARY_FUNCTION(square, square)
/// eˣ, elementwise.
TAPELESS_UNARY_FUNCTION(exp, exp_)
/// Natural logarithm, elementwise.
TAPELESS_UNARY_FUNCTION(log, log_)
/// √x, elementwise.
TAPELESS_UNARY_FUNCTION(sqrt, sqrt_)
/// |x|, elementwise (derivative sign(x), 0 at 0 as in PyTorch).
TAPELESS_UNARY_FUNCTION(abs, abs_)
/// tanh x, elementwise.
TAPELESS_UNARY_FUNCTION(tanh, tanh_)
/// 1 / (1 + e⁻ˣ), elementwise, stable for large |x|.
TAPELESS_UNARY_FUNCTION(sigmoid, sigmoid_)
/// max(x, 0), elementwise (derivative 0 at 0 as in PyTorch).
TAPELESS_UNARY_FUNCTION(relu, relu_)
/// −1, 0 or 1, elementwise.
TAPELESS_UNARY_FUNCTION(sign, sign_)
#undef TAPELESS_UNARY_FUNCTION

/// xᴺ for an integer `N` known at compile time: `tl::pow<3>(x)`.
template <int N, operand X>
constexpr auto pow(X&& x) {
  return expr::build_pow<N>(detail::as_expr(std::forward<X>(x)));
}

}  // namespace tapeless
