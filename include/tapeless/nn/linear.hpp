#pragma once
// `tl::nn::linear<In, Out>`: the lecture's `nn.Linear(3, 1)`, y = x·Wᵀ + b.
//
// Weight (Out×In) and bias (1×Out) are parameters named "<Name>.weight" and
// "<Name>.bias"; give each layer of a model its own `Name`, or let
// `tl::nn::sequential` name its layers by position ("0.weight", as torch does).
// Initialisation follows torch's default distribution, uniform in ±1/√In for
// both, drawn from a seeded generator of tapeless's own (bit-identical across
// platforms; the values differ from torch's generator).

#include "../expr/arith.hpp"
#include "../expr/matmul.hpp"
#include "../fixed_name.hpp"
#include "../matrix.hpp"
#include "../param.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace tapeless::nn {

/// SplitMix64: a tiny, well-mixed, portable generator for initialisation.
class splitmix64 {
 public:
  constexpr explicit splitmix64(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t operator()() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi).
  constexpr double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>((*this)() >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t state_;
};

/// A fully connected layer with `In` inputs and `Out` outputs.
///
///     tl::nn::linear<3, 1> layer{/*seed=*/0};     // nn.Linear(3, 1)
///     auto cost = tl::mse_loss(layer(X), y);
template <std::size_t In, std::size_t Out, fixed_name Name = "linear", class T = float>
struct linear {
  /// torch's `in_features` and `out_features`.
  static constexpr std::size_t in_features = In;
  static constexpr std::size_t out_features = Out;
  /// The prefix of the parameters' names.
  static constexpr fixed_name name = Name;

  param<Name + fixed_name(".weight"), Out, In, T> weight;
  param<Name + fixed_name(".bias"), 1, Out, T> bias;

  /// Initialised like torch: weight and bias uniform in ±1/√In, from `seed`
  /// (weight row by row first, then bias).
  explicit linear(std::uint64_t seed = 0) {
    splitmix64 gen(seed);
    double const bound = 1.0 / std::sqrt(static_cast<double>(In));
    for (std::size_t k = 0; k < weight.size; ++k) weight[k] = static_cast<T>(gen.uniform(-bound, bound));
    for (std::size_t k = 0; k < bias.size; ++k) bias[k] = static_cast<T>(gen.uniform(-bound, bound));
  }
  /// From given values: weight Out×In, bias 1×Out.
  linear(matrix<T, Out, In> const& w, matrix<T, 1, Out> const& b) : weight(w), bias(b) {}

  /// The same layer, values copied, with parameters named "<NewName>.weight" and
  /// "<NewName>.bias" (how `sequential` names its layers "0", "1", …).
  template <fixed_name NewName>
  [[nodiscard]] linear<In, Out, NewName, T> renamed() const {
    return {weight.value(), bias.value()};
  }

  /// The layer applied to a batch: x (rows × In) → rows × Out.
  template <operand X>
  constexpr auto operator()(X&& x) const& {
    using S = shape_of_t<as_expr_t<X>>;
    static_assert(S::cols == In, "tapeless::nn::linear: the input has a different number of columns than the "
                                 "layer's In; match the layer to the data");
    if constexpr (S::cols == In) return tapeless::matmul(std::forward<X>(x), transpose(weight)) + bias;
  }
  /// A temporary layer would leave the expression pointing at destroyed parameters.
  template <operand X>
  void operator()(X&&) && = delete;

  /// Weight and bias, for an optimizer (`model.parameters()`).
  constexpr auto parameters() { return params(weight, bias); }
};

}  // namespace tapeless::nn
