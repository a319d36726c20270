// The pass on a GPU (backend/cuda/row_pass.hpp) against the host pass on the
// same rows: sizes around block and grid boundaries, two widths, determinism,
// and a pass over more than 2^31 rows (64-bit row indices).
#include "laws/lowering.hpp"

#include <doctest/doctest.h>
#include <tapeless/backend/cuda/row_pass.hpp>
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {

bool close(double a, double b, double rel) {
  return std::abs(a - b) <= rel * std::fmax(1.0, std::fmax(std::abs(a), std::abs(b)));
}

template <std::size_t D>
void compare_with_host(std::size_t n) {
  CAPTURE(n);
  CAPTURE(D);
  std::vector<float> x(n * D), y(n);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37 % 101)) / 50.0f - 1.0f;
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>((i * 13 % 17)) / 8.0f - 1.0f;
  tl::detail::device_buffer<float> dx(x.size()), dy(y.size());
  dx.copy_from_host(x.data(), x.size());
  dy.copy_from_host(y.data(), y.size());
  tl::param<"w", D, 1> w;
  for (std::size_t k = 0; k < D; ++k) w[k] = 0.25f * static_cast<float>(k) - 0.5f;
  tl::param<"b"> b{0.125f};

  auto const host = laws::squared_error_program<D>(x.data(), y.data(), n, w, b);
  auto const device = laws::squared_error_program<D>(dx.data(), dy.data(), n, w, b);
  constexpr std::size_t K = std::remove_cvref_t<decltype(host.pass)>::sums;
  auto const expected = tl::detail::run_pass<K>(host.pass, n);
  auto const got = tl::detail::run_pass_cuda<K>(device.pass, n);
  auto const again = tl::detail::run_pass_cuda<K>(device.pass, n);
  for (std::size_t k = 0; k < K; ++k) {
    CAPTURE(k);
    CHECK(close(got.v[k], expected.v[k], 1e-5));  // float row values may round differently (FMA)
  }
  CHECK(std::memcmp(got.v, again.v, sizeof got.v) == 0);  // deterministic on one device
}

__global__ void fill_pattern(float* x, float* y, std::size_t n) {
  for (std::size_t r = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < n;
       r += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    x[r] = static_cast<float>(r % 7) - 3.0f;
    y[r] = static_cast<float>(r % 5);
  }
}

}  // namespace

TEST_CASE("gpu pass: sums equal the host pass around block and grid boundaries (D = 3 and 16)") {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{255}, std::size_t{256}, std::size_t{257},
                        std::size_t{4097}, std::size_t{1'000'003}}) {
    compare_with_host<3>(n);
    compare_with_host<16>(n);
  }
}

TEST_CASE("gpu pass: more than 2^31 rows (64-bit row indices)") {
  std::size_t const n = (std::size_t{1} << 31) + 7;
  std::size_t free = 0, total = 0;
  tl::detail::check_cuda(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  if (free < 2 * n * sizeof(float) + (std::size_t{1} << 30)) {
    MESSAGE("skipped: needs " << tl::detail::byte_size(2 * n * sizeof(float)) << " of device memory, "
                              << tl::detail::byte_size(free) << " free");
    return;
  }
  tl::detail::device_buffer<float> x(n), y(n);
  fill_pattern<<<1024, 256>>>(x.data(), y.data(), n);
  tl::detail::check_cuda(cudaGetLastError(), "launching fill_pattern");
  tl::param<"w", 1, 1> w{1.0f};
  tl::param<"b"> b{0.5f};
  auto const program = laws::squared_error_program<1>(x.data(), y.data(), n, w, b);
  constexpr std::size_t K = std::remove_cvref_t<decltype(program.pass)>::sums;
  auto const got = tl::detail::run_pass_cuda<K>(program.pass, n);

  // Row r: residual e = (r mod 7 − 3) + 0.5 − (r mod 5), period 35: the sums by residue class.
  double loss = 0, gw = 0, gb = 0;
  for (std::size_t c = 0; c < 35; ++c) {
    double const count = static_cast<double>(n / 35 + (c < n % 35 ? 1 : 0));
    double const xr = static_cast<double>(c % 7) - 3.0, e = xr + 0.5 - static_cast<double>(c % 5);
    loss += count * e * e;
    gw += count * 2 * e * xr;
    gb += count * 2 * e;
  }
  // The outputs as value_and_grad reads them from the sums: the loss, ∂/∂w, ∂/∂b. A row index
  // that wrapped at 2^31 would lose or repeat ~2^31 rows: far outside 1e-6.
  tl::expr::context<float> const ctx{program.pass.params, got.v};
  CHECK(close(std::get<0>(program.outputs).template at<float>(0, ctx)[0], loss, 1e-6));
  CHECK(close(std::get<1>(program.outputs).template at<float>(0, ctx)[0], gw, 1e-6));
  CHECK(close(std::get<2>(program.outputs).template at<float>(0, ctx)[0], gb, 1e-6));
}
