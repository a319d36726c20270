#pragma once
// What a module is (`tl::nn::module`), how one is renamed (`tl::nn::renamed`),
// and the helpers `sequential` uses to list and check its layers' parameters.
//
// A module is an object with a call operator (torch's `forward`) and a
// `parameters()` member returning a `tl::param_list` (possibly empty). A
// parameter's name identifies it inside a loss, so two layers of one model
// need distinct names: tapeless's own modules offer `renamed<Name>()`, which
// rebuilds the module under another name with its values copied.

#include "../fixed_name.hpp"
#include "../param.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace tapeless::nn {

namespace detail {
template <class L>
inline constexpr bool is_param_list = false;
template <class... Ps>
inline constexpr bool is_param_list<param_list<Ps...>> = true;
}  // namespace detail

/// A layer or model: `m.parameters()` returns a `tl::param_list` (empty for
/// activations). Its call operator maps an expression to an expression.
template <class M>
concept module_like = requires(M& m) {
  { m.parameters() };
} && detail::is_param_list<std::remove_cvref_t<decltype(std::declval<M&>().parameters())>>;

/// `m` rebuilt under the name `Name`, values copied: a linear layer's
/// parameters become "<Name>.weight" and "<Name>.bias"; a sequential's layers
/// "<Name>.0", "<Name>.1", …. A module without parameters, or one that does
/// not offer `renamed<Name>()` (a model of your own), is returned unchanged.
///
///     auto fc1 = tl::nn::renamed<"fc1">(tl::nn::linear<2, 3>{1});   // "fc1.weight", "fc1.bias"
template <fixed_name Name, module_like M>
[[nodiscard]] constexpr auto renamed(M const& m) {
  if constexpr (requires { m.template renamed<Name>(); }) return m.template renamed<Name>();
  else return m;
}

namespace detail {

/// The type `renamed<Name>` gives for a module of type `M`. (A class template
/// rather than decltype of the call: g++ 12 crashes on the latter in a pack.)
template <class M, fixed_name Name>
struct renamed_type {
  using type = M;
};
template <class M, fixed_name Name>
  requires requires(M const& m) { m.template renamed<Name>(); }
struct renamed_type<M, Name> {
  using type = std::remove_cvref_t<decltype(std::declval<M const&>().template renamed<Name>())>;
};
template <class M, fixed_name Name>
using renamed_t = typename renamed_type<M, Name>::type;

/// The name of child `i` under `prefix`: "3", or "enc.3" (torch's dotted paths).
constexpr fixed_name child_name(fixed_name prefix, std::size_t i) {
  char digits[21]{};
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + i % 10);
    i /= 10;
  } while (i != 0);
  for (std::size_t a = 0, b = n - 1; a < b; ++a, --b) {
    char const c = digits[a];
    digits[a] = digits[b];
    digits[b] = c;
  }
  fixed_name const index(digits);
  return prefix.size() == 0 ? index : prefix + fixed_name(".") + index;
}

/// The `param_list` type of a module of type `M`.
template <class M>
using parameters_t = std::remove_cvref_t<decltype(std::declval<M&>().parameters())>;

template <class... Ps>
constexpr param_list<Ps...> as_param_list(std::tuple<Ps*...> const& ptrs) {
  return {ptrs};
}

/// Several parameter lists as one, in order.
template <class... Lists>
constexpr auto join_params(Lists const&... lists) {
  return as_param_list(std::tuple_cat(lists.ptrs...));
}

template <class... Lists>
using joined_params_t = decltype(join_params(std::declval<Lists const&>()...));

/// True when no two of the parameters `Ps…` share a name (a name identifies a
/// parameter in a loss). Named so that a failed check prints the parameters.
template <class List>
inline constexpr bool distinct_names = true;
template <class... Ps>
inline constexpr bool distinct_names<param_list<Ps...>> = [] {
  fixed_name const names[] = {Ps::name..., fixed_name{}};
  for (std::size_t i = 0; i < sizeof...(Ps); ++i)
    for (std::size_t j = i + 1; j < sizeof...(Ps); ++j)
      if (names[i] == names[j]) return false;
  return true;
}();

/// A module's `in_features` / `out_features` when it declares them, else 0
/// (unknown: any width).
template <class M>
constexpr std::size_t in_features_of() {
  if constexpr (requires { M::in_features; }) return M::in_features;
  else return 0;
}
template <class M>
constexpr std::size_t out_features_of() {
  if constexpr (requires { M::out_features; }) return M::out_features;
  else return 0;
}
/// True for modules that map each element on its own (activations): the width
/// passes through them.
template <class M>
constexpr bool keeps_features() {
  if constexpr (requires { M::elementwise; }) return M::elementwise;
  else return false;
}

}  // namespace detail

}  // namespace tapeless::nn
