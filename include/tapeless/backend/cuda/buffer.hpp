#pragma once
// Device memory for nvcc translation units: the CUDA operations of a
// `device_memory` handle (device.hpp), each call checked (a failure throws
// `tl::cuda_error` naming the call), and `device_buffer<T>`, a typed owning
// buffer over one. Compiled by a host compiler this header declares nothing.

#include "../../config.hpp"
#include "../../device.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#if defined(__CUDACC__)
#  include <cuda_runtime_api.h>

namespace tapeless::detail {

inline void* cuda_allocate(std::size_t bytes) {
  void* p = nullptr;
  check_cuda(cudaMalloc(&p, bytes), "cudaMalloc", bytes);
  return p;
}
inline void cuda_release(void* p) noexcept {
  // Not thrown from a destructor: a sticky error (a kernel that faulted) is
  // reported again by the next checked call; any other is cleared, lest that
  // call report it as its own.
  if (cudaFree(p) != cudaSuccess) (void)cudaGetLastError();
}
inline void cuda_copy(void* to, void const* from, std::size_t bytes, copy_kind kind) {
  if (bytes == 0) return;  // nothing to copy, perhaps from or to no memory
  switch (kind) {
    case copy_kind::to_device:
      return check_cuda(cudaMemcpy(to, from, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to the device");
    case copy_kind::to_host:
      return check_cuda(cudaMemcpy(to, from, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy to the host");
    case copy_kind::within_device:
      return check_cuda(cudaMemcpy(to, from, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy on the device");
  }
}
/// The operations of memory on the current CUDA device.
inline constexpr device_ops cuda_memory{&cuda_allocate, &cuda_release, &cuda_copy};

/// `count` values of `T` in the current device's memory.
template <class T>
class device_buffer {
 public:
  device_buffer() = default;
  explicit device_buffer(std::size_t count) : memory_(checked_bytes(count), cuda_memory), count_(count) {}
  device_buffer(device_buffer&& other) noexcept
      : memory_(std::move(other.memory_)), count_(std::exchange(other.count_, 0)) {}
  device_buffer& operator=(device_buffer&& other) noexcept {
    memory_ = std::move(other.memory_);
    count_ = std::exchange(other.count_, 0);
    return *this;
  }
  device_buffer(device_buffer const&) = delete;
  device_buffer& operator=(device_buffer const&) = delete;

  [[nodiscard]] T* data() noexcept { return static_cast<T*>(memory_.get()); }
  [[nodiscard]] T const* data() const noexcept { return static_cast<T const*>(memory_.get()); }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  /// Copies `count` values from host memory to the start of the buffer.
  void copy_from_host(T const* host, std::size_t count) {
    check_count(count, "copy_from_host");
    memory_.copy_from_host(host, count * sizeof(T));
  }
  /// Copies the first `count` values of the buffer to host memory.
  void copy_to_host(T* host, std::size_t count) const {
    check_count(count, "copy_to_host");
    memory_.copy_to_host(host, count * sizeof(T));
  }

 private:
  static std::size_t checked_bytes(std::size_t count) {
    if (count > SIZE_MAX / sizeof(T))
      fail("tapeless: a device buffer of " + std::to_string(count) + " values does not fit in memory addresses");
    return count * sizeof(T);
  }
  void check_count(std::size_t count, char const* what) const {
    if (count > count_)
      fail(std::string("tapeless: device_buffer::") + what + ": " + std::to_string(count) +
           " values asked for, the buffer holds " + std::to_string(count_));
  }

  device_memory memory_;
  std::size_t count_ = 0;
};

/// At least `count` values of `T` in the current device's memory, which this
/// thread reuses from call to call (`Use` tells the uses apart): grown as
/// needed, and allocated again when the current device has changed since
/// (memory of another device is not for this device's kernels).
template <class Use, class T>
T* thread_workspace(std::size_t count) {
  struct held {
    device_buffer<T> buffer;
    int device = -1;
  };
  thread_local held h;
  int device = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  if (h.device != device || h.buffer.size() < count) {
    if (h.device != device && h.buffer.size() > 0) {  // free it where it was allocated
      check_cuda(cudaSetDevice(h.device), "cudaSetDevice");
      h.buffer = device_buffer<T>();
      check_cuda(cudaSetDevice(device), "cudaSetDevice");
    }
    h.buffer = device_buffer<T>();  // free before allocating more
    h.buffer = device_buffer<T>(count);
    h.device = device;
  }
  return h.buffer.data();
}

}  // namespace tapeless::detail

#endif
