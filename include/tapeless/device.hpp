#pragma once
// Devices, as on the lecture's GPU slide:
//
//     auto device = tl::cuda_available() ? tl::cuda : tl::cpu;
//     std::cout << device << '\n';            // "cpu" on a machine without a GPU
//
// `cuda_available()` is true only when the program was compiled by nvcc and a
// GPU is present at run time; a host-only build compiles the same code.

#include <ostream>
#include <string_view>

#if defined(__CUDACC__)
#  include <cuda_runtime_api.h>
#endif

namespace tapeless {

/// Where data lives and kernels run.
struct device {
  enum class kind { cpu, cuda };
  kind type = kind::cpu;

  [[nodiscard]] constexpr std::string_view name() const { return type == kind::cpu ? "cpu" : "cuda"; }
  friend constexpr bool operator==(device, device) = default;
  friend std::ostream& operator<<(std::ostream& os, device d) { return os << d.name(); }
};

inline constexpr device cpu{device::kind::cpu};
inline constexpr device cuda{device::kind::cuda};

/// True when this program was built with CUDA and a GPU is present now.
inline bool cuda_available() {
#if defined(__CUDACC__)
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
#else
  return false;
#endif
}

}  // namespace tapeless
