#pragma once
// The one pass over the rows on a CUDA device (nvcc translation units; with a
// host compiler this header declares nothing). The lowered functor is the same
// as on the host (`block_pass`, backend/thrust/row_pass.hpp): the data it reads
// must be in device memory, its parameters travel by value in the launch.
//
//  1. `pass_kernel`: thread t of the grid adds rows t, t + G, t + 2G, … (G the
//     grid's threads, 64-bit row indices) to K running sums in double; a warp
//     reads 32 consecutive rows. Each block adds its threads' sums with
//     `cub::BlockReduce` and writes them to its slot of `partials`.
//  2. `combine_kernel`: one block per sum adds the blocks' partials, thread t
//     those of blocks t, t + 256, …, then a block reduce (with ~500 blocks,
//     one thread per sum adding them in turn would be a long dependent chain).
// Both orders are fixed for a given grid, so a pass is deterministic on a given
// device; the K sums then come back to the host in one copy (the loss value).

#include "../../config.hpp"
#include "../../device.hpp"
#include "../thrust/row_pass.hpp"
#include "buffer.hpp"

#include <algorithm>
#include <cstddef>

#if defined(__CUDACC__)
#  include <cub/block/block_reduce.cuh>
#  include <cuda_runtime_api.h>

namespace tapeless::detail {

/// The most bytes of arguments one kernel launch takes (CUDA 12.1 and later,
/// on Volta and later GPUs).
inline constexpr std::size_t launch_argument_bytes = 32764;
/// Whether kernel arguments of types `Args…` fit in one launch (each counted
/// as if aligned to 8 bytes). The parameters of a model travel in the launch.
template <class... Args>
inline constexpr bool fits_launch = (((sizeof(Args) + 7) / 8 * 8) + ... + 0) <= launch_argument_bytes;
#  define TAPELESS_LAUNCH_TOO_LARGE                                                                               \
    "tapeless (CUDA): the model's parameters travel by value in the kernel launch, and CUDA takes at most 32764 " \
    "bytes of launch arguments (about 8000 float parameters); a model this large runs on the host only"

/// Threads per block of the pass.
inline constexpr unsigned pass_block_threads = 256;
/// Blocks per multiprocessor: enough resident warps to keep loads in flight.
inline constexpr unsigned pass_blocks_per_sm = 4;

template <std::size_t K, class Pass>
__global__ void __launch_bounds__(pass_block_threads) pass_kernel(Pass pass, double* partials) {
  double acc[K > 0 ? K : 1] = {};
  std::size_t const first = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  std::size_t const stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  pass.accumulate_strided(first, stride, acc);

  using block_reduce = cub::BlockReduce<double, pass_block_threads>;
  __shared__ typename block_reduce::TempStorage temp;
  for (std::size_t k = 0; k < K; ++k) {
    double const total = block_reduce(temp).Sum(acc[k]);
    if (threadIdx.x == 0) partials[blockIdx.x * K + k] = total;
    __syncthreads();  // temp is reused by the next sum
  }
}

/// Block k adds sum k of every block's partials: thread t takes blocks t,
/// t + 256, …, then `cub::BlockReduce` adds the threads' totals.
template <std::size_t K>
__global__ void __launch_bounds__(pass_block_threads)
    combine_kernel(double const* partials, unsigned blocks, double* out) {
  std::size_t const k = blockIdx.x;
  double mine = 0;
  for (unsigned b = threadIdx.x; b < blocks; b += blockDim.x) mine += partials[b * K + k];
  using block_reduce = cub::BlockReduce<double, pass_block_threads>;
  __shared__ typename block_reduce::TempStorage temp;
  double const total = block_reduce(temp).Sum(mine);
  if (threadIdx.x == 0) out[k] = total;
}

/// Blocks of the pass over `n` rows on the current device: no more than the
/// rows need, no more than `pass_blocks_per_sm` per multiprocessor.
inline unsigned pass_blocks(std::size_t n) {
  int device = 0, sms = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
  std::size_t const wanted = (n + pass_block_threads - 1) / pass_block_threads;
  std::size_t const most = static_cast<std::size_t>(sms) * pass_blocks_per_sm;
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min(wanted, most)));
}

struct pass_partials;  // the use of a thread's workspace: the pass's partial sums

/// Runs `pass` over its `n` rows on the current CUDA device and returns the K
/// sums (the rows must be in device memory). Throws `tl::cuda_error` when a
/// launch or copy fails.
template <std::size_t K, class Pass>
accumulator<K> run_pass_cuda(Pass const& pass, std::size_t n) {
  static_assert(fits_launch<Pass, double*>, TAPELESS_LAUNCH_TOO_LARGE);
  accumulator<K> acc{};
  if constexpr (K > 0) {
    unsigned const blocks = pass_blocks(n);
    double* const partials = thread_workspace<pass_partials, double>(static_cast<std::size_t>(blocks) * K + K);
    double* const out = partials + static_cast<std::size_t>(blocks) * K;
    pass_kernel<K><<<blocks, pass_block_threads>>>(pass, partials);
    check_cuda(cudaGetLastError(), "launching the pass kernel");
    combine_kernel<K><<<static_cast<unsigned>(K), pass_block_threads>>>(partials, blocks, out);
    check_cuda(cudaGetLastError(), "launching the combine kernel");
    check_cuda(cudaMemcpy(acc.v, out, K * sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy of the row sums");
  }
  return acc;
}

}  // namespace tapeless::detail

#endif
