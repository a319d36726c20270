#pragma once
// Activations in torch's vocabulary, as functions (torch.nn.functional:
// `tl::silu(x)`, `tl::leaky_relu(x, 0.01)`) and as modules (torch.nn:
// `tl::nn::relu{}`, `tl::nn::leaky_relu{.negative_slope = 0.2}`) for
// `tl::nn::sequential`.
//
// Each composite activation is written with the elementwise nodes tapeless
// has (relu, exp, log, abs, tanh, sigmoid), chosen so that the value is the
// one torch computes: on the side of zero where torch returns x, these
// formulas return x exactly. Gradients come from the nodes' rules; at exactly
// zero they may differ from torch's choice of subgradient (docs/modules.md).

#include "../config.hpp"
#include "../expr/arith.hpp"
#include "../expr/elementwise.hpp"
#include "../expr/loss_nodes.hpp"
#include "../expr/node.hpp"
#include "../expr/operand.hpp"
#include "../param.hpp"

#include <utility>

namespace tapeless {

namespace detail {
/// `value` in the type an expression is computed in (float stays float).
template <class E>
constexpr value_type_t<E> value_as(double value) {
  return static_cast<value_type_t<E>>(value);
}
}  // namespace detail

/// x if x > 0 else negative_slope·x, elementwise (`F.leaky_relu`):
/// relu(x) − s·relu(−x).
template <operand X>
constexpr auto leaky_relu(X&& x, double negative_slope = 0.01) {
  auto const e = detail::as_expr(std::forward<X>(x));
  return relu(e) - detail::value_as<decltype(e)>(negative_slope) * relu(-e);
}

/// x if x > 0 else α(eˣ − 1), elementwise (`F.elu`): relu(x) + α(e^(−relu(−x)) − 1).
template <operand X>
constexpr auto elu(X&& x, double alpha = 1.0) {
  auto const e = detail::as_expr(std::forward<X>(x));
  using T = value_type_t<decltype(e)>;
  return relu(e) + static_cast<T>(alpha) * (exp(-relu(-e)) - T(1));
}

/// x if x > 0 else α(e^(x/α) − 1), elementwise (`F.celu`).
template <operand X>
constexpr auto celu(X&& x, double alpha = 1.0) {
  TAPELESS_CHECK(alpha != 0, "tapeless::celu: alpha must not be zero (it divides x)");
  auto const e = detail::as_expr(std::forward<X>(x));
  using T = value_type_t<decltype(e)>;
  return relu(e) + static_cast<T>(alpha) * (exp(-relu(-e) / static_cast<T>(alpha)) - T(1));
}

/// scale·elu(x, α) with torch's fixed constants, elementwise (`F.selu`).
template <operand X>
constexpr auto selu(X&& x) {
  auto const e = detail::as_expr(std::forward<X>(x));
  using T = value_type_t<decltype(e)>;
  constexpr double alpha = 1.6732632423543772848170429916717;
  constexpr double scale = 1.0507009873554804934193349852946;
  return static_cast<T>(scale) * elu(e, alpha);
}

/// x·σ(x), elementwise (`F.silu`, the swish).
template <operand X>
constexpr auto silu(X&& x) {
  auto const e = detail::as_expr(std::forward<X>(x));
  return hadamard(e, sigmoid(e));
}

/// log(1 + e^(βx)) / β, elementwise (`F.softplus`), with the stable softplus node
/// (log1p on both tails, slope σ(βx): ½ at 0 as torch). torch's `threshold` only
/// makes its result exactly x for large βx, which the node already gives in float.
template <operand X>
constexpr auto softplus(X&& x, double beta = 1.0) {
  TAPELESS_CHECK(beta != 0, "tapeless::softplus: beta must not be zero (the result divides by it)");
  auto const e = detail::as_expr(std::forward<X>(x));
  using T = value_type_t<decltype(e)>;
  auto const bx = static_cast<T>(beta) * e;
  return expr::softplus_<std::remove_cvref_t<decltype(bx)>>{bx} / static_cast<T>(beta);
}

/// x·tanh(softplus(x)), elementwise (`F.mish`).
template <operand X>
constexpr auto mish(X&& x) {
  auto const e = detail::as_expr(std::forward<X>(x));
  return hadamard(e, tanh(expr::softplus_<decltype(e)>{e}));
}

/// x / (1 + |x|), elementwise (`F.softsign`).
template <operand X>
constexpr auto softsign(X&& x) {
  auto const e = detail::as_expr(std::forward<X>(x));
  using T = value_type_t<decltype(e)>;
  return e / (T(1) + abs(e));
}

/// x − tanh x, elementwise (`F.tanhshrink`).
template <operand X>
constexpr auto tanhshrink(X&& x) {
  auto const e = detail::as_expr(std::forward<X>(x));
  return e - tanh(e);
}

namespace nn {

// Activation modules: torch.nn's classes, with their options as members
// (designated initialisers give torch's keyword arguments). They hold no
// parameters, so a temporary one inside an expression is harmless.
#define TAPELESS_ACTIVATION_MODULE_MEMBERS                      \
  static constexpr bool elementwise = true;                     \
  static constexpr param_list<> parameters() { return {}; }

/// `nn.Identity`: x.
struct identity {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::detail::as_expr(std::forward<X>(x));
  }
};

/// `nn.ReLU`: max(x, 0).
struct relu {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::relu(std::forward<X>(x));
  }
};

/// `nn.LeakyReLU(negative_slope=0.01)`.
struct leaky_relu {
  double negative_slope = 0.01;
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::leaky_relu(std::forward<X>(x), negative_slope);
  }
};

/// `nn.ELU(alpha=1.0)`.
struct elu {
  double alpha = 1.0;
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::elu(std::forward<X>(x), alpha);
  }
};

/// `nn.CELU(alpha=1.0)`.
struct celu {
  double alpha = 1.0;
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::celu(std::forward<X>(x), alpha);
  }
};

/// `nn.SELU`.
struct selu {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::selu(std::forward<X>(x));
  }
};

/// `nn.Tanh`.
struct tanh {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::tanh(std::forward<X>(x));
  }
};

/// `nn.Sigmoid`: 1 / (1 + e⁻ˣ).
struct sigmoid {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::sigmoid(std::forward<X>(x));
  }
};

/// `nn.SiLU`: x·σ(x).
struct silu {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::silu(std::forward<X>(x));
  }
};

/// `nn.Softplus(beta=1)` (torch's `threshold` is not needed: see tl::softplus).
struct softplus {
  double beta = 1.0;
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::softplus(std::forward<X>(x), beta);
  }
};

/// `nn.Mish`: x·tanh(softplus(x)).
struct mish {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::mish(std::forward<X>(x));
  }
};

/// `nn.Softsign`: x / (1 + |x|).
struct softsign {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::softsign(std::forward<X>(x));
  }
};

/// `nn.Tanhshrink`: x − tanh x.
struct tanhshrink {
  TAPELESS_ACTIVATION_MODULE_MEMBERS
  template <operand X>
  constexpr auto operator()(X&& x) const {
    return tapeless::tanhshrink(std::forward<X>(x));
  }
};

#undef TAPELESS_ACTIVATION_MODULE_MEMBERS

}  // namespace nn
}  // namespace tapeless
