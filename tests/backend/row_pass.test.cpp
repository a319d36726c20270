// tests for include/tapeless/backend/thrust/row_pass.hpp: the one pass over
// the rows, across block boundaries, thread counts and sizes.
#include "laws/gradcheck.hpp"
#include "laws/lowering.hpp"

#include <tapeless/backend/thrust/row_pass.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#if defined(_OPENMP)
#  include <omp.h>
#endif

#include <cmath>
#include <cstddef>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {
/// The lecture's loss and gradients by a plain double loop.
struct reference {
  double loss = 0, gb = 0, gw[3] = {0, 0, 0};
};
reference naive(tl::tensor<float, dyn, 3> const& X, tl::tensor<float, dyn, 1> const& y, tl::param<"w", 3, 1> const& w,
                tl::param<"b"> const& b) {
  reference out;
  std::size_t const n = X.rows();
  for (std::size_t i = 0; i < n; ++i) {
    double r = static_cast<double>(b.item()) - y(i, 0);
    for (std::size_t k = 0; k < 3; ++k) r += static_cast<double>(X(i, k)) * w[k];
    out.loss += r * r / static_cast<double>(n);
    out.gb += 2 * r / static_cast<double>(n);
    for (std::size_t k = 0; k < 3; ++k) out.gw[k] += 2 * r * X(i, k) / static_cast<double>(n);
  }
  return out;
}
}  // namespace

TEST_CASE("row_pass: sizes around block boundaries give the reference sums") {
  // 7, 8, 9, 15, 16, 17: around the 8 rows a block sums side by side (lanes).
  for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{8}, std::size_t{9},
                        std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{4095}, std::size_t{4096},
                        std::size_t{4097}, std::size_t{3 * 4096 + 17}, std::size_t{100'003}}) {
    CAPTURE(n);
    tl::tensor<float, dyn, 3> X(n);
    tl::tensor<float, dyn, 1> y(n);
    laws::rng r(n);
    for (std::size_t i = 0; i < n * 3; ++i) X.data()[i] = static_cast<float>(r());
    for (std::size_t i = 0; i < n; ++i) y.data()[i] = static_cast<float>(r());
    tl::param<"w", 3, 1> w{{0.5f}, {-0.25f}, {1.5f}};
    tl::param<"b"> b{0.125f};
    auto const [value, grads] = tl::value_and_grad(tl::mean(tl::square(X * w + b - y)), w, b);
    auto const ref = naive(X, y, w, b);
    CHECK(laws::close(value, ref.loss, 1e-6));
    CHECK(laws::close(grads[b].item(), ref.gb, 1e-5, 1e-6));
    for (std::size_t k = 0; k < 3; ++k) CHECK(laws::close(grads[w][k], ref.gw[k], 1e-5, 1e-6));
  }
}

namespace {
/// Loss and gradients of least squares with D features, by a plain double loop.
template <std::size_t D>
void check_wide(std::size_t n) {
  tl::tensor<float, dyn, D> X(n);
  tl::tensor<float, dyn, 1> y(n);
  laws::rng r(n + D);
  for (std::size_t i = 0; i < n * D; ++i) X.data()[i] = static_cast<float>(r());
  for (std::size_t i = 0; i < n; ++i) y.data()[i] = static_cast<float>(r());
  tl::param<"w", D, 1> w;
  for (std::size_t k = 0; k < D; ++k) w.value()[k] = static_cast<float>(r()) / static_cast<float>(D);
  tl::param<"b"> b{0.125f};
  double loss = 0, gb = 0, gw[D] = {};
  for (std::size_t i = 0; i < n; ++i) {
    double res = static_cast<double>(b.item()) - y(i, 0);
    for (std::size_t k = 0; k < D; ++k) res += static_cast<double>(X(i, k)) * w[k];
    loss += res * res / static_cast<double>(n);
    gb += 2 * res / static_cast<double>(n);
    for (std::size_t k = 0; k < D; ++k) gw[k] += 2 * res * X(i, k) / static_cast<double>(n);
  }
  auto const cost = tl::mean(tl::square(X * w + b - y));
  auto const [value, grads] = tl::value_and_grad(cost, w, b);
  CHECK(laws::close(value, loss, 1e-5));
  CHECK(laws::close(tl::value(cost), loss, 1e-5));
  CHECK(laws::close(grads[b].item(), gb, 1e-4, 1e-6));
  for (std::size_t k = 0; k < D; ++k) CHECK(laws::close(grads[w][k], gw[k], 1e-4, 1e-6));
}
}  // namespace

TEST_CASE("row_pass: wide rows (interleaved partial dot products, row by row) give the reference sums") {
  // D = 16 and 128 take the partial sums of matmul (inner >= 16), 20 leaves a
  // remainder after them; 5 and 8 are narrow enough to be summed in lanes.
  for (std::size_t n : {std::size_t{1}, std::size_t{9}, std::size_t{4097}}) {
    CAPTURE(n);
    check_wide<5>(n);
    check_wide<8>(n);
    check_wide<16>(n);
    check_wide<20>(n);
    check_wide<128>(n);
  }
}

TEST_CASE("row_pass: narrow rows are summed in lanes, wide ones row by row") {
  tl::tensor<float, dyn, 3> narrow(4);
  tl::tensor<float, dyn, 16> wide(4);
  auto const narrow_pass = tl::detail::make_pass<float, tl::detail::type_list<>>(std::tuple{tl::sum(tl::square(narrow))});
  auto const wide_pass = tl::detail::make_pass<float, tl::detail::type_list<>>(std::tuple{tl::sum(tl::square(wide))});
  CHECK(decltype(narrow_pass)::lanes == tl::detail::row_lanes);
  CHECK(decltype(wide_pass)::lanes == 1);
}

#if defined(_OPENMP)
TEST_CASE("row_pass: results do not depend on the thread count beyond rounding") {
  std::size_t const n = 200'000;
  tl::tensor<float, dyn, 3> X(n);
  tl::tensor<float, dyn, 1> y(n);
  laws::rng r(99);
  for (std::size_t i = 0; i < n * 3; ++i) X.data()[i] = static_cast<float>(r());
  for (std::size_t i = 0; i < n; ++i) y.data()[i] = static_cast<float>(r());
  tl::param<"w", 3, 1> w{{0.5f}, {-0.25f}, {1.5f}};
  tl::param<"b"> b{0.125f};
  auto const cost = tl::mean(tl::square(X * w + b - y));
  int const before = omp_get_max_threads();
  omp_set_num_threads(1);
  auto const one = tl::value_and_grad(cost, w, b);
  omp_set_num_threads(2);
  auto const two = tl::value_and_grad(cost, w, b);
  omp_set_num_threads(before);
  CHECK(laws::close(one.value, two.value, 1e-7));
  for (std::size_t k = 0; k < 3; ++k) CHECK(laws::close(one.grads[w][k], two.grads[w][k], 1e-6, 1e-7));
}
#endif

TEST_CASE("row_pass: an accumulator of K doubles adds elementwise") {
  tl::detail::accumulator<3> a{{1, 2, 3}}, b{{10, 20, 30}};
  auto const c = tl::detail::accumulate_plus<3>{}(a, b);
  CHECK(c.v[0] == 11);
  CHECK(c.v[2] == 33);
}

namespace {
/// The pass run as G GPU threads would run it (thread t: rows t, t + G, …), the
/// threads' sums added in thread order.
template <std::size_t K, class Pass>
tl::detail::accumulator<K> strided(Pass const& pass, std::size_t threads) {
  tl::detail::accumulator<K> total{};
  for (std::size_t t = 0; t < threads; ++t) {
    double acc[K] = {};
    pass.accumulate_strided(t, threads, acc);
    for (std::size_t k = 0; k < K; ++k) total.v[k] += acc[k];
  }
  return total;
}
}  // namespace

TEST_CASE("row_pass: the strided share of each GPU thread covers every row once, for any grid") {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{255}, std::size_t{256},
                        std::size_t{257}, std::size_t{10'007}}) {
    CAPTURE(n);
    tl::tensor<float, dyn, 3> X(n);
    tl::tensor<float, dyn, 1> y(n);
    laws::rng r(n + 1);
    for (std::size_t i = 0; i < n * 3; ++i) X.data()[i] = static_cast<float>(r());
    for (std::size_t i = 0; i < n; ++i) y.data()[i] = static_cast<float>(r());
    tl::param<"w", 3, 1> w{{0.5f}, {-0.25f}, {1.5f}};
    tl::param<"b"> b{0.125f};
    auto const program = laws::squared_error_program<3>(X.data(), y.data(), n, w, b);
    using Pass = std::remove_cvref_t<decltype(program.pass)>;
    constexpr std::size_t K = Pass::sums;
    auto const blocks = tl::detail::run_pass<K>(program.pass, n);
    for (std::size_t threads : {std::size_t{1}, std::size_t{3}, std::size_t{256}, n + 7}) {
      CAPTURE(threads);
      auto const grid = strided<K>(program.pass, threads);
      for (std::size_t k = 0; k < K; ++k) CHECK(laws::close(grid.v[k], blocks.v[k], 1e-12, 1e-12));
    }
  }
}
