// The CUDA build's host-side behaviour, run on every machine (label cuda): what
// cuda_available() and cuda_status() say, how a failed CUDA call reads, and that
// host code compiled by nvcc computes what the host compiler's does.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <tapeless/backend/cuda/buffer.hpp>
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <string>

namespace tl = tapeless;

namespace {
/// The message of the cuda_error that `f()` throws, and its code (−1 when none is thrown).
template <class F>
std::pair<std::string, int> cuda_error_of(F f) {
  try {
    f();
  } catch (tl::cuda_error const& e) {
    return {e.what(), e.code()};
  }
  return {"", -1};
}
}  // namespace

TEST_CASE("cuda: available exactly when the runtime sees a device; the status says why not") {
  int count = 0;
  bool const sees = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  (void)cudaGetLastError();
  CHECK(tl::cuda_available() == sees);
  std::string const status = tl::cuda_status();
  CAPTURE(status);
  if (sees) CHECK(status.rfind("cuda: ", 0) == 0);
  else CHECK(status.rfind("no CUDA device: ", 0) == 0);
  MESSAGE("this machine: " << status);
}

TEST_CASE("cuda: a failed call names the operation and CUDA's error; out of memory says so, with the size") {
  auto const [oom, oom_code] = cuda_error_of(
      [] { tl::detail::check_cuda(cudaErrorMemoryAllocation, "cudaMalloc", std::size_t{3} << 30); });
  CHECK(oom == "tapeless: cudaMalloc failed: out of device memory (3.0 GiB requested) [cudaErrorMemoryAllocation]");
  CHECK(oom_code == static_cast<int>(cudaErrorMemoryAllocation));

  auto const [invalid, invalid_code] =
      cuda_error_of([] { tl::detail::check_cuda(cudaErrorInvalidValue, "cudaMemcpy to the device"); });
  CHECK(invalid == std::string("tapeless: cudaMemcpy to the device failed: ") +
                       cudaGetErrorString(cudaErrorInvalidValue) + " [cudaErrorInvalidValue]");
  CHECK(invalid_code == static_cast<int>(cudaErrorInvalidValue));

  CHECK(cuda_error_of([] { tl::detail::check_cuda(cudaSuccess, "anything"); }).second == -1);
}

TEST_CASE("cuda: without a device, allocating device memory is a cuda_error, not a crash") {
  if (tl::cuda_available()) return;  // tests.cuda.gpu covers the device
  auto const [message, code] = cuda_error_of([] { tl::detail::device_buffer<float> buffer(16); });
  CAPTURE(message);
  CHECK(message.rfind("tapeless: cudaMalloc failed: ", 0) == 0);
  CHECK(code != static_cast<int>(cudaSuccess));
  tl::detail::device_buffer<float> empty(0);  // nothing to allocate: no CUDA call
  CHECK(empty.size() == 0);
  CHECK(empty.data() == nullptr);
}

TEST_CASE("cuda: the lecture's device line picks cpu without a GPU, and x.to(tl::cuda) is then a cuda_error") {
  if (tl::cuda_available()) return;  // tests.cuda.gpu covers the device
  tl::tensor<float, tl::dyn, 1> x{{1}, {2}};
  auto const device = tl::cuda_available() ? tl::cuda : tl::cpu;
  CHECK(device == tl::cpu);
  CHECK(x.to(device).device() == tl::cpu);
  auto const [message, code] = cuda_error_of([&] { (void)x.to(tl::cuda); });
  CAPTURE(message);
  CHECK(message.rfind("tapeless: cudaMalloc failed: ", 0) == 0);
  CHECK(code != static_cast<int>(cudaSuccess));
  CHECK(x.device() == tl::cpu);
}

TEST_CASE("cuda: an nvcc unit compiles and runs host losses over rows fixed at compile time, as g++ does") {
  // Reductions over static rows are evaluated after the pass, by host code that nvcc compiles too.
  tl::tensor<float, 4, 1> const x{{1}, {2}, {3}, {4}};
  tl::param<"w"> w{0.5f};
  auto const [value, grads] = tl::value_and_grad(tl::mean(tl::square(x * w)), w);
  CHECK(value == doctest::Approx(1.875));  // mean(0.25, 1, 2.25, 4)
  CHECK(grads[w].item() == doctest::Approx(7.5));
  tl::tensor<double, 4, 2> const z{{1, 10}, {2, 30}, {4, 20}, {8, 40}};
  auto const mu = z.mean(0), sigma = z.std(0);
  CHECK(mu(0, 0) == doctest::Approx(3.75));
  CHECK(mu(0, 1) == doctest::Approx(25.0));
  CHECK(sigma(0, 0) == doctest::Approx(std::sqrt(28.75 / 3)));  // squared deviations 7.5625, 3.0625, .0625, 18.0625
  CHECK(sigma(0, 1) == doctest::Approx(std::sqrt(500.0 / 3)));
}
