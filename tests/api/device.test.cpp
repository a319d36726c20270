// tests for include/tapeless/device.hpp
#include <tapeless/device.hpp>

#include <doctest/doctest.h>

#include <sstream>

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
