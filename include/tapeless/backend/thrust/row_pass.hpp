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
    if constexpr (K > 0)  // nvcc warns of k < 0 for a pass with no sums
      for (std::size_t k = 0; k < K; ++k) a.v[k] += b.v[k];
    return a;
  }
};

/// Rows a block sums side by side (see `block_pass::lanes`), and the limits
/// within which it does: with more sums (K) the K×L running sums no longer
/// stay in registers, and with wider rows (D columns) transposing L rows costs
/// more than it saves; a row's own terms (D-wide dot products and outer
/// products) are then the better unit to vectorise.
inline constexpr std::size_t row_lanes = 8;
inline constexpr std::size_t max_lane_sums = 32;
inline constexpr std::size_t max_lane_width = 8;

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

  /// Rows summed side by side, each into its own running sums (1: row by row).
  static constexpr std::size_t lanes =
      K <= max_lane_sums && Shared::widest <= max_lane_width && Terms::widest <= max_lane_width ? row_lanes : 1;

  TAPELESS_HOST_DEVICE accumulator<K> operator()(std::size_t b) const {
    accumulator<K> acc{};
    std::size_t const begin = b * block;
    std::size_t const end = n - begin < block ? n : begin + block;
    std::size_t r = begin;
    if constexpr (lanes > 1) {
      if (end - r >= lanes) r = sum_lanes(r, end, acc);
    }
    T cache[S > 0 ? S : 1] = {};
    expr::context<T> const ctx{params, nullptr, cache};
    for (; r < end; ++r) {
      shared.template fill<0, T>(r, cache, ctx);
      terms.template accumulate<0, T>(r, acc.v, ctx);
    }
    return acc;
  }

  /// Adds rows first, first + stride, … (those < n) to the K sums at `acc`,
  /// row by row: one GPU thread's share of the pass, where consecutive
  /// threads read consecutive rows (backend/cuda/row_pass.hpp).
  TAPELESS_HOST_DEVICE void accumulate_strided(std::size_t first, std::size_t stride, double* acc) const {
    T cache[S > 0 ? S : 1] = {};
    expr::context<T> const ctx{params, nullptr, cache};
    for (std::size_t r = first; r < n; r += stride) {
      shared.template fill<0, T>(r, cache, ctx);
      terms.template accumulate<0, T>(r, acc, ctx);
    }
  }

  /// Sums rows [r, end) L at a time into `acc`; returns the first row left.
  /// Row l of each L adds to lane l of every sum: the loop over the lanes is
  /// free of loop-carried dependences (no sum is reordered within a lane), so
  /// it vectorises without -ffast-math.
  TAPELESS_HOST_DEVICE std::size_t sum_lanes(std::size_t r, std::size_t end, accumulator<K>& acc) const {
    constexpr std::size_t L = lanes;
    double lane[K > 0 ? K : 1][L] = {};
    for (; end - r >= L; r += L) {
      for (std::size_t l = 0; l < L; ++l) {
        T cache[S > 0 ? S : 1];
        expr::context<T> const ctx{params, nullptr, cache};
        shared.template fill<0, T>(r + l, cache, ctx);
        terms.template accumulate_lane<0, T, L>(r + l, lane, l, ctx);
      }
    }
    if constexpr (K > 0)
      for (std::size_t k = 0; k < K; ++k)
        for (std::size_t l = 0; l < L; ++l) acc.v[k] += lane[k][l];
    return r;
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
