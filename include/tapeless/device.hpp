#pragma once
// Devices, as on the lecture's GPU slide:
//
//     auto device = tl::cuda_available() ? tl::cuda : tl::cpu;
//     std::cout << device << '\n';            // "cpu" on a machine without a GPU
//
// `cuda_available()` is true only when the program was compiled by nvcc and a
// GPU is present at run time; a host-only build compiles the same code.
// `cuda_status()` says why not, in words. A CUDA call that fails throws
// `tl::cuda_error`, whose message names the operation and CUDA's error.

#include "config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#if defined(__CUDACC__)
#  include <cuda_runtime_api.h>
#endif

namespace tapeless {

/// Where data lives and kernels run.
struct device {
  enum class kind : std::uint64_t { cpu, cuda };  // 8 bytes: no padding where a leaf holds one
  kind type = kind::cpu;

  [[nodiscard]] constexpr std::string_view name() const { return type == kind::cpu ? "cpu" : "cuda"; }
  friend constexpr bool operator==(device, device) = default;
  friend std::ostream& operator<<(std::ostream& os, device d) { return os << d.name(); }
};

inline constexpr device cpu{device::kind::cpu};
inline constexpr device cuda{device::kind::cuda};

// Their bodies differ between host and nvcc translation units, so each kind of
// unit has its own (TAPELESS_UNIT): in a program of both, a host unit answers
// for itself (no CUDA: it cannot place data on a GPU), an nvcc unit for the GPU.
inline namespace TAPELESS_UNIT {

/// True when this program was built with CUDA and a GPU is present now (when
/// the calling file was compiled by nvcc and a GPU is present).
inline bool cuda_available() {
#if defined(__CUDACC__)
  int count = 0;
  if (cudaGetDeviceCount(&count) == cudaSuccess) return count > 0;
  (void)cudaGetLastError();  // or the next launch's check would report this as its own failure
  return false;
#else
  return false;
#endif
}

/// Why `cuda_available()` says what it says: "cuda: 1 device, NVIDIA H100 80GB
/// HBM3 (sm_90)", "no CUDA device: <CUDA's reason>", or "built without CUDA
/// (compile with nvcc and TAPELESS_ENABLE_CUDA)".
inline std::string cuda_status() {
#if defined(__CUDACC__)
  int count = 0;
  cudaError_t const rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess) {
    (void)cudaGetLastError();
    return std::string("no CUDA device: ") + cudaGetErrorString(rc) + " [" + cudaGetErrorName(rc) + "]";
  }
  if (count == 0) return "no CUDA device: the driver sees none";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    (void)cudaGetLastError();
    return "cuda: " + std::to_string(count) + (count == 1 ? " device" : " devices");
  }
  return "cuda: " + std::to_string(count) + (count == 1 ? " device, " : " devices, first ") + prop.name + " (sm_" +
         std::to_string(prop.major) + std::to_string(prop.minor) + ")";
#else
  return "built without CUDA (compile with nvcc and TAPELESS_ENABLE_CUDA)";
#endif
}

}  // namespace TAPELESS_UNIT

/// What a failed CUDA call throws (a `tapeless::error`): `what()` reads
/// "tapeless: <operation> failed: <CUDA's words> [<cudaError name>]", and
/// "out of device memory (<size> requested)" for an allocation that did not
/// fit. `code()` is the `cudaError_t` value.
class cuda_error : public error {
 public:
  cuda_error(std::string const& message, int code) : error(message), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

namespace detail {

/// "1.5 GiB": a byte count as a message shows it.
inline std::string byte_size(std::size_t bytes) {
  char const* const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < sizeof units / sizeof units[0]) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  if (unit == 0) std::snprintf(text, sizeof text, "%zu bytes", bytes);
  else std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

/// Which way a copy of device memory goes.
enum class copy_kind { to_device, to_host, within_device };

/// How one kind of device memory is allocated, freed and copied. Only nvcc
/// translation units can make CUDA calls, so the code that allocates device
/// memory (backend/cuda/buffer.hpp) hands these with it, and a host unit can
/// still copy, free and read back memory an nvcc unit allocated.
struct device_ops {
  void* (*allocate)(std::size_t bytes);  // throws on failure
  void (*release)(void* pointer) noexcept;
  void (*copy)(void* to, void const* from, std::size_t bytes, copy_kind kind);  // throws on failure
};

/// An owning handle of `bytes` bytes of device memory, with the operations
/// that made it: the same layout in host and nvcc units (a `tl::tensor` on
/// cuda holds one). A copy is a new allocation on the same device.
class device_memory {
 public:
  device_memory() = default;
  device_memory(std::size_t bytes, device_ops const& ops) : ops_(&ops), bytes_(bytes) {
    if (bytes > 0) pointer_ = ops.allocate(bytes);
  }
  device_memory(device_memory const& other) : ops_(other.ops_), bytes_(other.bytes_) {
    if (other.pointer_ == nullptr) return;
    pointer_ = ops_->allocate(bytes_);
    try {
      ops_->copy(pointer_, other.pointer_, bytes_, copy_kind::within_device);
    } catch (...) {
      ops_->release(pointer_);
      throw;
    }
  }
  device_memory(device_memory&& other) noexcept
      : ops_(std::exchange(other.ops_, nullptr)),
        pointer_(std::exchange(other.pointer_, nullptr)),
        bytes_(std::exchange(other.bytes_, 0)) {}
  device_memory& operator=(device_memory other) noexcept {
    std::swap(ops_, other.ops_);
    std::swap(pointer_, other.pointer_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  ~device_memory() {
    if (pointer_ != nullptr) ops_->release(pointer_);
  }

  /// True when this handle holds device memory (possibly of zero bytes).
  [[nodiscard]] explicit operator bool() const noexcept { return ops_ != nullptr; }
  [[nodiscard]] void* get() const noexcept { return pointer_; }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  /// Copies `bytes` bytes from host memory at `from` to the start of this memory.
  void copy_from_host(void const* from, std::size_t bytes) {
    check_fits(bytes);
    if (bytes > 0) ops_->copy(pointer_, from, bytes, copy_kind::to_device);
  }
  /// Copies the first `bytes` bytes of this memory to host memory at `to`.
  void copy_to_host(void* to, std::size_t bytes) const {
    check_fits(bytes);
    if (bytes > 0) ops_->copy(to, pointer_, bytes, copy_kind::to_host);
  }

 private:
  void check_fits(std::size_t bytes) const {
    if (bytes > bytes_)
      fail("tapeless: a copy of " + byte_size(bytes) + " does not fit in " + byte_size(bytes_) + " of device memory");
  }

  device_ops const* ops_ = nullptr;
  void* pointer_ = nullptr;
  std::size_t bytes_ = 0;
};

#if defined(__CUDACC__)
/// Throws `cuda_error` unless `rc` is `cudaSuccess`; `bytes`, when given, is the
/// size an allocation asked for.
inline void check_cuda(cudaError_t rc, char const* operation, std::size_t bytes = 0) {
  if (rc == cudaSuccess) return;
  (void)cudaGetLastError();  // clear the error, unless it is sticky
  std::string message = std::string("tapeless: ") + operation + " failed: ";
  if (rc == cudaErrorMemoryAllocation)
    message += "out of device memory" + (bytes > 0 ? " (" + byte_size(bytes) + " requested)" : std::string());
  else
    message += cudaGetErrorString(rc);
  throw cuda_error(message + " [" + cudaGetErrorName(rc) + "]", static_cast<int>(rc));
}
#endif

}  // namespace detail

}  // namespace tapeless
