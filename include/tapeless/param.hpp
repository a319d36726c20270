#pragma once
// `tl::param<"w", R, C, T>`: a named, owning model parameter.
//
// In an expression a parameter appears as `expr::param_ref`, which reads the
// current values through a pointer: build the loss once, update the
// parameters, evaluate again. The name identifies the parameter in the loss's
// type (two params with one name are one parameter) and keys gradients.

#include "expr/leaf.hpp"
#include "expr/operand.hpp"
#include "fixed_name.hpp"
#include "matrix.hpp"

#include <cstddef>
#include <initializer_list>
#include <tuple>
#include <type_traits>

namespace tapeless {

/// A model parameter named `Name`, of static shape R×C, zero-initialised.
///
///     tl::param<"w", 3, 1> w;            // 3×1 zeros
///     tl::param<"b"> b{0.5f};            // scalar
template <fixed_name Name, std::size_t R = 1, std::size_t C = 1, class T = float>
class param {
  static_assert(R >= 1 && C >= 1 && R != dyn,
                "tapeless::param: a parameter has a static shape with at least one row and one column");
  static_assert(std::is_floating_point_v<T>, "tapeless::param: the value type must be float or double");

 public:
  using value_type = T;
  using ref_type = expr::param_ref<Name, R, C, T>;
  static constexpr fixed_name name = Name;
  static constexpr std::size_t rows = R;
  static constexpr std::size_t cols = C;
  static constexpr std::size_t size = R * C;

  constexpr param() = default;
  /// A scalar parameter with an initial value.
  constexpr explicit param(T value)
    requires(R * C == 1)
  {
    value_.v[0] = value;
  }
  /// From rows of values: `param<"w", 3, 1> w{{0.1f}, {0.2f}, {0.3f}}`.
  param(std::initializer_list<std::initializer_list<T>> values) { assign(values); }
  explicit param(matrix<T, R, C> const& values) : value_(values) {}

  param(param const&) = default;
  param& operator=(param const&) = default;

  /// Sets every value from rows; throws tapeless::error when the shape differs.
  param& assign(std::initializer_list<std::initializer_list<T>> values) {
    TAPELESS_CHECK(values.size() == R, "tapeless::param: wrong number of rows in the initial values");
    std::size_t i = 0;
    for (auto const& r : values) {
      TAPELESS_CHECK(r.size() == C, "tapeless::param: wrong number of columns in the initial values");
      for (T x : r) value_.v[i++] = x;
    }
    return *this;
  }
  param& operator=(matrix<T, R, C> const& values) {
    value_ = values;
    return *this;
  }

  [[nodiscard]] constexpr T item() const { return value_.item(); }
  constexpr T& operator()(std::size_t i, std::size_t j) { return value_(i, j); }
  constexpr T const& operator()(std::size_t i, std::size_t j) const { return value_(i, j); }
  constexpr T& operator[](std::size_t k) { return value_[k]; }
  constexpr T const& operator[](std::size_t k) const { return value_[k]; }
  [[nodiscard]] constexpr matrix<T, R, C>& value() { return value_; }
  [[nodiscard]] constexpr matrix<T, R, C> const& value() const { return value_; }
  constexpr T* data() { return value_.data(); }
  constexpr T const* data() const { return value_.data(); }

  /// This parameter as an expression leaf (it reads the current values).
  [[nodiscard]] constexpr ref_type expr() const& { return ref_type{{}, value_.data()}; }
  /// Not for a temporary: the leaf would point at destroyed values.
  ref_type expr() const&& = delete;

  friend std::ostream& operator<<(std::ostream& os, param const& p) { return os << p.value_; }

 private:
  matrix<T, R, C> value_{};
};

namespace detail {
template <fixed_name Name, std::size_t R, std::size_t C, class T>
inline constexpr bool owning<param<Name, R, C, T>> = true;

template <class P>
inline constexpr bool is_param = false;
template <fixed_name Name, std::size_t R, std::size_t C, class T>
inline constexpr bool is_param<param<Name, R, C, T>> = true;
template <class P>
inline constexpr bool is_param_ref = false;
template <fixed_name Name, std::size_t R, std::size_t C, class T>
inline constexpr bool is_param_ref<expr::param_ref<Name, R, C, T>> = true;
}  // namespace detail

/// Parameters by reference, for an optimizer or value_and_grad: `tl::params(w, b)`.
template <class... Ps>
struct param_list {
  std::tuple<Ps*...> ptrs;
};

/// Collects parameters for an optimizer (the lecture's `[w, b]` / `model.parameters()`).
template <class... Ps>
  requires(detail::is_param<Ps> && ...)
constexpr param_list<Ps...> params(Ps&... ps) {
  return {{&ps...}};
}

/// Satisfied by `tl::param` (and its expression leaf): what `grad` differentiates by.
template <class P>
concept parameter = detail::is_param<std::remove_cvref_t<P>> || detail::is_param_ref<std::remove_cvref_t<P>>;

}  // namespace tapeless
