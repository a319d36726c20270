// Device memory on a GPU: round trips, bounds, out of memory.
#include <doctest/doctest.h>

#include <tapeless/backend/cuda/buffer.hpp>

#include <string>
#include <vector>

namespace tl = tapeless;

TEST_CASE("gpu: a device buffer round-trips a million floats") {
  std::vector<float> host(1'000'000), back(host.size());
  for (std::size_t i = 0; i < host.size(); ++i) host[i] = static_cast<float>(i) * 0.5f;
  tl::detail::device_buffer<float> buffer(host.size());
  buffer.copy_from_host(host.data(), host.size());
  buffer.copy_to_host(back.data(), back.size());
  CHECK(back == host);
  tl::detail::device_buffer<float> moved = std::move(buffer);
  CHECK(buffer.data() == nullptr);
  CHECK(moved.size() == host.size());
}

TEST_CASE("gpu: copying more than the buffer holds is refused before CUDA is called") {
  tl::detail::device_buffer<double> buffer(4);
  double values[5] = {};
  CHECK_THROWS_WITH_AS(buffer.copy_from_host(values, 5),
                       "tapeless: device_buffer::copy_from_host: 5 values asked for, the buffer holds 4", tl::error);
}

TEST_CASE("gpu: an allocation larger than the device is out of device memory, with its size") {
  std::string message;
  int code = 0;
  try {
    tl::detail::device_buffer<float> huge(std::size_t{1} << 48);  // 1 PiB
  } catch (tl::cuda_error const& e) {
    message = e.what();
    code = e.code();
  }
  CHECK(message == "tapeless: cudaMalloc failed: out of device memory (1.0 PiB requested) [cudaErrorMemoryAllocation]");
  CHECK(code == static_cast<int>(cudaErrorMemoryAllocation));
  tl::detail::device_buffer<float> after(16);  // the device still works
  CHECK(after.size() == 16);
}
