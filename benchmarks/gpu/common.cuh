#pragma once
// What every method of the GPU benchmark shares (benchmarks/gpu/README.md): the workloads, the data
// (a hash of the element index, so that the device, the host reference and the Python peers draw
// bit-identical values), the check point, the float64 reference, the error measure, and medians.
// Host code, plus the `__host__ __device__` data function that the fill kernel uses.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace gpu_bench {

/// Seed of every generated value (the Python peers use the same one).
inline constexpr std::uint32_t default_seed = 20261126u;
/// Streams of the data: X, y and the check point.
inline constexpr std::uint32_t stream_x = 1, stream_y = 2, stream_check = 3;
/// The contract's bound: err above it and a method is wrong (benchmarks/README.md).
inline constexpr double wrong_above = 1e-3;

/// A 32-bit integer hash (two multiplies below 2^31, so that Python can compute it in int64 too).
__host__ __device__ constexpr std::uint32_t mix32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x1b873593u;
  x ^= x >> 16;
  return x;
}

/// The key of one stream of values.
constexpr std::uint32_t stream_key(std::uint32_t seed, std::uint32_t stream) {
  return mix32(seed ^ mix32(stream * 0x9e3779b9u + 1u));
}

/// Value `i` of the stream with key `key`: a multiple of 2^-23 in [-1, 1), exact in float32
/// (the 24 high bits of the hash, scaled). Element indices wrap at 2^32.
__host__ __device__ inline float uniform_value(std::uint32_t key, std::uint64_t i) {
  std::uint32_t const h = mix32(static_cast<std::uint32_t>(i) + key);
  return static_cast<float>(h >> 8) * 0x1p-23f - 1.0f;
}

/// A problem: N rows of D float features, y one float per row.
struct workload {
  std::string name;
  std::size_t n;
  std::size_t d;
  bool lecture = false;  // a lecture problem: trained to the end from zero, timed whole
  /// Bytes a step must read: X and y once.
  [[nodiscard]] double bytes() const { return static_cast<double>(n) * static_cast<double>(d + 1) * 4.0; }
};

/// The lecture problems (examples/lecture/exercise1.cpp and quiz1.cpp): data, steps (epochs 0 to
/// nb_epochs inclusive) and learning rate.
struct lecture_problem {
  std::vector<float> x, y;
  std::size_t d;
  int steps;
  float lr;
};

inline lecture_problem exercise1() { return {{0, 1, 1}, {0, 1, 2}, 1, 3001, 0.01f}; }
inline lecture_problem quiz1() {
  return {{73, 80, 75, 93, 88, 93, 89, 91, 90, 96, 98, 100, 73, 66, 70}, {152, 185, 180, 196, 142}, 3, 1001, 1e-5f};
}

/// Learning rate of the big workloads (the suite's lr-* workloads).
inline constexpr float step_lr = 0.01f;

/// The check point (the suite's rule): w_k = 0.5 · u_k, b = 0.25, u from the check stream.
inline std::vector<float> check_point(std::size_t d, std::uint32_t seed) {
  std::vector<float> p(d + 1);
  std::uint32_t const key = stream_key(seed, stream_check);
  for (std::size_t k = 0; k < d; ++k) p[k] = 0.5f * uniform_value(key, k);
  p[d] = 0.25f;
  return p;
}

/// The loss mean((Xw + b − y)²) and its gradient (w..., b), in float64.
struct loss_and_grad {
  double loss = 0;
  std::vector<double> grad;  // D + 1
};

/// The float64 reference at parameters `p` (w..., b) over the generated data of `w`: every value
/// drawn again from its index (no copy of the device data), rows split over the host's threads.
/// Also returns Σ v and Σ |v| over X and y (what the floor's sum must find).
struct reference_result {
  loss_and_grad at_check;
  double sum = 0, sum_abs = 0;
};

inline reference_result reference(workload const& w, std::vector<float> const& p, std::uint32_t seed) {
  std::size_t const d = w.d, n = w.n;
  std::uint32_t const kx = stream_key(seed, stream_x), ky = stream_key(seed, stream_y);
  unsigned const threads = std::max(1u, std::min(64u, std::thread::hardware_concurrency()));
  struct part {
    std::vector<double> s;  // e², e·x_k, e
    double sum = 0, sum_abs = 0;
  };
  std::vector<part> parts(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      part& mine = parts[t];
      mine.s.assign(d + 2, 0.0);
      std::vector<double> x(d);
      std::size_t const begin = n * t / threads, end = n * (t + 1) / threads;
      for (std::size_t r = begin; r < end; ++r) {
        double e = static_cast<double>(p[d]);
        for (std::size_t k = 0; k < d; ++k) {
          x[k] = uniform_value(kx, r * d + k);
          e += x[k] * static_cast<double>(p[k]);
          mine.sum += x[k];
          mine.sum_abs += std::fabs(x[k]);
        }
        double const yr = uniform_value(ky, r);
        mine.sum += yr;
        mine.sum_abs += std::fabs(yr);
        e -= yr;
        mine.s[0] += e * e;
        for (std::size_t k = 0; k < d; ++k) mine.s[1 + k] += e * x[k];
        mine.s[d + 1] += e;
      }
    });
  }
  for (auto& th : pool) th.join();
  reference_result out;
  std::vector<double> s(d + 2, 0.0);
  for (auto const& part : parts) {
    for (std::size_t k = 0; k < d + 2; ++k) s[k] += part.s[k];
    out.sum += part.sum;
    out.sum_abs += part.sum_abs;
  }
  double const nn = static_cast<double>(n);
  out.at_check.loss = s[0] / nn;
  out.at_check.grad.resize(d + 1);
  for (std::size_t k = 0; k < d; ++k) out.at_check.grad[k] = 2.0 * s[1 + k] / nn;
  out.at_check.grad[d] = 2.0 * s[d + 1] / nn;
  return out;
}

/// The suite's error: max(|L − Lref| / |Lref|, max_k |g_k − gref_k| / max_k |gref_k|).
inline double error(loss_and_grad const& got, loss_and_grad const& ref) {
  double worst_g = 0, scale = 0;
  for (std::size_t k = 0; k < ref.grad.size(); ++k) {
    worst_g = std::max(worst_g, std::fabs(got.grad[k] - ref.grad[k]));
    scale = std::max(scale, std::fabs(ref.grad[k]));
  }
  double const e_loss = std::fabs(got.loss - ref.loss) / std::fabs(ref.loss);
  double const e_grad = scale > 0 ? worst_g / scale : worst_g;
  return std::isfinite(e_loss) && std::isfinite(e_grad) ? std::max(e_loss, e_grad) : INFINITY;
}

/// The lecture training in float64 (the suite's lecture reference): the trained (w..., b).
inline std::vector<double> lecture_reference(lecture_problem const& lp) {
  std::size_t const d = lp.d, n = lp.y.size();
  std::vector<double> w(d, 0.0);
  double b = 0;
  for (int step = 0; step < lp.steps; ++step) {
    std::vector<double> gw(d, 0.0);
    double gb = 0;
    for (std::size_t r = 0; r < n; ++r) {
      double e = b - lp.y[r];
      for (std::size_t k = 0; k < d; ++k) e += static_cast<double>(lp.x[r * d + k]) * w[k];
      for (std::size_t k = 0; k < d; ++k) gw[k] += e * lp.x[r * d + k];
      gb += e;
    }
    for (std::size_t k = 0; k < d; ++k) w[k] -= lp.lr * 2.0 * gw[k] / static_cast<double>(n);
    b -= lp.lr * 2.0 * gb / static_cast<double>(n);
  }
  w.push_back(b);
  return w;
}

/// max_k |p_k − ref_k| / max_k |ref_k| (the suite's lecture error).
inline double lecture_error(std::vector<float> const& p, std::vector<double> const& ref) {
  double worst = 0, scale = 0;
  for (std::size_t k = 0; k < ref.size(); ++k) {
    worst = std::max(worst, std::fabs(static_cast<double>(p[k]) - ref[k]));
    scale = std::max(scale, std::fabs(ref[k]));
  }
  double const e = worst / scale;
  return std::isfinite(e) ? e : INFINITY;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  std::size_t const m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/// A JSON string literal.
inline std::string quoted(std::string const& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// A JSON number (null when not finite), with `digits` significant digits (17: every bit of a double).
inline std::string number(double v, int digits = 10) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

}  // namespace gpu_bench
