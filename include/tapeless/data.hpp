#pragma once
// Data utilities of a PyTorch lecture, for tensors: column standardisation
// (`(x - x.mean(0)) / x.std(0)`), mini-batches (`DataLoader(batch_size,
// shuffle, drop_last)`) and a train/test split (`train_test_split`).
//
// Shuffling uses tapeless's own generator (`nn::splitmix64`) so that an order
// is the same on every platform and can be re-created outside C++ (the
// reference script tools/reference/minibatch.py does). The algorithm is part
// of the interface, documented in docs/data.md:
//   - epoch e of seed s draws from `splitmix64(splitmix64(s)() + e)`;
//   - an index below `n` is a 64-bit draw `r` by rejection: draws below
//     `2^64 mod n` are discarded, then `r mod n` (no modulo bias);
//   - the order is a Fisher–Yates shuffle of 0…n−1: for i = n−1 down to 1,
//     swap element i with element `index below i + 1`.

#include "config.hpp"
#include "device.hpp"
#include "nn/linear.hpp"
#include "shape.hpp"
#include "tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tapeless {

namespace detail {
/// Throws unless X and y are in host memory: `api` reads their rows there.
inline void check_host_data(device x, device y, char const* api) {
  if (x != cpu || y != cpu)
    fail(std::string("tapeless::") + api + ": X and y must be on the host (cpu), they are on " +
         std::string(x.name()) + " and " + std::string(y.name()) + "; copy them first (.to(tl::cpu))");
}

template <class X>
inline constexpr bool is_tensor_like = false;
template <class T, std::size_t R, std::size_t C>
inline constexpr bool is_tensor_like<tensor<T, R, C>> = true;
template <class T, std::size_t R, std::size_t C>
inline constexpr bool is_tensor_like<tensor_view<T, R, C>> = true;
}  // namespace detail

/// Satisfied by `tl::tensor` and `tl::tensor_view` (cv-qualifiers and references ignored).
template <class X>
concept tensor_like = detail::is_tensor_like<std::remove_cvref_t<X>>;

namespace detail {
/// True for an rvalue owning tensor: a view kept of it would dangle.
template <class X>
inline constexpr bool temporary_tensor = owning<std::remove_cvref_t<X>> && !std::is_lvalue_reference_v<X>;

/// A uniformly drawn integer in [0, bound), bound > 0, without modulo bias.
inline std::uint64_t uniform_index(nn::splitmix64& gen, std::uint64_t bound) {
  std::uint64_t const threshold = (0 - bound) % bound;  // 2^64 mod bound
  for (;;) {
    std::uint64_t const r = gen();
    if (r >= threshold) return r % bound;
  }
}

/// The row order of epoch `epoch` of seed `seed`: a Fisher–Yates shuffle of 0…n−1.
inline void shuffled_order(std::uint64_t seed, std::uint64_t epoch, std::vector<std::size_t>& order) {
  std::iota(order.begin(), order.end(), std::size_t{0});
  nn::splitmix64 gen(nn::splitmix64(seed)() + epoch);
  for (std::size_t i = order.size(); i-- > 1;) std::swap(order[i], order[uniform_index(gen, i + 1)]);
}

/// Copies rows `order[first…first+count)` of a rows×C array into `out`.
template <class T, std::size_t C>
void gather_rows(T const* in, std::size_t const* order, std::size_t count, T* out) {
  for (std::size_t i = 0; i < count; ++i)
    for (std::size_t j = 0; j < C; ++j) out[i * C + j] = in[order[i] * C + j];
}
}  // namespace detail

// ---------------------------------------------------------------------------
// Standardisation
// ---------------------------------------------------------------------------

/// Column statistics of a standardisation: `mean` and unbiased `std` (n − 1, as
/// torch's `x.std(0)`), each a 1×C tensor, fitted on training data and applied
/// to any data with the same columns.
///
///     auto [x_train_std, scaler] = tl::standardize(x_train);
///     tl::tensor<float, tl::dyn, 3> x_val_std = scaler.transform(x_val);
template <class T, std::size_t C>
struct standardizer {
  static_assert(std::is_floating_point_v<T>, "tapeless::standardizer: the value type must be float or double");
  tensor<T, 1, C> mean;
  tensor<T, 1, C> std;

  /// The statistics of `x`'s columns. Throws tapeless::error for fewer than two
  /// rows, a non-finite value, or a constant column (its deviation is zero, so
  /// standardising would divide by zero).
  template <tensor_like X, class Unit = detail::unit>
    requires(std::remove_cvref_t<X>::cols == C && std::is_same_v<typename std::remove_cvref_t<X>::value_type, T>)
  static standardizer fit(X const& x) {
    TAPELESS_CHECK(x.rows() >= 2, "tapeless::standardize: the data has fewer than two rows; the unbiased standard "
                                  "deviation needs at least two");
    if (x.device() != cpu)
      detail::fail("tapeless::standardize: the data are on " + std::string(x.device().name()) +
                   "; standardise on the host (.to(tl::cpu)), or use (x - x.mean(0)) / x.std(0), which runs there");
    standardizer s{x.template mean<Unit>(0), x.template std<Unit>(0)};
    for (std::size_t j = 0; j < C; ++j) {
      if (!std::isfinite(s.mean(0, j)) || !std::isfinite(s.std(0, j)))
        detail::fail("tapeless::standardize: column " + std::to_string(j) +
                     " holds a value that is not finite (NaN or infinity); clean the data first");
      if (!(s.std(0, j) > 0))
        detail::fail("tapeless::standardize: column " + std::to_string(j) +
                     " is constant (standard deviation 0), so standardising would divide by zero; drop the column "
                     "or leave it unstandardised");
    }
    return s;
  }

  /// `(x - mean) / std`, row by row, in `T` (as torch computes it).
  template <tensor_like X>
    requires(std::remove_cvref_t<X>::cols == C && std::is_same_v<typename std::remove_cvref_t<X>::value_type, T>)
  [[nodiscard]] auto transform(X const& x) const {
    tensor<T, std::remove_cvref_t<X>::shape_type::rows, C> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i)
      for (std::size_t j = 0; j < C; ++j) out(i, j) = static_cast<T>((x(i, j) - mean(0, j)) / std(0, j));
    return out;
  }

  /// `x * std + mean`: back to the original units (predictions of a standardised target).
  template <tensor_like X>
    requires(std::remove_cvref_t<X>::cols == C && std::is_same_v<typename std::remove_cvref_t<X>::value_type, T>)
  [[nodiscard]] auto inverse_transform(X const& x) const {
    tensor<T, std::remove_cvref_t<X>::shape_type::rows, C> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i)
      for (std::size_t j = 0; j < C; ++j) out(i, j) = static_cast<T>(x(i, j) * std(0, j) + mean(0, j));
    return out;
  }
};

/// What `tl::standardize` returns: the standardised values and the statistics.
template <class T, std::size_t R, std::size_t C>
struct standardized {
  tensor<T, R, C> values;
  standardizer<T, C> stats;
};

/// Standardises each column, the lecture's `(x - x.mean(0)) / x.std(0)`, and
/// returns the statistics with the result (to apply them to validation data,
/// or to undo them). Throws tapeless::error instead of producing inf/NaN for a
/// constant column.
///
///     auto [norm_x_train, stats] = tl::standardize(x_train);   // stats.mean, stats.std (1×C)
template <tensor_like X, class Unit = detail::unit>
auto standardize(X const& x) {
  using V = std::remove_cvref_t<X>;
  using T = typename V::value_type;
  auto stats = standardizer<T, V::cols>::template fit<X, Unit>(x);
  auto values = stats.transform(x);
  return standardized<T, V::shape_type::rows, V::cols>{std::move(values), std::move(stats)};
}

// ---------------------------------------------------------------------------
// Mini-batches
// ---------------------------------------------------------------------------

/// Options of `tl::batches`, named and defaulted as torch's `DataLoader`
/// (`seed` stands for its `generator`).
struct batch_options {
  std::size_t batch_size = 1;
  bool shuffle = false;
  std::uint64_t seed = 0;
  bool drop_last = false;
};

/// One mini-batch: `X` and `y` views of `dyn` rows (`auto const& [xb, yb] = batch` works too).
template <class TX, std::size_t CX, class TY, std::size_t CY>
struct batch {
  tensor_view<TX, dyn, CX> X;
  tensor_view<TY, dyn, CY> y;
};

/// Mini-batches of the rows of `X` and `y`, as torch's `DataLoader`. Each loop
/// over the loader is one epoch; with `shuffle`, every epoch has a new order
/// (epoch e's order depends only on the seed and e, so `set_epoch` resumes it).
/// Without shuffling a batch views the caller's rows; with it, the batch's rows
/// are gathered into a buffer of the loader, valid until the next batch.
template <class TX, std::size_t CX, class TY, std::size_t CY>
class batch_loader {
 public:
  using batch_type = batch<TX, CX, TY, CY>;

  batch_loader(TX const* x, TY const* y, std::size_t rows, batch_options options)
      : x_(x), y_(y), rows_(rows), options_(options), current_{{x, 0}, {y, 0}} {
    TAPELESS_CHECK(options_.batch_size > 0, "tapeless::batches: batch_size must be at least 1");
    if (options_.shuffle) {
      order_.resize(rows_);
      x_buffer_.resize(std::min(options_.batch_size, rows_) * CX);
      y_buffer_.resize(std::min(options_.batch_size, rows_) * CY);
    }
  }
  // The loader points into itself (the gather buffers): not copyable.
  batch_loader(batch_loader const&) = delete;
  batch_loader& operator=(batch_loader const&) = delete;
  batch_loader(batch_loader&&) noexcept = default;
  batch_loader& operator=(batch_loader&&) noexcept = default;

  /// An input iterator over the batches of one epoch.
  class iterator {
   public:
    using value_type = batch_type;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;
    batch_type const& operator*() const { return loader_->current_; }
    batch_type const* operator->() const { return &loader_->current_; }
    iterator& operator++() {
      if (++index_ < loader_->size()) loader_->load(index_);
      return *this;
    }
    void operator++(int) { ++*this; }
    /// Which batch of the epoch this is (0, 1, …).
    [[nodiscard]] std::size_t index() const { return index_; }
    friend bool operator==(iterator const& it, std::default_sentinel_t) { return it.index_ >= it.loader_->size(); }

   private:
    friend class batch_loader;
    iterator(batch_loader* loader, std::size_t index) : loader_(loader), index_(index) {}
    batch_loader* loader_ = nullptr;
    std::size_t index_ = 0;
  };

  /// Starts the next epoch (a new order when shuffling) at its first batch.
  iterator begin() {
    std::uint64_t const e = epoch_++;
    if (options_.shuffle) detail::shuffled_order(options_.seed, e, order_);
    if (size() > 0) load(0);
    return {this, 0};
  }
  std::default_sentinel_t end() const { return {}; }

  /// Batches per epoch, torch's `len(loader)`: ⌈rows / batch_size⌉, or ⌊…⌋ with drop_last.
  [[nodiscard]] std::size_t size() const {
    std::size_t const full = rows_ / options_.batch_size;  // no overflow for any batch_size
    return options_.drop_last ? full : full + (rows_ % options_.batch_size != 0);
  }
  [[nodiscard]] std::size_t rows() const { return rows_; }
  [[nodiscard]] batch_options const& options() const { return options_; }
  /// The epoch the next loop runs: 0 at first, then one more per loop.
  [[nodiscard]] std::uint64_t epoch() const { return epoch_; }
  /// Makes the next loop run epoch `e` (as `DistributedSampler.set_epoch`; to resume).
  void set_epoch(std::uint64_t e) { epoch_ = e; }
  /// The row order of epoch `e` (0…rows−1 unshuffled).
  [[nodiscard]] std::vector<std::size_t> order(std::uint64_t e) const {
    std::vector<std::size_t> out(rows_);
    if (options_.shuffle) detail::shuffled_order(options_.seed, e, out);
    else std::iota(out.begin(), out.end(), std::size_t{0});
    return out;
  }

  /// Checkpoint state: the epoch counter (`"epoch"`, one uint64).
  template <class V>
  void visit_state(V&& v) {
    v(std::string_view("epoch"), std::span<std::uint64_t>(&epoch_, 1));
  }
  template <class V>
  void visit_state(V&& v) const {
    v(std::string_view("epoch"), std::span<std::uint64_t const>(&epoch_, 1));
  }

 private:
  void load(std::size_t k) {
    std::size_t const first = k * options_.batch_size;
    std::size_t const count = std::min(options_.batch_size, rows_ - first);
    if (!options_.shuffle) {
      current_ = {{x_ + first * CX, count}, {y_ + first * CY, count}};
      return;
    }
    detail::gather_rows<TX, CX>(x_, order_.data() + first, count, x_buffer_.data());
    detail::gather_rows<TY, CY>(y_, order_.data() + first, count, y_buffer_.data());
    current_ = {{x_buffer_.data(), count}, {y_buffer_.data(), count}};
  }

  TX const* x_;
  TY const* y_;
  std::size_t rows_;
  batch_options options_;
  std::uint64_t epoch_ = 0;
  std::vector<std::size_t> order_;
  std::vector<TX> x_buffer_;
  std::vector<TY> y_buffer_;
  batch_type current_;
};

/// Mini-batches of `X` and `y` (same number of rows), as torch's
/// `DataLoader(TensorDataset(X, y), batch_size, shuffle, drop_last)`:
///
///     auto loader = tl::batches(X, y, {.batch_size = 32, .shuffle = true, .seed = 1});
///     for (int epoch = 0; epoch < 10; ++epoch)
///       for (auto const& batch : loader) {
///         auto [loss, grads] = tl::value_and_grad(tl::mse_loss(batch.X * w + b, batch.y), w, b);
///         opt.step(grads);
///       }
///
/// The loader keeps pointers to `X` and `y`: they must outlive it (a temporary
/// tensor is refused).
template <tensor_like X, tensor_like Y>
  requires(!detail::temporary_tensor<X> && !detail::temporary_tensor<Y>)
auto batches(X&& x, Y&& y, batch_options options = {}) {
  using VX = std::remove_cvref_t<X>;
  using VY = std::remove_cvref_t<Y>;
  if (x.rows() != y.rows())
    detail::fail("tapeless::batches: X has " + std::to_string(x.rows()) + " rows but y has " +
                 std::to_string(y.rows()) + "; give every input row its target");
  detail::check_host_data(x.device(), y.device(), "batches");
  return batch_loader<typename VX::value_type, VX::cols, typename VY::value_type, VY::cols>(x.data(), y.data(),
                                                                                           x.rows(), options);
}
/// A temporary tensor would be destroyed before the loop reads it: name it first.
template <tensor_like X, tensor_like Y>
  requires(detail::temporary_tensor<X> || detail::temporary_tensor<Y>)
void batches(X&& x, Y&& y, batch_options options = {}) = delete;

// ---------------------------------------------------------------------------
// Train/test split
// ---------------------------------------------------------------------------

/// Options of `tl::train_test_split`, as scikit-learn's (`seed` is its `random_state`).
struct split_options {
  double test_size = 0.25;
  bool shuffle = true;
  std::uint64_t seed = 0;
};

/// The four parts of a split, in scikit-learn's order:
/// `auto [X_train, X_test, y_train, y_test] = tl::train_test_split(X, y, {.test_size = 0.2});`
template <class TX, std::size_t CX, class TY, std::size_t CY>
struct train_test {
  tensor<TX, dyn, CX> X_train;
  tensor<TX, dyn, CX> X_test;
  tensor<TY, dyn, CY> y_train;
  tensor<TY, dyn, CY> y_test;
};

/// Splits rows into a training and a test (validation) part, as scikit-learn's
/// `train_test_split`: ⌈test_size·n⌉ test rows, the rest for training. Shuffled
/// (the default), the rows are taken in the order of epoch 0 of `seed` (see
/// docs/data.md): the first ⌈test_size·n⌉ for the test part, the others for
/// training; unshuffled, the last rows are the test part.
template <tensor_like X, tensor_like Y>
auto train_test_split(X const& x, Y const& y, split_options options = {}) {
  using VX = std::remove_cvref_t<X>;
  using VY = std::remove_cvref_t<Y>;
  using TX = typename VX::value_type;
  using TY = typename VY::value_type;
  constexpr std::size_t CX = VX::cols, CY = VY::cols;
  std::size_t const n = x.rows();
  if (n != y.rows())
    detail::fail("tapeless::train_test_split: X has " + std::to_string(n) + " rows but y has " +
                 std::to_string(y.rows()) + "; give every input row its target");
  TAPELESS_CHECK(options.test_size > 0 && options.test_size < 1,
                 "tapeless::train_test_split: test_size must be a fraction strictly between 0 and 1");
  detail::check_host_data(x.device(), y.device(), "train_test_split");
  auto const n_test = static_cast<std::size_t>(std::ceil(options.test_size * static_cast<double>(n)));
  if (n_test == 0 || n_test >= n)
    detail::fail("tapeless::train_test_split: " + std::to_string(n) + " rows with test_size " +
                 std::to_string(options.test_size) + " leave one part empty; use more rows or another test_size");
  std::size_t const n_train = n - n_test;

  std::vector<std::size_t> order(n);
  if (options.shuffle) {
    detail::shuffled_order(options.seed, 0, order);
  } else {  // sklearn: training rows first, test rows last
    std::iota(order.begin() + static_cast<std::ptrdiff_t>(n_test), order.end(), std::size_t{0});
    std::iota(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_test), n_train);
  }
  train_test<TX, CX, TY, CY> out{tensor<TX, dyn, CX>(n_train), tensor<TX, dyn, CX>(n_test),
                                 tensor<TY, dyn, CY>(n_train), tensor<TY, dyn, CY>(n_test)};
  detail::gather_rows<TX, CX>(x.data(), order.data(), n_test, out.X_test.data());
  detail::gather_rows<TX, CX>(x.data(), order.data() + n_test, n_train, out.X_train.data());
  detail::gather_rows<TY, CY>(y.data(), order.data(), n_test, out.y_test.data());
  detail::gather_rows<TY, CY>(y.data(), order.data() + n_test, n_train, out.y_train.data());
  return out;
}

}  // namespace tapeless
