// What a tapeless user writes today, on every step workload of the suite (and the lecture problems
// for `hand`), with the same data, check and names as tapeless (common.hpp):
//   hand   the hand-written fused loop: one pass, D a compile-time constant, float arithmetic per
//          row, double accumulators, `#pragma omp parallel for reduction`
//   naive  multi-pass loops with std::vector<float> temporaries of size N (r = Xw; r += b − y;
//          loss; g_w = Xᵀr·(2/N); g_b), each pass a plain `#pragma omp parallel for`; D known at
//          compile time too, so that it differs from `hand` only by its passes over memory
//   eigen  Eigen 3.4 on Maps of the same data (built with libeigen3-dev only)
//   floor  a STREAM-style read of the same bytes (X and y) per step: the sum of all their floats
//          with 32 independent partial sums (four AVX2 registers); the memory-bandwidth floor,
//          not checked (no `err`)
// Threads 1 and 2 (omp_set_num_threads; Eigen::setNbThreads too), the lecture problems 1.
#include "common.hpp"

#include <omp.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#if defined(TAPELESS_BENCH_EIGEN)
#  include <Eigen/Core>
#endif

namespace {

using bench::kind;

/// softplus(z) = log(1 + e^z) and σ(z), stable for any sign, in float, from one exponential.
struct logit_terms {
  float softplus, sigmoid;
};
inline logit_terms logit(float z) {
  float const e = std::exp(-std::fabs(z));  // in (0, 1]
  float const s = 1.f / (1.f + e);
  return {std::fmax(z, 0.f) + std::log1p(e), z >= 0 ? s : e * s};
}

/// Parameters at the check point.
template <std::size_t D>
struct parameters {
  std::array<float, D> w;
  float b;

  explicit parameters(bench::workload const& wl) : b(bench::check_b) {
    auto const w0 = bench::check_w(wl);
    for (std::size_t k = 0; k < D; ++k) w[k] = w0[k];
  }
  /// w -= lr·g_w; b -= lr·g_b, with g = (g_w…, g_b).
  template <class G>
  void update(G const& g, double lr) {
    for (std::size_t k = 0; k < D; ++k) w[k] -= static_cast<float>(lr) * static_cast<float>(g[k]);
    b -= static_cast<float>(lr) * static_cast<float>(g[D]);
  }
};

/// A method's loss and gradient (g_w…, g_b) for parameters p.
template <std::size_t D>
struct loss_grad {
  double loss = 0;
  std::array<double, D + 1> g{};

  [[nodiscard]] bench::result as_result() const { return {loss, std::vector<double>(g.begin(), g.end())}; }
};

/// Check at the check point, then time steps (loss, gradient, SGD update) from there.
template <std::size_t D, class LossGrad>
void run_steps(benchmark::State& state, bench::context const& c, LossGrad loss_grad_of) {
  omp_set_num_threads(c.threads);
  parameters<D> p(c.w);
  bench::check_then_time(state, c, loss_grad_of(p).as_result(), [&] {
    auto const lg = loss_grad_of(p);
    p.update(lg.g, c.w.lr);
    benchmark::DoNotOptimize(lg.loss);
  });
}

// ---- hand: one fused pass ----

template <std::size_t D, kind K>
loss_grad<D> hand_pass(float const* X, float const* y, std::size_t n, parameters<D> const& p) {
  double loss = 0, sb = 0;
  double sw[D] = {};
#pragma omp parallel for reduction(+ : loss, sb, sw[:D]) schedule(static)
  for (std::size_t i = 0; i < n; ++i) {
    float z = p.b;
    for (std::size_t k = 0; k < D; ++k) z += X[i * D + k] * p.w[k];
    float slope;  // d(row loss)/dz, without the constant factor (2 for the squared error)
    if constexpr (K == kind::logistic) {
      auto const t = logit(z);
      loss += static_cast<double>(t.softplus - y[i] * z);
      slope = t.sigmoid - y[i];
    } else {
      slope = z - y[i];  // the residual
      loss += static_cast<double>(slope) * slope;
    }
    sb += slope;
    for (std::size_t k = 0; k < D; ++k) sw[k] += static_cast<double>(slope) * X[i * D + k];
  }
  double const inv_n = 1.0 / static_cast<double>(n);
  double const scale = K == kind::logistic ? inv_n : 2 * inv_n;
  loss_grad<D> out{loss * inv_n, {}};
  for (std::size_t k = 0; k < D; ++k) out.g[k] = sw[k] * scale;
  out.g[D] = sb * scale;
  return out;
}

template <std::size_t D, kind K>
void hand(benchmark::State& state, bench::context const& c) {
  run_steps<D>(state, c, [&](parameters<D> const& p) { return hand_pass<D, K>(c.data.X.data(), c.data.y.data(), c.data.n, p); });
}

/// The lecture problems by hand: N rows and D features known at compile time, the whole training
/// from zero (epochs full-batch steps on the mean squared error), float per row, double sums.
template <std::size_t N, std::size_t D>
std::array<float, D + 1> hand_training(float const* X, float const* y, float lr, int epochs) {
  float w[D] = {}, b = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    double gw[D] = {}, gb = 0;
    for (std::size_t i = 0; i < N; ++i) {
      float r = b - y[i];
      for (std::size_t k = 0; k < D; ++k) r += X[i * D + k] * w[k];
      for (std::size_t k = 0; k < D; ++k) gw[k] += static_cast<double>(r) * X[i * D + k];
      gb += r;
    }
    for (std::size_t k = 0; k < D; ++k) w[k] -= lr * static_cast<float>(2 * gw[k] / N);
    b -= lr * static_cast<float>(2 * gb / N);
  }
  std::array<float, D + 1> out;
  for (std::size_t k = 0; k < D; ++k) out[k] = w[k];
  out[D] = b;
  return out;
}

template <std::size_t N, std::size_t D>
void hand_lecture(benchmark::State& state, bench::context const& c) {
  float const* X = c.data.X.data();
  float const* y = c.data.y.data();
  auto const lr = static_cast<float>(c.w.lr);
  auto const final = hand_training<N, D>(X, y, lr, c.w.epochs);
  bench::check_then_time(state, c, {0, std::vector<double>(final.begin(), final.end())},
                         [&] { benchmark::DoNotOptimize(hand_training<N, D>(X, y, lr, c.w.epochs)); });
}

// ---- naive: one pass per operation, temporaries of size N ----

template <std::size_t D, kind K>
loss_grad<D> naive_pass(float const* X, float const* y, std::size_t n, parameters<D> const& p, std::vector<float>& r) {
  r.resize(n);
  auto const sn = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for
  for (std::ptrdiff_t i = 0; i < sn; ++i) {  // r = X w
    float s = 0;
    for (std::size_t k = 0; k < D; ++k) s += X[static_cast<std::size_t>(i) * D + k] * p.w[k];
    r[static_cast<std::size_t>(i)] = s;
  }
  double loss = 0;
  double const inv_n = 1.0 / static_cast<double>(n);
  if constexpr (K == kind::logistic) {
#pragma omp parallel for
    for (std::ptrdiff_t i = 0; i < sn; ++i) r[static_cast<std::size_t>(i)] += p.b;  // z = X w + b
#pragma omp parallel for reduction(+ : loss)
    for (std::ptrdiff_t i = 0; i < sn; ++i) {
      auto const u = static_cast<std::size_t>(i);
      loss += static_cast<double>(logit(r[u]).softplus - y[u] * r[u]);
    }
#pragma omp parallel for
    for (std::ptrdiff_t i = 0; i < sn; ++i) {  // r = σ(z) − y
      auto const u = static_cast<std::size_t>(i);
      r[u] = logit(r[u]).sigmoid - y[u];
    }
  } else {
#pragma omp parallel for
    for (std::ptrdiff_t i = 0; i < sn; ++i) {  // r += b − y
      auto const u = static_cast<std::size_t>(i);
      r[u] += p.b - y[u];
    }
#pragma omp parallel for reduction(+ : loss)
    for (std::ptrdiff_t i = 0; i < sn; ++i) {
      auto const u = static_cast<std::size_t>(i);
      loss += static_cast<double>(r[u]) * r[u];
    }
  }
  double const scale = K == kind::logistic ? inv_n : 2 * inv_n;
  double sw[D] = {}, sb = 0;
#pragma omp parallel for reduction(+ : sw[:D])
  for (std::ptrdiff_t i = 0; i < sn; ++i) {  // Xᵀ r
    auto const u = static_cast<std::size_t>(i);
    for (std::size_t k = 0; k < D; ++k) sw[k] += static_cast<double>(r[u]) * X[u * D + k];
  }
#pragma omp parallel for reduction(+ : sb)
  for (std::ptrdiff_t i = 0; i < sn; ++i) sb += r[static_cast<std::size_t>(i)];
  loss_grad<D> out{loss * inv_n, {}};
  for (std::size_t k = 0; k < D; ++k) out.g[k] = sw[k] * scale;
  out.g[D] = sb * scale;
  return out;
}

template <std::size_t D, kind K>
void naive(benchmark::State& state, bench::context const& c) {
  std::vector<float> r;
  run_steps<D>(state, c,
               [&](parameters<D> const& p) { return naive_pass<D, K>(c.data.X.data(), c.data.y.data(), c.data.n, p, r); });
}

// ---- eigen ----

#if defined(TAPELESS_BENCH_EIGEN)
template <std::size_t D, kind K>
void eigen(benchmark::State& state, bench::context const& c) {
  Eigen::setNbThreads(c.threads);
  using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto const n = static_cast<Eigen::Index>(c.data.n);
  Eigen::Map<matrix const> const X(c.data.X.data(), n, static_cast<Eigen::Index>(D));
  Eigen::Map<Eigen::VectorXf const> const y(c.data.y.data(), n);
  float const inv_n = 1.f / static_cast<float>(n);
  Eigen::VectorXf r(n);
  Eigen::VectorXf gw(static_cast<Eigen::Index>(D));
  // The Eigen user's step: residual (or σ(z) − y) as a vector, loss, gradient by a product.
  auto loss_grad_of = [&](parameters<D> const& p) {
    Eigen::Map<Eigen::VectorXf const> const w(p.w.data(), static_cast<Eigen::Index>(D));
    loss_grad<D> out;
    if constexpr (K == kind::logistic) {
      r = (X * w).array() + p.b;  // z
      out.loss = static_cast<double>(
          ((r.array().max(0.f) + (-r.array().abs()).exp().log1p()) - y.array() * r.array()).sum() * inv_n);
      r = (1.f / (1.f + (-r.array()).exp())) - y.array();
      gw.noalias() = X.transpose() * r * inv_n;
      out.g[D] = static_cast<double>(r.sum() * inv_n);
    } else {
      r = (X * w).array() + p.b - y.array();
      out.loss = static_cast<double>(r.squaredNorm() * inv_n);
      gw.noalias() = X.transpose() * r * (2 * inv_n);
      out.g[D] = static_cast<double>(r.sum() * 2 * inv_n);
    }
    for (std::size_t k = 0; k < D; ++k) out.g[k] = static_cast<double>(gw[static_cast<Eigen::Index>(k)]);
    return out;
  };
  run_steps<D>(state, c, loss_grad_of);
}
#endif

// ---- floor: read X and y once ----

/// The sum of n floats with L independent partial sums (the inner loop becomes L/8 AVX2 adds).
float read_sum(float const* p, std::size_t n) {
  constexpr std::size_t L = 32;
  auto const blocks = static_cast<std::ptrdiff_t>(n / L);
  float acc[L] = {};
#pragma omp parallel for reduction(+ : acc[:L]) schedule(static)
  for (std::ptrdiff_t i = 0; i < blocks; ++i) {
    float const* q = p + static_cast<std::size_t>(i) * L;
    for (std::size_t j = 0; j < L; ++j) acc[j] += q[j];
  }
  float s = 0;
  for (std::size_t j = static_cast<std::size_t>(blocks) * L; j < n; ++j) s += p[j];
  for (float a : acc) s += a;
  return s;
}

void floor_read(benchmark::State& state, bench::context const& c) {
  omp_set_num_threads(c.threads);
  bench::time(state, [&] {
    benchmark::DoNotOptimize(read_sum(c.data.X.data(), c.data.X.size()) + read_sum(c.data.y.data(), c.data.y.size()));
  });
}

void register_all() {
  bench::for_each_workload([](auto i) {
    constexpr bench::workload const& w = bench::workloads[i];
    for (int t : bench::threads_of(w)) {
      if constexpr (w.k == kind::exercise1) {
        bench::register_method(w, "hand", t, hand_lecture<3, 1>);
      } else if constexpr (w.k == kind::quiz1) {
        bench::register_method(w, "hand", t, hand_lecture<5, 3>);
      } else {
        bench::register_method(w, "hand", t, hand<w.d, w.k>);
        bench::register_method(w, "naive", t, naive<w.d, w.k>);
#if defined(TAPELESS_BENCH_EIGEN)
        bench::register_method(w, "eigen", t, eigen<w.d, w.k>);
#endif
        bench::register_method(w, "floor", t, floor_read);
      }
    }
  });
}

}  // namespace

int main(int argc, char** argv) { return bench::run(argc, argv, register_all); }
