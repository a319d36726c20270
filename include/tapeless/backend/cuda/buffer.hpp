#pragma once
// Device memory for nvcc translation units: an owning buffer whose every CUDA
// call is checked (a failure throws `tl::cuda_error` naming the call). Compiled
// by a host compiler this header declares nothing.

#include "../../config.hpp"
#include "../../device.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#if defined(__CUDACC__)
#  include <cuda_runtime_api.h>

namespace tapeless::detail {

/// `count` values of `T` in the current device's memory.
template <class T>
class device_buffer {
 public:
  device_buffer() = default;
  explicit device_buffer(std::size_t count) : count_(count) {
    if (count > SIZE_MAX / sizeof(T))
      fail("tapeless: a device buffer of " + std::to_string(count) + " values does not fit in memory addresses");
    if (count > 0) {
      void* p = nullptr;
      check_cuda(cudaMalloc(&p, count * sizeof(T)), "cudaMalloc", count * sizeof(T));
      data_ = static_cast<T*>(p);
    }
  }
  device_buffer(device_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  device_buffer& operator=(device_buffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }
  device_buffer(device_buffer const&) = delete;
  device_buffer& operator=(device_buffer const&) = delete;
  ~device_buffer() { release(); }

  [[nodiscard]] T* data() noexcept { return data_; }
  [[nodiscard]] T const* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  /// Copies `count` values from host memory to the start of the buffer.
  void copy_from_host(T const* host, std::size_t count) {
    check_count(count, "copy_from_host");
    if (count > 0) check_cuda(cudaMemcpy(data_, host, count * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy to the device");
  }
  /// Copies the first `count` values of the buffer to host memory.
  void copy_to_host(T* host, std::size_t count) const {
    check_count(count, "copy_to_host");
    if (count > 0) check_cuda(cudaMemcpy(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy to the host");
  }

 private:
  void check_count(std::size_t count, char const* what) const {
    if (count > count_)
      fail(std::string("tapeless: device_buffer::") + what + ": " + std::to_string(count) +
           " values asked for, the buffer holds " + std::to_string(count_));
  }
  void release() noexcept {
    if (data_ != nullptr) (void)cudaFree(data_);  // a failure here is reported by the next checked call
    data_ = nullptr;
    count_ = 0;
  }

  T* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace tapeless::detail

#endif
