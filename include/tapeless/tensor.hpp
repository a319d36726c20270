#pragma once
// `tl::tensor<T, Rows, Cols>`: owning row-major data (the model's inputs and
// targets), and `tl::tensor_view`, the same over memory the caller owns.
//
// Columns are static; rows are static or `tl::dyn` (the batch). In an
// expression a tensor appears as a view (`expr::data`): the tensor must
// outlive the expressions built from it, as with a `std::span`.

#include "device.hpp"
#include "expr/leaf.hpp"
#include "eval/evaluate.hpp"
#include "expr/matmul.hpp"
#include "expr/node.hpp"
#include "shape.hpp"

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
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

  /// Column means, `x.mean(dim=0)`.
  [[nodiscard]] auto mean(int dim) const;
  /// Column standard deviations, unbiased (n − 1) like `x.std(dim=0)`.
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
  template <expression E>
    requires(shape_of_t<E>::cols == C && (shape_of_t<E>::rows == R || R == dyn))
  explicit tensor(E const& e) : tensor(detail::rows_of(e)) {
    static_assert(!detail::has_nested_row_reduction<E>(),
                  "tapeless::tensor: the expression is not row-separable (a reduction over rows sits inside "
                  "another); build the inner reduction into a tensor first");
    detail::evaluate_rows(e, values_.data());
  }

  [[nodiscard]] std::size_t rows() const { return rows_; }
  /// Where the values are (a tensor holds host memory; a view may be of device memory).
  [[nodiscard]] static constexpr tapeless::device device() { return cpu; }
  [[nodiscard]] T* data() { return values_.data(); }
  [[nodiscard]] T const* data() const { return values_.data(); }
  using detail::tensor_access<tensor, T, R, C>::operator();
  T& operator()(std::size_t i, std::size_t j) { return values_[i * C + j]; }
  [[nodiscard]] tensor_view<T, R, C> view() const { return {data(), rows_}; }

 private:
  static std::size_t checked_size(std::size_t rows) {
    TAPELESS_CHECK(rows <= std::vector<T>().max_size() / C, "tapeless::tensor: too many rows for memory");
    return rows * C;
  }

  std::size_t rows_;
  std::vector<T> values_;
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
auto detail::tensor_access<Derived, T, R, C>::mean(int dim) const {
  TAPELESS_CHECK(dim == 0, "tapeless::tensor::mean: only dim=0 (column means) is supported");
  TAPELESS_CHECK(self().rows() > 0, "tapeless::tensor::mean: the tensor has no rows");
  tensor<T, 1, C> out;
  for (std::size_t j = 0; j < C; ++j) out(0, j) = static_cast<T>(column_mean(j));
  return out;
}

template <class Derived, class T, std::size_t R, std::size_t C>
auto detail::tensor_access<Derived, T, R, C>::std(int dim) const {
  TAPELESS_CHECK(dim == 0, "tapeless::tensor::std: only dim=0 (column deviations) is supported");
  std::size_t const n = self().rows();
  TAPELESS_CHECK(n > 1, "tapeless::tensor::std: the unbiased deviation needs at least two rows");
  tensor<T, 1, C> out;
  for (std::size_t j = 0; j < C; ++j) {
    double const m = column_mean(j);  // two passes in double: no cancellation
    double q = 0;
    for (std::size_t i = 0; i < n; ++i) q += (static_cast<double>((*this)(i, j)) - m) * (static_cast<double>((*this)(i, j)) - m);
    out(0, j) = static_cast<T>(std::sqrt(q / static_cast<double>(n - 1)));
  }
  return out;
}

template <class T, std::size_t R, std::size_t C>
tensor(tensor<T, R, C>) -> tensor<T, R, C>;
/// `tl::tensor t{expression};` takes the expression's value type and shape.
template <expression E>
tensor(E) -> tensor<value_type_t<E>, shape_of_t<E>::rows, shape_of_t<E>::cols>;

/// Prints like PyTorch: `tensor([[-1.0000,  0.2000], …])`, four decimals.
template <class D, class T, std::size_t R, std::size_t C>
std::ostream& operator<<(std::ostream& os, detail::tensor_access<D, T, R, C> const& a) {
  auto const& t = static_cast<D const&>(a);
  std::ostringstream cells;
  std::vector<std::string> text;
  std::size_t width = 0;
  for (std::size_t i = 0; i < t.rows() * C; ++i) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(4) << static_cast<double>(t.data()[i]);
    text.push_back(s.str());
    width = std::max(width, text.back().size());
  }
  os << "tensor([";
  for (std::size_t i = 0; i < t.rows(); ++i) {
    os << (i ? ",\n        [" : "[");
    for (std::size_t j = 0; j < C; ++j) os << (j ? ", " : "") << std::setw(static_cast<int>(width)) << text[i * C + j];
    os << ']';
  }
  return os << "])";
}

}  // namespace tapeless
