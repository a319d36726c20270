// tests for include/tapeless/device.hpp
#include <tapeless/device.hpp>

#include <doctest/doctest.h>

#include <sstream>
#include <string>

namespace tl = tapeless;

TEST_CASE("device: the lecture's choice prints cpu in a host-only build") {
  auto const device = tl::cuda_available() ? tl::cuda : tl::cpu;
#if !defined(__CUDACC__)
  CHECK_FALSE(tl::cuda_available());
  CHECK(device == tl::cpu);
#endif
  std::ostringstream os;
  os << tl::cpu << ' ' << tl::cuda;
  CHECK(os.str() == "cpu cuda");
  CHECK(device.name() == (device == tl::cpu ? "cpu" : "cuda"));
}

TEST_CASE("device: cuda_status says why there is no GPU; sizes in messages") {
#if !defined(__CUDACC__)
  CHECK(tl::cuda_status() == "built without CUDA (compile with nvcc and TAPELESS_ENABLE_CUDA)");
#endif
  CHECK(tl::detail::byte_size(0) == "0 bytes");
  CHECK(tl::detail::byte_size(1023) == "1023 bytes");
  CHECK(tl::detail::byte_size(1536) == "1.5 KiB");
  CHECK(tl::detail::byte_size(std::size_t{3} << 30) == "3.0 GiB");
  CHECK(tl::detail::byte_size(std::size_t{1} << 50) == "1.0 PiB");
  tl::cuda_error const e("tapeless: cudaMalloc failed: out of device memory", 2);
  CHECK(e.code() == 2);
  CHECK(std::string(e.what()) == "tapeless: cudaMalloc failed: out of device memory");
  tl::error const& base = e;  // caught with every other tapeless error
  CHECK(std::string(base.what()).rfind("tapeless: ", 0) == 0);
}
