#pragma once
// The hand-written CUDA side of the GPU benchmark: the fill kernel that draws the data on the
// device, the read floor (a plain reduction over X and y), the hand-fused step kernel for linear
// regression at compile-time D, and the lecture problems trained in one launch. Each kernel's
// per-thread work is a `__host__ __device__` function, so that `bench.gpu.step --cpu-selftest`
// runs the same arithmetic and indexing on the host, for any grid, without a GPU.

#include "common.cuh"

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <cub/block/block_reduce.cuh>
#include <cuda_runtime_api.h>

// `#pragma unroll` in `__host__ __device__` functions: the device pass only (g++ warns of it).
#if defined(__CUDA_ARCH__)
#  define GPU_BENCH_UNROLL _Pragma("unroll")
#else
#  define GPU_BENCH_UNROLL
#endif

namespace gpu_bench {

// ---------------------------------------------------------------- data

/// out[i] = uniform_value(key, i) for i < count.
__global__ void fill_kernel(float* out, std::size_t count, std::uint32_t key) {
  std::size_t const stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride)
    out[i] = uniform_value(key, i);
}

/// Four floats at p (16-byte aligned): one 16-byte load on the device.
__host__ __device__ inline float4 load4(float const* p) {
#if defined(__CUDA_ARCH__)
  return __ldg(reinterpret_cast<float4 const*>(p));
#else
  float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
#endif
}

// ---------------------------------------------------------------- the read floor

/// Thread `first` of `stride` threads: its share of the sum of `count` floats at `a` (16-byte
/// aligned), four 16-byte loads in flight; the count % 4 floats at the end go to threads 0..3.
__host__ __device__ inline float floor_share(float const* a, std::size_t count, std::size_t first,
                                             std::size_t stride) {
  std::size_t const quads = count / 4;
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::size_t q = first;
  for (; q + 3 * stride < quads; q += 4 * stride) {
    float4 const v0 = load4(a + 4 * q), v1 = load4(a + 4 * (q + stride)), v2 = load4(a + 4 * (q + 2 * stride)),
                 v3 = load4(a + 4 * (q + 3 * stride));
    s0 += (v0.x + v0.y) + (v0.z + v0.w);
    s1 += (v1.x + v1.y) + (v1.z + v1.w);
    s2 += (v2.x + v2.y) + (v2.z + v2.w);
    s3 += (v3.x + v3.y) + (v3.z + v3.w);
  }
  for (; q < quads; q += stride) {
    float4 const v = load4(a + 4 * q);
    s0 += (v.x + v.y) + (v.z + v.w);
  }
  float total = (s0 + s1) + (s2 + s3);
  if (first < count - 4 * quads) total += a[4 * quads + first];
  return total;
}

/// One partial sum per block of Σ x + Σ y: reads every byte of X and y once.
template <unsigned Threads>
__global__ void __launch_bounds__(Threads)
    floor_kernel(float const* x, std::size_t nx, float const* y, std::size_t ny, float* partials) {
  std::size_t const first = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  std::size_t const stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  float const s = floor_share(x, nx, first, stride) + floor_share(y, ny, first, stride);
  using reduce = cub::BlockReduce<float, Threads>;
  __shared__ typename reduce::TempStorage temp;
  float const total = reduce(temp).Sum(s);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

/// out[0] = Σ partials[0..count) in double, one block of 256 threads.
__global__ void __launch_bounds__(256) floor_combine_kernel(float const* partials, unsigned count, double* out) {
  double s = 0;
  for (unsigned i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
  using reduce = cub::BlockReduce<double, 256>;
  __shared__ typename reduce::TempStorage temp;
  double const total = reduce(temp).Sum(s);
  if (threadIdx.x == 0) out[0] = total;
}

// ---------------------------------------------------------------- the hand-fused step

/// The parameters of a step, by value in the launch.
template <int D>
struct hand_params {
  float w[D];
  float b;
};

/// Thread `first` of `stride` threads: adds its rows' e², e·x_k (k < D) and e, e = x·w + b − y, to
/// acc[0..D+2). Rows come in groups of 4 (D + 1 16-byte loads: X row-major, 4 rows = D float4,
/// y = 1 float4), summed in float within a group and in double across groups; the n % 4 rows at
/// the end go to threads 0..3.
template <int D>
__host__ __device__ inline void hand_share(float const* X, float const* y, std::size_t n, hand_params<D> const& p,
                                           std::size_t first, std::size_t stride, double* acc) {
  constexpr int K = D + 2;
  std::size_t const groups = n / 4;
  for (std::size_t g = first; g < groups; g += stride) {
    float xs[4 * D];
    GPU_BENCH_UNROLL
    for (int j = 0; j < D; ++j) {
      float4 const v = load4(X + (g * D + static_cast<std::size_t>(j)) * 4);
      xs[4 * j] = v.x;
      xs[4 * j + 1] = v.y;
      xs[4 * j + 2] = v.z;
      xs[4 * j + 3] = v.w;
    }
    float4 const yv = load4(y + 4 * g);
    float const ys[4] = {yv.x, yv.y, yv.z, yv.w};
    float part[K] = {};
    GPU_BENCH_UNROLL
    for (int r = 0; r < 4; ++r) {
      float e = p.b - ys[r];
      GPU_BENCH_UNROLL
      for (int k = 0; k < D; ++k) e = fmaf(xs[r * D + k], p.w[k], e);
      part[0] = fmaf(e, e, part[0]);
      GPU_BENCH_UNROLL
      for (int k = 0; k < D; ++k) part[1 + k] = fmaf(e, xs[r * D + k], part[1 + k]);
      part[K - 1] += e;
    }
    GPU_BENCH_UNROLL
    for (int k = 0; k < K; ++k) acc[k] += static_cast<double>(part[k]);
  }
  std::size_t const tail = n - 4 * groups;
  if (first < tail) {
    std::size_t const r = 4 * groups + first;
    float e = p.b - y[r];
    GPU_BENCH_UNROLL
    for (int k = 0; k < D; ++k) e = fmaf(X[r * D + static_cast<std::size_t>(k)], p.w[k], e);
    acc[0] += static_cast<double>(e * e);
    GPU_BENCH_UNROLL
    for (int k = 0; k < D; ++k) acc[1 + k] += static_cast<double>(e * X[r * D + static_cast<std::size_t>(k)]);
    acc[K - 1] += static_cast<double>(e);
  }
}

/// One step's D + 2 sums, per block: partials[block * (D + 2) + k].
template <int D, unsigned Threads>
__global__ void __launch_bounds__(Threads)
    hand_step_kernel(float const* X, float const* y, std::size_t n, hand_params<D> p, double* partials) {
  constexpr int K = D + 2;
  double acc[K] = {};
  hand_share<D>(X, y, n, p, static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x,
                static_cast<std::size_t>(gridDim.x) * blockDim.x, acc);
  using reduce = cub::BlockReduce<double, Threads>;
  __shared__ typename reduce::TempStorage temp;
#pragma unroll
  for (int k = 0; k < K; ++k) {
    double const total = reduce(temp).Sum(acc[k]);
    if (threadIdx.x == 0) partials[static_cast<std::size_t>(blockIdx.x) * K + k] = total;
    __syncthreads();  // temp is reused by the next sum
  }
}

/// Block k of K adds sum k over the blocks' partials (a fixed order: deterministic).
template <int K>
__global__ void __launch_bounds__(256) hand_combine_kernel(double const* partials, unsigned blocks, double* out) {
  unsigned const k = blockIdx.x;
  double s = 0;
  for (unsigned b = threadIdx.x; b < blocks; b += blockDim.x) s += partials[static_cast<std::size_t>(b) * K + k];
  using reduce = cub::BlockReduce<double, 256>;
  __shared__ typename reduce::TempStorage temp;
  double const total = reduce(temp).Sum(s);
  if (threadIdx.x == 0) out[k] = total;
}

// ---------------------------------------------------------------- the lecture, one launch

/// Lane l's terms of one step (row l when l < n, else nothing): t = {e², e·x_k…, e}.
template <int D>
__host__ __device__ inline void lecture_terms(float const* xr, float yr, bool has, float const* w, float b,
                                              float* t) {
  float e = b - yr;
  GPU_BENCH_UNROLL
  for (int k = 0; k < D; ++k) e = fmaf(xr[k], w[k], e);
  if (!has) e = 0;
  t[0] = e * e;
  GPU_BENCH_UNROLL
  for (int k = 0; k < D; ++k) t[1 + k] = e * xr[k];
  t[D + 1] = e;
}

/// The SGD update from the summed terms t over n rows; returns the loss at the old parameters.
template <int D>
__host__ __device__ inline float lecture_update(float const* t, int n, float lr, float* w, float& b) {
  float const inv_n = 1.0f / static_cast<float>(n);
  GPU_BENCH_UNROLL
  for (int k = 0; k < D; ++k) w[k] -= lr * (2.0f * t[1 + k] * inv_n);
  b -= lr * (2.0f * t[D + 1] * inv_n);
  return t[0] * inv_n;
}

/// The whole training of a lecture problem (n ≤ 32 rows) in one warp: row l in lane l's
/// registers, the parameters in every lane's, the sums by butterfly shuffles, no memory traffic
/// inside the loop. out = {w…, b, loss of the last step}. The bound for tl::fit's one-launch loop.
template <int D>
__global__ void __launch_bounds__(32)
    lecture_train_kernel(float const* X, float const* y, int n, float lr, int steps, float* out) {
  int const lane = static_cast<int>(threadIdx.x);
  bool const has = lane < n;
  float xr[D], yr = 0;
#pragma unroll
  for (int k = 0; k < D; ++k) xr[k] = has ? X[lane * D + k] : 0.0f;
  if (has) yr = y[lane];
  float w[D] = {}, b = 0, loss = 0;
  for (int s = 0; s < steps; ++s) {
    float t[D + 2];
    lecture_terms<D>(xr, yr, has, w, b, t);
#pragma unroll
    for (int k = 0; k < D + 2; ++k)
#pragma unroll
      for (int off = 16; off > 0; off /= 2) t[k] += __shfl_xor_sync(0xffffffffu, t[k], off);
    loss = lecture_update<D>(t, n, lr, w, b);
  }
  if (lane == 0) {
#pragma unroll
    for (int k = 0; k < D; ++k) out[k] = w[k];
    out[D] = b;
    out[D + 1] = loss;
  }
}

}  // namespace gpu_bench
