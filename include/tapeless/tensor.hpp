#pragma once
// `tl::tensor<T, Rows, Cols>`: owning row-major data (the model's inputs and
// targets), and `tl::tensor_view`, the same over memory the caller owns.
//
// Columns are static; rows are static or `tl::dyn` (the batch). In an
// expression a tensor appears as a view (`expr::data`): the tensor must
// outlive the expressions built from it, as with a `std::span`.
//
// A tensor lives on a device, as on the lecture's GPU slide:
//
//     auto device = tl::cuda_available() ? tl::cuda : tl::cpu;
//     auto x = x_train.to(device);   // a copy in GPU memory, or x_train itself
//
// Moving data to cuda takes an nvcc translation unit (in a host one it is a
// `tl::error`); any unit can bring it back with `.to(tl::cpu)`.

#include "backend/cuda/buffer.hpp"
#include "device.hpp"
#include "expr/arith.hpp"
#include "expr/elementwise.hpp"
#include "expr/leaf.hpp"
#include "eval/evaluate.hpp"
#include "expr/matmul.hpp"
#include "expr/node.hpp"
#include "param.hpp"
#include "shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tapeless {

template <class T, std::size_t R, std::size_t C>
class tensor_view;

namespace detail {
template <std::size_t R, std::size_t C>
constexpr void check_extents() {
  static_assert(C != dyn, "tapeless::tensor: columns must be static (model dimensions); only rows may be dyn");
  static_assert(C >= 1 && R >= 1, "tapeless::tensor: extents must be at least 1 (use dyn for a run-time row count)");
}
inline void check_row_count(std::size_t static_rows, std::size_t rows, char const* api) {
  if (static_rows != dyn && rows != static_rows)
    fail(std::string("tapeless::") + api + ": expected " + std::to_string(static_rows) + " rows, got " +
         std::to_string(rows) + "; the row extent is static");
}

// Shared read-only interface of tensor and tensor_view (CRTP).
template <class Derived, class T, std::size_t R, std::size_t C>
struct tensor_access {
  using value_type = T;
  using shape_type = shape<R, C>;
  static constexpr std::size_t cols = C;

  [[nodiscard]] T const& operator()(std::size_t i, std::size_t j) const {
    check_on_host("element access");
    return self().data()[i * C + j];
  }
  /// The values as an expression leaf (a view: the tensor must outlive it).
  [[nodiscard]] expr::data<T, R, C> expr() const& { return {{}, self().data(), self().rows(), self().device()}; }
  expr::data<T, R, C> expr() const&& = delete;  // a view of a temporary would dangle
  /// `x.matmul(w)`, as in the lecture's `x_train.matmul(w)`.
  template <class W>
  [[nodiscard]] auto matmul(W&& w) const&;
  template <class W>
  auto matmul(W&& w) const&& = delete;  // a view of a temporary would dangle

  /// Column means, `x.mean(dim=0)`, a 1×C tensor on the device of `x` (on
  /// cuda: one pass on the GPU, in an nvcc translation unit).
  template <class Unit = detail::unit>
  [[nodiscard]] auto mean(int dim) const;
  /// Column standard deviations, unbiased (n − 1) like `x.std(dim=0)`, on the
  /// device of `x` (on cuda: two passes on the GPU, in an nvcc translation unit).
  template <class Unit = detail::unit>
  [[nodiscard]] auto std(int dim) const;

 protected:
  /// Throws unless the values are in host memory (`what` reads them there).
  void check_on_host(char const* what) const {
    if (self().device() != cpu)
      fail(std::string("tapeless::tensor: ") + what + " reads the values on the host, and they are on " +
           std::string(self().device().name()) + "; copy them first (.to(tl::cpu))");
  }

 private:
  Derived const& self() const { return static_cast<Derived const&>(*this); }
  double column_mean(std::size_t j) const;
  /// The values as rows of dynamic extent, which a pass reduces on a device
  /// (a reduction over static rows is evaluated on the host).
  expr::data<T, dyn, C> pass_rows() const { return {{}, self().data(), self().rows(), self().device()}; }
};
}  // namespace detail

/// Owning row-major tensor with static columns and static or `dyn` rows.
///
///     tl::tensor<float, tl::dyn, 3> x{{73, 80, 75}, {93, 88, 93}};
template <class T, std::size_t R, std::size_t C>
class tensor : public detail::tensor_access<tensor<T, R, C>, T, R, C> {
  static_assert(std::is_arithmetic_v<T>, "tapeless::tensor: the value type must be arithmetic");

 public:
  tensor() : tensor(R == dyn ? 0 : R) {}
  /// `rows` rows of zeros.
  explicit tensor(std::size_t rows) : rows_(rows), values_(checked_size(rows)) {
    detail::check_extents<R, C>();
    detail::check_row_count(R, rows, "tensor");
  }
  /// From nested rows, like `torch.FloatTensor([[0], [1], [1]])`.
  tensor(std::initializer_list<std::initializer_list<T>> rows) : tensor(rows.size()) {
    std::size_t i = 0;
    for (auto const& r : rows) {
      if (r.size() != C)
        detail::fail("tapeless::tensor: row " + std::to_string(i / C) + " has " + std::to_string(r.size()) +
                     " values, the tensor has " + std::to_string(C) + " columns");
      for (T x : r) values_[i++] = x;
    }
  }
  /// A copy of `rows × C` values at `values` (row-major).
  tensor(T const* values, std::size_t rows) : tensor(rows) {
    TAPELESS_CHECK(values != nullptr || rows == 0, "tapeless::tensor: null data pointer");
    for (std::size_t i = 0; i < rows * C; ++i) values_[i] = values[i];
  }
  /// Evaluates an expression of a compatible shape into a new tensor; reductions
  /// over rows inside it (`x - mean(x)`) are computed once, in one pass.
  /// The tensor is on the device of the expression's data (a GPU's in an nvcc
  /// translation unit; in a host unit, data on cuda are a `tl::error`).
  template <expression E, class Unit = detail::unit>
    requires(shape_of_t<E>::cols == C && (shape_of_t<E>::rows == R || R == dyn))
  explicit tensor(E const& e) : rows_(detail::rows_of(e)) {
    static_assert(!detail::has_nested_row_reduction<E>(),
                  "tapeless::tensor: the expression is not row-separable (a reduction over rows sits inside "
                  "another); build the inner reduction into a tensor first");
    detail::check_extents<R, C>();
    detail::check_row_count(R, rows_, "tensor");
    tapeless::device const where = detail::data_device(e);
    if (where == cpu) {
      values_.resize(checked_size(rows_));
      detail::evaluate_rows(e, values_.data());
    } else {
      on_device_ = Unit::allocate(where, checked_size(rows_) * sizeof(T), "tensor");
      Unit::evaluate_rows(where, e, data(), "tensor");
    }
  }

  tensor(tensor const&) = default;
  /// A moved-from tensor is as a default-constructed one: no rows (dyn), or R
  /// rows of zeros on the host.
  tensor(tensor&& other) noexcept(R == dyn)
      : rows_(other.rows_), values_(std::move(other.values_)), on_device_(std::move(other.on_device_)) {
    other.clear();
  }
  tensor& operator=(tensor const& other) {
    tensor copy(other);  // all or nothing: a copy to the device may fail
    swap(copy);
    return *this;
  }
  tensor& operator=(tensor&& other) noexcept(R == dyn) {
    tensor moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~tensor() = default;

  [[nodiscard]] std::size_t rows() const { return rows_; }
  /// Where the values are: `tl::cpu`, or `tl::cuda` after `.to(tl::cuda)`.
  [[nodiscard]] tapeless::device device() const { return on_device_ ? cuda : cpu; }
  /// The first value, in the memory of `device()`.
  [[nodiscard]] T* data() { return on_device_ ? static_cast<T*>(on_device_.get()) : values_.data(); }
  [[nodiscard]] T const* data() const { return on_device_ ? static_cast<T const*>(on_device_.get()) : values_.data(); }
  using detail::tensor_access<tensor, T, R, C>::operator();
  T& operator()(std::size_t i, std::size_t j) {
    this->check_on_host("element access");
    return values_[i * C + j];
  }
  [[nodiscard]] tensor_view<T, R, C> view() const { return {data(), rows_, device()}; }

  /// The values on `where`, like PyTorch's `x.to(device)`: a copy on the other
  /// device, or on the same device this tensor (moved from an rvalue, else
  /// copied). Placing values on cuda takes an nvcc translation unit (in a host
  /// unit it is a `tl::error`); any unit can copy them back to cpu.
  /// `tl::cuda_error` when a copy fails (out of device memory, no GPU).
  template <class Unit = detail::unit>
  [[nodiscard]] tensor to(tapeless::device where) const& {
    if (where == device()) return *this;
    if (where == cpu) {
      tensor out(rows_);
      copy_to_host(out.values_.data());
      return out;
    }
    return tensor(view(), where, Unit{});
  }
  /// Copies the rows() × C values, wherever they are, to host memory at `out`.
  /// Any translation unit can: device memory carries the operations that made it.
  void copy_to_host(T* out) const {
    if (on_device_) on_device_.copy_to_host(out, rows_ * C * sizeof(T));
    else std::copy(values_.begin(), values_.end(), out);
  }
  template <class Unit = detail::unit>
  [[nodiscard]] tensor to(tapeless::device where) && {
    if (where == device()) return std::move(*this);
    return std::as_const(*this).template to<Unit>(where);
  }

 private:
  template <class, std::size_t, std::size_t>
  friend class tensor_view;

  /// A copy of `from` on `where`.
  template <class Unit>
  tensor(tensor_view<T, R, C> const& from, tapeless::device where, Unit) : rows_(from.rows()) {
    detail::check_extents<R, C>();
    std::size_t const count = checked_size(rows_);
    if (where == cpu) {
      values_.resize(count);
      if (from.device() == cpu) std::copy(from.data(), from.data() + count, values_.data());
      else
        Unit::copy(from.device(), values_.data(), from.data(), count * sizeof(T), detail::copy_kind::to_host,
                   "tensor_view::to");
    } else {
      on_device_ = Unit::allocate(where, count * sizeof(T), "tensor::to");
      auto const kind = from.device() == cpu ? detail::copy_kind::to_device : detail::copy_kind::within_device;
      Unit::copy(where, on_device_.get(), from.data(), count * sizeof(T), kind, "tensor::to");
    }
  }

  void swap(tensor& other) noexcept {
    std::swap(rows_, other.rows_);
    values_.swap(other.values_);
    std::swap(on_device_, other.on_device_);
  }
  /// The state of `tensor()`.
  void clear() {
    rows_ = R == dyn ? 0 : R;
    values_.assign(rows_ * C, T{});
    on_device_ = detail::device_memory();
  }

  static std::size_t checked_size(std::size_t rows) {
    TAPELESS_CHECK(rows <= std::vector<T>().max_size() / C, "tapeless::tensor: too many rows for memory");
    return rows * C;
  }

  std::size_t rows_;
  std::vector<T> values_;               // the values on the host (empty when on a device)
  detail::device_memory on_device_;     // the values on a device, when they are there
};

/// A non-owning view of row-major data the caller owns: in host memory, or
/// in device memory when `where` is `tl::cuda` (then only a loss evaluated in
/// an nvcc translation unit reads it, on the device).
template <class T, std::size_t R, std::size_t C>
class tensor_view : public detail::tensor_access<tensor_view<T, R, C>, T, R, C> {
 public:
  tensor_view(T const* values, std::size_t rows, tapeless::device where = cpu)
      : values_(values), rows_(rows), where_(where) {
    detail::check_extents<R, C>();
    detail::check_row_count(R, rows, "tensor_view");
    TAPELESS_CHECK(values != nullptr || rows == 0, "tapeless::tensor_view: null data pointer");
  }
  [[nodiscard]] std::size_t rows() const { return rows_; }
  [[nodiscard]] T const* data() const { return values_; }
  /// Where the values are.
  [[nodiscard]] tapeless::device device() const { return where_; }
  /// An owning copy of the values on `where` (a `tl::tensor`). Reaching device
  /// memory takes an nvcc translation unit; in a host unit it is a `tl::error`.
  template <class Unit = detail::unit>
  [[nodiscard]] tensor<T, R, C> to(tapeless::device where) const {
    return tensor<T, R, C>(*this, where, Unit{});
  }

 private:
  T const* values_;
  std::size_t rows_;
  tapeless::device where_;
};

template <class Derived, class T, std::size_t R, std::size_t C>
template <class W>
auto detail::tensor_access<Derived, T, R, C>::matmul(W&& w) const& {
  return tapeless::matmul(expr(), std::forward<W>(w));
}

namespace detail {
template <class T, std::size_t R, std::size_t C>
inline constexpr bool owning<tensor<T, R, C>> = true;
}  // namespace detail

template <class Derived, class T, std::size_t R, std::size_t C>
double detail::tensor_access<Derived, T, R, C>::column_mean(std::size_t j) const {
  double s = 0;
  for (std::size_t i = 0; i < self().rows(); ++i) s += static_cast<double>((*this)(i, j));
  return s / static_cast<double>(self().rows());
}

template <class Derived, class T, std::size_t R, std::size_t C>
template <class Unit>
auto detail::tensor_access<Derived, T, R, C>::mean(int dim) const {
  TAPELESS_CHECK(dim == 0, "tapeless::tensor::mean: only dim=0 (column means) is supported");
  TAPELESS_CHECK(self().rows() > 0, "tapeless::tensor::mean: the tensor has no rows");
  tensor<T, 1, C> out;
  if (self().device() == cpu) {
    for (std::size_t j = 0; j < C; ++j) out(0, j) = static_cast<T>(column_mean(j));
    return out;
  }
  auto const sums = Unit::column_sums(self().device(), pass_rows(), "tensor::mean");
  for (std::size_t j = 0; j < C; ++j) out(0, j) = static_cast<T>(sums.v[j] / static_cast<double>(self().rows()));
  return std::move(out).template to<Unit>(self().device());
}

template <class Derived, class T, std::size_t R, std::size_t C>
template <class Unit>
auto detail::tensor_access<Derived, T, R, C>::std(int dim) const {
  TAPELESS_CHECK(dim == 0, "tapeless::tensor::std: only dim=0 (column deviations) is supported");
  std::size_t const n = self().rows();
  TAPELESS_CHECK(n > 1, "tapeless::tensor::std: the unbiased deviation needs at least two rows");
  tensor<T, 1, C> out;
  if (self().device() == cpu) {
    for (std::size_t j = 0; j < C; ++j) {
      double const m = column_mean(j);  // two passes in double: no cancellation
      double q = 0;
      for (std::size_t i = 0; i < n; ++i) {
        double const d = static_cast<double>((*this)(i, j)) - m;
        q += d * d;
      }
      out(0, j) = static_cast<T>(std::sqrt(q / static_cast<double>(n - 1)));
    }
    return out;
  }
  if constexpr (std::is_floating_point_v<T>) {
    // Two passes on the device, as on the host: the means, then the squared
    // deviations from them. The means travel as a parameter (in T, by value),
    // the deviations are computed in T and summed in double.
    auto const x = pass_rows();
    auto const sums = Unit::column_sums(self().device(), x, "tensor::std");
    param<"tapeless::column_means", 1, C, T> means;
    for (std::size_t j = 0; j < C; ++j) means[j] = static_cast<T>(sums.v[j] / static_cast<double>(n));
    auto const squares = Unit::column_sums(self().device(), tapeless::square(x - means), "tensor::std");
    for (std::size_t j = 0; j < C; ++j)
      out(0, j) = static_cast<T>(std::sqrt(squares.v[j] / static_cast<double>(n - 1)));
    return std::move(out).template to<Unit>(self().device());
  } else {
    fail("tapeless::tensor::std: the values are on " + std::string(self().device().name()) +
         " and not floating-point; copy them to the host first (.to(tl::cpu))");
  }
}

template <class T, std::size_t R, std::size_t C>
tensor(tensor<T, R, C>) -> tensor<T, R, C>;
/// `tl::tensor t{expression};` takes the expression's value type and shape.
template <expression E>
tensor(E) -> tensor<value_type_t<E>, shape_of_t<E>::rows, shape_of_t<E>::cols>;

namespace detail {
/// Writes `rows × C` host values like PyTorch, with `suffix` before the closing parenthesis.
template <class T, std::size_t C>
std::ostream& print_tensor(std::ostream& os, T const* values, std::size_t rows, std::string_view suffix) {
  std::vector<std::string> text;
  std::size_t width = 0;
  for (std::size_t i = 0; i < rows * C; ++i) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(4) << static_cast<double>(values[i]);
    text.push_back(s.str());
    width = std::max(width, text.back().size());
  }
  os << "tensor([";
  for (std::size_t i = 0; i < rows; ++i) {
    os << (i ? ",\n        [" : "[");
    for (std::size_t j = 0; j < C; ++j) os << (j ? ", " : "") << std::setw(static_cast<int>(width)) << text[i * C + j];
    os << ']';
  }
  return os << ']' << suffix << ')';
}
}  // namespace detail

/// Prints like PyTorch: `tensor([[-1.0000,  0.2000], …])`, four decimals; a
/// tensor on cuda ends `, device='cuda')` (its values are copied to the host to
/// print). A view of device memory is not printed: copy it first (`.to(tl::cpu)`).
template <class D, class T, std::size_t R, std::size_t C>
std::ostream& operator<<(std::ostream& os, detail::tensor_access<D, T, R, C> const& a) {
  auto const& t = static_cast<D const&>(a);
  if (t.device() == cpu) return detail::print_tensor<T, C>(os, t.data(), t.rows(), "");
  if constexpr (detail::owning<D>) {
    std::vector<T> host(t.rows() * C);
    t.copy_to_host(host.data());
    return detail::print_tensor<T, C>(os, host.data(), t.rows(), ", device='" + std::string(t.device().name()) + "'");
  } else {
    detail::fail("tapeless::tensor_view: printing reads the values on the host, and they are on " +
                 std::string(t.device().name()) + "; copy them first (.to(tl::cpu))");
  }
}

}  // namespace tapeless
