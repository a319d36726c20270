#pragma once
// `tl::nn::sequential`: torch's `nn.Sequential`, layers applied in order.
//
//     tl::nn::sequential model{tl::nn::linear<2, 8>{1}, tl::nn::tanh{}, tl::nn::linear<8, 1>{2}};
//     auto const cost = tl::mse_loss(model(X), y);
//     auto [loss, grads] = tl::value_and_grad(cost, model.parameters());
//
// Layers are renamed by position as torch names them: the parameters above are
// "0.weight", "0.bias", "2.weight", "2.bias". A sequential inside a sequential
// gets dotted names ("1.0.weight"), and `tl::nn::renamed<"enc">(model)` puts a
// prefix in front of all of them ("enc.0.weight"), so two sequentials can meet
// in one loss. Consecutive layers must chain: a layer's out_features equal the
// next sized layer's in_features (activations pass the width through), checked
// when the model's type is instantiated.

#include "../expr/operand.hpp"
#include "../fixed_name.hpp"
#include "../param.hpp"
#include "module.hpp"

#include <cstddef>
#include <tuple>
#include <utility>

namespace tapeless::nn {

namespace detail {

/// True when a layer with `Out` outputs may feed a layer with `In` inputs.
/// Named so that a failed check prints both numbers: `sizes_chain<8, 4>`.
template <std::size_t Out, std::size_t In>
inline constexpr bool sizes_chain = Out == In;

/// The first place where layers `Ms…` do not chain: the width coming out and
/// the width expected next (both 0 when everything chains).
struct chain_break {
  std::size_t out = 0;
  std::size_t in = 0;
};
template <class... Ms>
constexpr chain_break find_chain_break() {
  std::size_t const ins[] = {in_features_of<Ms>()..., 0};
  std::size_t const outs[] = {out_features_of<Ms>()..., 0};
  bool const keeps[] = {keeps_features<Ms>()..., false};
  std::size_t width = 0;  // the width flowing between layers, 0 when unknown
  for (std::size_t i = 0; i < sizeof...(Ms); ++i) {
    if (width != 0 && ins[i] != 0 && width != ins[i]) return {width, ins[i]};
    if (outs[i] != 0) width = outs[i];
    else if (!keeps[i]) width = 0;
  }
  return {};
}

template <fixed_name Prefix, class Indices, class... Ms>
struct sequential_layers;
template <fixed_name Prefix, std::size_t... I, class... Ms>
struct sequential_layers<Prefix, std::index_sequence<I...>, Ms...> {
  static constexpr fixed_name names[] = {child_name(Prefix, I)..., fixed_name{}};
  using type = std::tuple<renamed_t<Ms, names[I]>...>;
};

/// The parameter list of a tuple of layers.
template <class Layers>
struct layers_params;
template <class... Ls>
struct layers_params<std::tuple<Ls...>> {
  using type = joined_params_t<parameters_t<Ls>...>;
};
template <class Layers>
using layers_params_t = typename layers_params<Layers>::type;

}  // namespace detail

/// Layers `Ms…` applied in order, their parameters named "<Prefix>.<i>.…"
/// ("<i>.…" for an empty prefix). Usually written `tl::nn::sequential{…}`;
/// `basic_sequential` is what `tl::nn::renamed<"name">(model)` returns.
template <fixed_name Prefix, module_like... Ms>
class basic_sequential {
  using layers_type = typename detail::sequential_layers<Prefix, std::index_sequence_for<Ms...>, Ms...>::type;
  static constexpr detail::chain_break chain = detail::find_chain_break<Ms...>();
  static_assert(detail::sizes_chain<chain.out, chain.in>,
                "tapeless::nn::sequential: a layer's out_features differ from the next layer's in_features (the "
                "diagnostic shows sizes_chain<out_features, in_features>); make each layer's In equal to the "
                "previous layer's Out");
  static_assert(detail::distinct_names<detail::layers_params_t<layers_type>>,
                "tapeless::nn::sequential: two layers have parameters of the same name; give each of your own "
                "modules its own name or a renamed<Name>() member (tapeless's modules are renamed by position)");

 public:
  /// The prefix of every parameter name ("" for a top-level sequential).
  static constexpr fixed_name name = Prefix;
  /// The width of the input and of the output, 0 where a layer leaves it open.
  static constexpr std::size_t in_features = [] {
    std::size_t const ins[] = {detail::in_features_of<Ms>()..., 0};
    bool const keeps[] = {detail::keeps_features<Ms>()..., false};
    for (std::size_t i = 0; i < sizeof...(Ms); ++i)
      if (ins[i] != 0 || !keeps[i]) return ins[i];
    return std::size_t{0};
  }();
  static constexpr std::size_t out_features = [] {
    std::size_t const outs[] = {0, detail::out_features_of<Ms>()...};
    bool const keeps[] = {false, detail::keeps_features<Ms>()...};
    for (std::size_t i = sizeof...(Ms); i > 0; --i)
      if (outs[i] != 0 || !keeps[i]) return outs[i];
    return std::size_t{0};
  }();

  /// The layers, each renamed by its position (values copied).
  constexpr explicit basic_sequential(Ms const&... layers)
      : basic_sequential(std::index_sequence_for<Ms...>{}, layers...) {}

  /// Number of layers, torch's `len(model)`.
  [[nodiscard]] static constexpr std::size_t size() { return sizeof...(Ms); }

  /// The model applied to a batch: each layer to the previous one's output.
  template <operand X>
  constexpr auto operator()(X&& x) const& {
    if constexpr (sizeof...(Ms) == 0) return tapeless::detail::as_expr(std::forward<X>(x));
    else return forward<0>(std::forward<X>(x));
  }
  /// A temporary model would leave the expression pointing at destroyed parameters.
  template <operand X>
  void operator()(X&&) && = delete;

  /// Every layer's parameters, in order: torch's `model.parameters()`.
  constexpr auto parameters() {
    return std::apply([](auto&... layer) { return detail::join_params(layer.parameters()...); }, layers_);
  }

  /// The same model with every parameter name under `NewName` ("<NewName>.0.weight", …).
  template <fixed_name NewName>
  [[nodiscard]] constexpr auto renamed() const {
    return std::apply([](auto const&... layer) { return basic_sequential<NewName, std::remove_cvref_t<decltype(layer)>...>(layer...); },
                      layers_);
  }

  /// Layer `I`, torch's `model[I]`: `get<0>(model).weight`.
  template <std::size_t I>
  friend constexpr auto& get(basic_sequential& s) {
    return std::get<I>(s.layers_);
  }
  template <std::size_t I>
  friend constexpr auto const& get(basic_sequential const& s) {
    return std::get<I>(s.layers_);
  }

 private:
  template <std::size_t... I>
  constexpr basic_sequential(std::index_sequence<I...>, Ms const&... layers)
      : layers_(nn::renamed<detail::child_name(Prefix, I)>(layers)...) {}

  template <std::size_t I, class X>
  constexpr auto forward(X&& x) const {
    auto y = std::get<I>(layers_)(std::forward<X>(x));
    if constexpr (I + 1 == sizeof...(Ms)) return y;
    else return forward<I + 1>(std::move(y));
  }

  layers_type layers_;
};

/// torch's `nn.Sequential(layer, …)`: `tl::nn::sequential model{tl::nn::linear<2, 3>{1}, tl::nn::tanh{}, …};`
/// Its type names the layers as given (`sequential<linear<2, 3>, tanh, …>`), so
/// it can also be a member of a struct of your own.
template <module_like... Ms>
class sequential : public basic_sequential<fixed_name{}, Ms...> {
 public:
  using basic_sequential<fixed_name{}, Ms...>::basic_sequential;
};

template <class... Ms>
sequential(Ms...) -> sequential<Ms...>;

}  // namespace tapeless::nn
