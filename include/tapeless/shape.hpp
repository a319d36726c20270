#pragma once
// Shapes are part of every expression's type: `shape<Rows, Cols>`.
//
// Columns are always static (model dimensions). Rows are static too, or `dyn`:
// the batch dimension, whose extent is known only at run time. A scalar is
// `shape<1, 1>`. Broadcasting follows NumPy per dimension (equal, or one side
// is 1), with one restriction: a static extent above 1 never meets `dyn`,
// because the batch dimension is the one tapeless sums over in one pass.

#include <cstddef>
#include <limits>

namespace tapeless {

/// The dynamic extent: the number of rows is known only at run time.
inline constexpr std::size_t dyn = std::numeric_limits<std::size_t>::max();

/// The static shape of an expression: `Rows` (a number or `dyn`) by `Cols`.
template <std::size_t Rows, std::size_t Cols>
struct shape {
  static constexpr std::size_t rows = Rows;
  static constexpr std::size_t cols = Cols;
  static constexpr bool dynamic = Rows == dyn;
  static constexpr bool scalar = Rows == 1 && Cols == 1;
};

using scalar_shape = shape<1, 1>;

namespace detail {
constexpr bool extents_broadcast(std::size_t a, std::size_t b) {
  if (a == b || a == 1 || b == 1) return true;
  return false;  // covers dyn vs a static extent above 1
}
constexpr std::size_t broadcast_extent(std::size_t a, std::size_t b) { return a == 1 ? b : a; }
}  // namespace detail

/// True when shapes `A` and `B` broadcast together (NumPy rules on each extent).
template <class A, class B>
inline constexpr bool broadcastable =
    detail::extents_broadcast(A::rows, B::rows) && detail::extents_broadcast(A::cols, B::cols);

/// The shape of `a op b` for an elementwise `op`.
template <class A, class B>
using broadcast_t = shape<detail::broadcast_extent(A::rows, B::rows),
                          detail::broadcast_extent(A::cols, B::cols)>;

/// True when `A * B` is a valid matrix product: the inner extents agree and are static.
template <class A, class B>
inline constexpr bool matmul_compatible = A::cols == B::rows && B::rows != dyn;

}  // namespace tapeless
