#pragma once
// The leaves of an expression tree.
//
// - `constant<N>`: an integer known at compile time (`zero`, `one`, the 2 of
//   d(x²)); symbolic identity lives in the type, so builders fold them away.
// - `unit<R, C, I, J>`: the one-hot R×C matrix, d(w)/d(w_IJ) for a matrix parameter.
// - `scalar<T>`: a number known at run time (`0.5 * x`).
// - `data<T, R, C>`: a row-major view of a tensor (the model's inputs and targets), in
//   host or device memory.
// - `param_ref<Name, R, C, T>`: a parameter, by name; reads its current values.
// - `param_slot<Offset, R, C, T>` and `reduced<T, R, C>`: what lowering substitutes for
//   parameters and row sums (integers only in their types: kernel-friendly).

#include "../device.hpp"
#include "../fixed_name.hpp"
#include "node.hpp"

#include <cstddef>

namespace tapeless::expr {

template <int N>
struct constant : node<constant<N>> {
  using shape_type = scalar_shape;
  static constexpr int value = N;
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, 1> at(std::size_t, Ctx const&) const {
    return {{static_cast<T>(N)}};
  }
};
using zero = constant<0>;
using one = constant<1>;

template <std::size_t R, std::size_t C, std::size_t I, std::size_t J>
struct unit : node<unit<R, C, I, J>> {
  static_assert(I < R && J < C, "tapeless::unit: index outside the shape");
  using shape_type = shape<R, C>;
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<T, C> at(std::size_t r, Ctx const&) const {
    row<T, C> out{};
    for (std::size_t j = 0; j < C; ++j) out[j] = T(0);
    if ((R == 1 ? 0 : r) == I) out[J] = T(1);  // one row broadcasts to every row
    return out;
  }
};

/// A run-time scalar; it takes the computation's type when evaluated.
template <class T>
struct scalar : node<scalar<T>> {
  using shape_type = scalar_shape;
  T value;
  template <class U, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<U, 1> at(std::size_t, Ctx const&) const {
    return {{static_cast<U>(value)}};
  }
};

/// A row-major view of `rows × C` values (R static or `dyn`).
template <class T, std::size_t R, std::size_t C>
struct data : node<data<T, R, C>> {
  using shape_type = shape<R, C>;
  using value_type = T;
  T const* ptr;
  std::size_t n;  // rows at run time (== R when static)
  tapeless::device where = tapeless::cpu;  // where `ptr` points: read there only

  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return n; }
  template <class U, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<U, C> at(std::size_t r, Ctx const&) const {
    T const* p = ptr + (R == 1 ? 0 : r) * C;
    row<U, C> out;
    for (std::size_t j = 0; j < C; ++j) out[j] = static_cast<U>(p[j]);
    return out;
  }
};

/// A named parameter. Two references with the same name and shape denote the
/// same parameter; `values` points at the `tl::param` that owns them.
template <fixed_name Name, std::size_t R, std::size_t C, class T>
struct param_ref : node<param_ref<Name, R, C, T>> {
  using shape_type = shape<R, C>;
  using value_type = T;
  static constexpr fixed_name name = Name;
  T const* values;

  template <class U, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<U, C> at(std::size_t r, Ctx const&) const {
    row<U, C> out;
    for (std::size_t j = 0; j < C; ++j) out[j] = static_cast<U>(values[(R == 1 ? 0 : r) * C + j]);
    return out;
  }
};

/// A parameter after lowering: its values sit at `Offset` in the context's
/// parameter block, which travels by value with the kernel.
template <std::size_t Offset, std::size_t R, std::size_t C, class T>
struct param_slot : node<param_slot<Offset, R, C, T>> {
  using shape_type = shape<R, C>;
  using value_type = T;
  template <class U, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<U, C> at(std::size_t r, Ctx const& ctx) const {
    row<U, C> out;
    for (std::size_t j = 0; j < C; ++j)
      out[j] = static_cast<U>(ctx.params[Offset + (R == 1 ? 0 : r) * C + j]);
    return out;
  }
};

/// A reduction over rows after lowering: `scale` × the pass's R·C row sums
/// from `index` on, read as an R×C matrix (1×1 for sum and mean).
template <class T, std::size_t R = 1, std::size_t C = 1>
struct reduced : node<reduced<T, R, C>> {
  using shape_type = shape<R, C>;
  using value_type = T;
  std::size_t index;
  double scale;
  template <class U, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE row<U, C> at(std::size_t r, Ctx const& ctx) const {
    row<U, C> out;
    for (std::size_t j = 0; j < C; ++j) out[j] = static_cast<U>(ctx.acc[index + (R == 1 ? 0 : r) * C + j] * scale);
    return out;
  }
};

/// The seed of a derivative: d/d(element (I, J) of the R×C parameter `Name`).
template <fixed_name Name, std::size_t R, std::size_t C, std::size_t I, std::size_t J>
struct wrt {
  static constexpr fixed_name name = Name;
};

// d(leaf)/d(anything) = 0, except a parameter with respect to one of its elements.
template <int N, class W>
constexpr zero derivative(constant<N> const&, W) { return {}; }
template <std::size_t R, std::size_t C, std::size_t I, std::size_t J, class W>
constexpr zero derivative(unit<R, C, I, J> const&, W) { return {}; }
template <class T, class W>
constexpr zero derivative(scalar<T> const&, W) { return {}; }
template <class T, std::size_t R, std::size_t C, class W>
constexpr zero derivative(data<T, R, C> const&, W) { return {}; }

// d(w)/d(w_IJ) = the one-hot matrix at (I, J); 1 for a scalar parameter.
template <fixed_name Name, std::size_t R, std::size_t C, class T, fixed_name WName, std::size_t WR,
          std::size_t WC, std::size_t I, std::size_t J>
constexpr auto derivative(param_ref<Name, R, C, T> const&, wrt<WName, WR, WC, I, J>) {
  if constexpr (!(Name == WName)) {
    return zero{};
  } else {
    static_assert(R == WR && C == WC,
                  "tapeless::grad: two parameters share a name but not a shape; give each parameter its own name");
    if constexpr (R == 1 && C == 1) return one{};
    else return unit<R, C, I, J>{};
  }
}

}  // namespace tapeless::expr

namespace tapeless {
/// The integer `N` as an expression whose value is part of its type.
template <int N>
inline constexpr expr::constant<N> lit{};
}  // namespace tapeless

namespace tapeless::detail {
template <class E>
inline constexpr bool is_data = false;
template <class T, std::size_t R, std::size_t C>
inline constexpr bool is_data<expr::data<T, R, C>> = true;
/// Leaves that read rows from memory on some device (`where`): data, and the
/// class indices of `cross_entropy` (expr/loss_nodes.hpp).
template <class E>
inline constexpr bool is_row_source = is_data<E>;
}  // namespace tapeless::detail
