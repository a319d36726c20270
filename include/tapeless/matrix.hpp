#pragma once
// `tl::matrix<T, R, C>`: a small owning matrix of static shape — the value of
// a parameter and of its gradient.

#include <cstddef>
#include <ostream>

namespace tapeless {

/// A row-major R×C matrix of `T` with static shape (a parameter's values, a gradient).
template <class T, std::size_t R, std::size_t C>
struct matrix {
  static constexpr std::size_t rows = R;
  static constexpr std::size_t cols = C;
  static constexpr std::size_t size = R * C;
  T v[R * C]{};

  constexpr T& operator()(std::size_t i, std::size_t j) { return v[i * C + j]; }
  constexpr T const& operator()(std::size_t i, std::size_t j) const { return v[i * C + j]; }
  constexpr T& operator[](std::size_t k) { return v[k]; }
  constexpr T const& operator[](std::size_t k) const { return v[k]; }
  /// The single value of a 1×1 matrix (`torch.Tensor.item`).
  [[nodiscard]] constexpr T item() const {
    static_assert(R * C == 1, "tapeless::matrix::item: only a matrix with one element has an item; index it instead");
    return v[0];
  }
  constexpr T* data() { return v; }
  constexpr T const* data() const { return v; }
  constexpr T* begin() { return v; }
  constexpr T* end() { return v + R * C; }
  constexpr T const* begin() const { return v; }
  constexpr T const* end() const { return v + R * C; }
  friend constexpr bool operator==(matrix const&, matrix const&) = default;

  friend std::ostream& operator<<(std::ostream& os, matrix const& m) {
    os << '[';
    for (std::size_t i = 0; i < R; ++i) {
      if (R > 1) os << (i ? ", [" : "[");
      for (std::size_t j = 0; j < C; ++j) os << (j ? ", " : "") << m(i, j);
      if (R > 1) os << ']';
    }
    return os << ']';
  }
};

}  // namespace tapeless
