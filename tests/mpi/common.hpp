#pragma once
// What the MPI tests share: data every rank can draw in full (the same on every
// rank), ways to split its rows over the ranks, and checks across ranks.

#include <tapeless/mpi.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tl = tapeless;

namespace mpi_test {

/// The value in [-1, 1) drawn for element `k` of data set `seed` (the same on every rank).
inline double draw(std::uint64_t seed, std::size_t k) {
  tl::nn::splitmix64 gen(seed * 0x9e3779b97f4a7c15ULL + k);
  return static_cast<double>(gen() >> 11) * 0x1.0p-52 - 1.0;
}

/// n rows of C features and a target that a linear model nearly fits.
template <std::size_t C>
struct regression {
  std::size_t n;
  std::vector<float> x, y;
  std::vector<int> label;  // 0 or 1: the target's sign
  explicit regression(std::size_t rows, std::uint64_t seed = 1) : n(rows), x(rows * C), y(rows), label(rows) {
    for (std::size_t r = 0; r < n; ++r) {
      double t = 0.25;
      for (std::size_t j = 0; j < C; ++j) {
        x[r * C + j] = static_cast<float>(3 * draw(seed, r * C + j));
        t += (0.5 + static_cast<double>(j)) * x[r * C + j];
      }
      y[r] = static_cast<float>(t + 0.1 * draw(seed + 1, r));
      label[r] = y[r] > 0 ? 1 : 0;
    }
  }
  tl::tensor_view<float, tl::dyn, C> X(tl::mpi::row_range rows) const { return {x.data() + rows.begin * C, rows.size()}; }
  tl::tensor_view<float, tl::dyn, 1> Y(tl::mpi::row_range rows) const { return {y.data() + rows.begin, rows.size()}; }
  tl::tensor_view<int, tl::dyn, 1> labels(tl::mpi::row_range rows) const {
    return {label.data() + rows.begin, rows.size()};
  }
  tl::mpi::row_range all() const { return {0, n}; }
};

/// How the rows are split over the ranks.
enum class split { even, uneven, last_rank_empty, all_on_rank_0 };
inline char const* name(split s) {
  switch (s) {
    case split::even: return "even";
    case split::uneven: return "uneven";
    case split::last_rank_empty: return "last rank empty";
    case split::all_on_rank_0: return "all on rank 0";
  }
  return "?";
}

/// This rank's rows of `n` under `s`.
inline tl::mpi::row_range rows_of(tl::mpi::communicator const& world, std::size_t n, split s) {
  auto const ranks = static_cast<std::size_t>(world.size()), rank = static_cast<std::size_t>(world.rank());
  std::vector<std::size_t> count(ranks, 0);
  switch (s) {
    case split::even: return tl::mpi::split_rows(world, n);
    case split::uneven: {  // rank r holds about (r + 1) / Σ(s + 1) of the rows, the rest to rank 0
      std::size_t given = 0;
      for (std::size_t r = 0; r < ranks; ++r) given += count[r] = n * (r + 1) / (ranks * (ranks + 1) / 2);
      count[0] += n - given;
      break;
    }
    case split::last_rank_empty: {  // the others split evenly, the last holds nothing
      std::size_t const others = ranks > 1 ? ranks - 1 : 1;
      for (std::size_t r = 0; r < others; ++r) count[r] = n / others + (r < n % others ? 1 : 0);
      break;
    }
    case split::all_on_rank_0: count[0] = n; break;
  }
  std::size_t begin = 0;
  for (std::size_t r = 0; r < rank; ++r) begin += count[r];
  return {begin, begin + count[rank]};
}

/// Whether `bytes` on this rank equal rank 0's, on every rank (the same answer everywhere).
inline bool same_bytes_everywhere(tl::mpi::communicator const& world, void const* bytes, std::size_t size) {
  std::vector<unsigned char> mine(static_cast<unsigned char const*>(bytes),
                                  static_cast<unsigned char const*>(bytes) + size);
  std::vector<unsigned char> root = mine;
  MPI_Bcast(root.data(), static_cast<int>(size), MPI_UNSIGNED_CHAR, 0, world.native());
  int const same = mine == root ? 1 : 0;
  int all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, world.native());
  return all == 1;
}
template <class T>
bool same_everywhere(tl::mpi::communicator const& world, T const& value) {
  return same_bytes_everywhere(world, &value, sizeof(T));
}

/// |a − b| within `rel` of the larger magnitude (at least 1).
inline bool close(double a, double b, double rel = 2e-5) {
  return std::abs(a - b) <= rel * std::fmax(1.0, std::fmax(std::abs(a), std::abs(b)));
}
template <class M>
bool close_all(M const& a, M const& b, double rel = 2e-5) {
  for (std::size_t k = 0; k < M::size; ++k)
    if (!close(static_cast<double>(a[k]), static_cast<double>(b[k]), rel)) return false;
  return true;
}

}  // namespace mpi_test
