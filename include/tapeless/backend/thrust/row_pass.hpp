#pragma once
// The backend: one pass over the rows, summing K row terms into K doubles.
// The only header that includes Thrust.
//
// Rows are cut into blocks; each block is summed by a plain loop (all terms
// inlined into one body) and the blocks are combined by
// `thrust::transform_reduce` on the host system chosen at build time:
// TAPELESS_HOST_SYSTEM_OMP, _TBB or _CPP (default: OMP under -fopenmp, else
// CPP). A pass that fits one block runs inline: the lecture's 3-row problems
// must not pay for waking a thread pool.

#include "../../config.hpp"
#include "../../expr/node.hpp"

#include <algorithm>
#include <cstddef>

#if !defined(TAPELESS_HOST_SYSTEM_OMP) && !defined(TAPELESS_HOST_SYSTEM_TBB) && !defined(TAPELESS_HOST_SYSTEM_CPP)
#  if defined(_OPENMP)
#    define TAPELESS_HOST_SYSTEM_OMP
#  else
#    define TAPELESS_HOST_SYSTEM_CPP
#  endif
#endif

// Host-only builds must name a device system or Thrust assumes CUDA.
#if !defined(THRUST_DEVICE_SYSTEM) && !defined(__CUDACC__)
#  if defined(TAPELESS_HOST_SYSTEM_OMP)
#    define THRUST_DEVICE_SYSTEM THRUST_DEVICE_SYSTEM_OMP
#  elif defined(TAPELESS_HOST_SYSTEM_TBB)
#    define THRUST_DEVICE_SYSTEM THRUST_DEVICE_SYSTEM_TBB
#  else
#    define THRUST_DEVICE_SYSTEM THRUST_DEVICE_SYSTEM_CPP
#  endif
#endif

#include <thrust/iterator/counting_iterator.h>
#include <thrust/transform_reduce.h>
#if defined(TAPELESS_HOST_SYSTEM_OMP)
#  include <thrust/system/omp/execution_policy.h>
#elif defined(TAPELESS_HOST_SYSTEM_TBB)
#  include <thrust/system/tbb/execution_policy.h>
#else
#  include <thrust/system/cpp/execution_policy.h>
#endif

namespace tapeless::detail {

/// K partial sums.
template <std::size_t K>
struct accumulator {
  double v[K > 0 ? K : 1];
};

template <std::size_t K>
struct accumulate_plus {
  TAPELESS_HOST_DEVICE accumulator<K> operator()(accumulator<K> a, accumulator<K> const& b) const {
    for (std::size_t k = 0; k < K; ++k) a.v[k] += b.v[k];
    return a;
  }
};

/// Sums the terms of one block of rows. For each row, `Shared` (a `expr_list`)
/// first computes the subterms the terms share into a small cache, then `Terms`
/// (a `expr_list`) adds each term's row value to its sum. Parameters travel by value.
template <class T, std::size_t P, std::size_t K, std::size_t S, class Shared, class Terms>
struct block_pass {
  static constexpr std::size_t sums = K;
  Shared shared;
  Terms terms;
  T params[P > 0 ? P : 1];
  std::size_t n;
  std::size_t block;

  TAPELESS_HOST_DEVICE accumulator<K> operator()(std::size_t b) const {
    accumulator<K> acc{};
    T cache[S > 0 ? S : 1] = {};
    expr::context<T> const ctx{params, nullptr, cache};
    std::size_t const begin = b * block;
    std::size_t const end = n - begin < block ? n : begin + block;
    for (std::size_t r = begin; r < end; ++r) {
      shared.template fill<0, T>(r, cache, ctx);
      terms.template accumulate<0, T>(r, acc.v, ctx);
    }
    return acc;
  }
};

/// Rows per block: large enough to amortise the combine, small enough to share work.
inline constexpr std::size_t rows_per_block = 4096;

/// Runs `pass` over `n` rows on the host system and returns the K sums.
template <std::size_t K, class Pass>
accumulator<K> run_pass(Pass const& pass, std::size_t n) {
  std::size_t const blocks = (n + pass.block - 1) / pass.block;
  if (blocks <= 1) {
    if (blocks == 1) return pass(0);
    return accumulator<K>{};
  }
#if defined(TAPELESS_HOST_SYSTEM_OMP)
  auto const& policy = thrust::omp::par;
#elif defined(TAPELESS_HOST_SYSTEM_TBB)
  auto const& policy = thrust::tbb::par;
#else
  auto const& policy = thrust::cpp::par;
#endif
  return thrust::transform_reduce(policy, thrust::counting_iterator<std::size_t>(0),
                                  thrust::counting_iterator<std::size_t>(blocks), pass, accumulator<K>{},
                                  accumulate_plus<K>{});
}

}  // namespace tapeless::detail
