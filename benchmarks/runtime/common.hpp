#pragma once
// What every C++ executable of the benchmark suite shares: the workloads, their seeded data, the
// check point, the double-precision references, the correctness check and the benchmark names.
// Depends only on the standard library and Google Benchmark (no tapeless, no OpenMP), so that a
// LibTorch or any other peer can include it. The contract is benchmarks/README.md's.
//
// Interface:
//   bench::workloads               the workload table: {id, n, d, kind, lr, epochs}
//   bench::data(w)                 X (n×d, float32, row-major) and y (n×1), built once per workload
//   bench::check_w(w), check_b     the check point: w_k = float(0.5·u(−1, 1)) from seed 12345, b = 0.25
//   bench::reference_of(w)         loss and gradient (g_w…, g_b) in double at the check point, or for
//                                  a lecture problem the final (w…, b) of the same training in double
//   bench::error(w, r)             err of a method's result r against the reference (see `result`)
//   bench::register_method(w, "libtorch", threads, fn)
//                                  registers "<w.id>/libtorch/threads:<t>" (real time, ms; lecture µs)
//                                  with the counter `bytes`; fn(state, ctx) runs the method.
//   bench::check_then_time(state, ctx, r, step)
//                                  records `err`; a wrong method is skipped with "wrong: err=<value>"
//                                  and not timed; else `step()` is timed, once per iteration.
//
// A method, registered for every workload it supports:
//
//     bench::for_each_workload([](auto i) {
//       constexpr bench::workload const& w = bench::workloads[i];   // w.d is a constant expression
//       for (int t : bench::threads_of(w))
//         bench::register_method(w, "mine", t, [](benchmark::State& state, bench::context const& c) {
//           set c.threads; set the parameters to bench::check_w(c.w), bench::check_b;
//           compute loss and gradient once → bench::result r{loss, {g_w…, g_b}};
//           bench::check_then_time(state, c, r, [&] { one step: loss, gradient, w -= lr·g_w, b -= lr·g_b; });
//         });
//     });
//
// Lecture problems: the timed unit is the whole training from zero, and the check runs it once
// and passes the final parameters: r{0, {w…, b}}.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench {

/// tapeless's `tl::nn::splitmix64`, bit for bit (tapeless.cpp checks it with static_asserts), so
/// that peers built without tapeless draw the same data.
class splitmix64 {
 public:
  constexpr explicit splitmix64(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t operator()() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi).
  constexpr double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>((*this)() >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t state_;
};

// ---- workloads ----

enum class kind {
  linear,     ///< one step of mean((X w + b − y)²)
  logistic,   ///< one step of mean(softplus(z) − y z), z = X w + b, y ∈ {0, 1}
  exercise1,  ///< the lecture's Exercise 1 trained to the end
  quiz1,      ///< the lecture's Quiz 1 trained to the end
};

struct workload {
  std::string_view id;
  std::size_t n;  ///< rows
  std::size_t d;  ///< columns of X (features)
  kind k;
  double lr;   ///< SGD learning rate
  int epochs;  ///< steps of a lecture training (0 for a single step)

  [[nodiscard]] constexpr bool lecture() const { return k == kind::exercise1 || k == kind::quiz1; }
  /// Bytes of X and y read per step.
  [[nodiscard]] constexpr std::size_t bytes() const { return n * (d + 1) * sizeof(float); }
};

inline constexpr std::array<workload, 9> workloads{{
    {"lr-1e7x3", 10'000'000, 3, kind::linear, 0.01, 0},
    {"lr-1e6x16", 1'000'000, 16, kind::linear, 0.01, 0},
    {"lr-2e5x128", 200'000, 128, kind::linear, 0.01, 0},
    {"lr-1e4x3", 10'000, 3, kind::linear, 0.01, 0},
    {"lr-1e5x3", 100'000, 3, kind::linear, 0.01, 0},
    {"lr-1e6x3", 1'000'000, 3, kind::linear, 0.01, 0},
    {"logistic-1e6x16", 1'000'000, 16, kind::logistic, 0.1, 0},
    {"exercise1", 3, 1, kind::exercise1, 0.01, 3001},
    {"quiz1", 5, 3, kind::quiz1, 1e-5, 1001},
}};

/// Calls `f(std::integral_constant<std::size_t, I>{})` for every workload index I, so that the
/// callee can use `bench::workloads[i].d` as a template argument.
template <class F>
void for_each_workload(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<workloads.size()>{});
}

/// Thread counts of the contract: 1 and 2 for the steps, 1 for the lecture problems.
inline std::vector<int> threads_of(workload const& w) {
  if (w.lecture()) return {1};
  return {1, 2};
}

// ---- data ----

struct dataset {
  std::size_t n = 0, d = 0;
  std::vector<float> X;  ///< n×d, row-major
  std::vector<float> y;  ///< n×1
};

namespace detail {
inline dataset make_data(workload const& w) {
  dataset s{w.n, w.d, std::vector<float>(w.n * w.d), std::vector<float>(w.n)};
  switch (w.k) {
    case kind::exercise1:  // x_train = [[0], [1], [1]], y_train = [[0], [1], [2]]
      s.X = {0, 1, 1};
      s.y = {0, 1, 2};
      break;
    case kind::quiz1:  // examples/lecture/quiz1.cpp
      s.X = {73, 80, 75, 93, 88, 93, 89, 91, 90, 96, 98, 100, 73, 66, 70};
      s.y = {152, 185, 180, 196, 142};
      break;
    case kind::linear:
    case kind::logistic: {
      bool const logistic = w.k == kind::logistic;
      splitmix64 gen(w.n * w.d + (logistic ? 1 : 0));
      for (auto& x : s.X) x = static_cast<float>(gen.uniform(-1, 1));
      for (auto& y : s.y) y = logistic ? (gen.uniform(-1, 1) > 0 ? 1.f : 0.f) : static_cast<float>(gen.uniform(-1, 1));
      break;
    }
  }
  return s;
}
}  // namespace detail

/// The workload's data, built on first use and kept for the process (lr-1e7x3 is 160 MB).
inline dataset const& data(workload const& w) {
  static std::map<std::string_view, std::unique_ptr<dataset>> cache;
  auto& slot = cache[w.id];
  if (!slot) slot = std::make_unique<dataset>(detail::make_data(w));
  return *slot;
}

// ---- the check point ----

/// w at the check point: w_k = float(0.5 · uniform(−1, 1)) from splitmix64(12345).
inline std::vector<float> check_w(workload const& w) {
  splitmix64 g(12345);
  std::vector<float> v(w.d);
  for (auto& x : v) x = static_cast<float>(0.5 * g.uniform(-1, 1));
  return v;
}
/// b at the check point.
inline constexpr float check_b = 0.25f;

// ---- references (double precision) ----

/// What a method reports to the check. Steps: `loss` and `values` = (g_w…, g_b) at the check
/// point; `values` left empty checks the loss alone (the loss-alone methods). Lecture problems:
/// `values` = the final (w…, b) after the whole training from zero; `loss` is not used.
struct result {
  double loss = 0;
  std::vector<double> values;
};

namespace detail {
/// σ(z) and softplus(z) = log(1 + e^z), both stable for any sign of z.
inline double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }
inline double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

/// Loss and gradient (g_w…, g_b) at parameters (w, b), in double from the float data, sums in double.
inline result loss_and_grad(workload const& w, dataset const& s, std::vector<double> const& wv, double b) {
  std::size_t const n = s.n, d = s.d;
  bool const logistic = w.k == kind::logistic;
  result r{0, std::vector<double>(d + 1, 0.0)};
  for (std::size_t i = 0; i < n; ++i) {
    double z = b;
    for (std::size_t k = 0; k < d; ++k) z += static_cast<double>(s.X[i * d + k]) * wv[k];
    double const y = s.y[i];
    double slope = 0;  // d(row loss)/dz
    if (logistic) {
      r.loss += softplus(z) - y * z;
      slope = sigmoid(z) - y;
    } else {
      r.loss += (z - y) * (z - y);
      slope = 2 * (z - y);
    }
    for (std::size_t k = 0; k < d; ++k) r.values[k] += slope * static_cast<double>(s.X[i * d + k]);
    r.values[d] += slope;
  }
  auto const nd = static_cast<double>(n);
  r.loss /= nd;
  for (auto& g : r.values) g /= nd;
  return r;
}

inline result make_reference(workload const& w) {
  dataset const& s = data(w);
  if (!w.lecture()) {
    std::vector<double> wv;
    for (float x : check_w(w)) wv.push_back(x);
    return loss_and_grad(w, s, wv, check_b);
  }
  // The same training in double: from zero, `epochs` full-batch SGD steps on the mean squared error.
  std::vector<double> wv(s.d, 0.0);
  double b = 0;
  for (int epoch = 0; epoch < w.epochs; ++epoch) {
    result const g = loss_and_grad(w, s, wv, b);
    for (std::size_t k = 0; k < s.d; ++k) wv[k] -= w.lr * g.values[k];
    b -= w.lr * g.values[s.d];
  }
  wv.push_back(b);
  return {0, wv};
}
}  // namespace detail

/// The double-precision reference of a workload, computed once.
inline result const& reference_of(workload const& w) {
  static std::map<std::string_view, std::unique_ptr<result>> cache;
  auto& slot = cache[w.id];
  if (!slot) slot = std::make_unique<result>(detail::make_reference(w));
  return *slot;
}

/// err = max(|L − Lref| / |Lref|, max_k |g_k − gref_k| / max_k |gref_k|) for a step (the loss term
/// only when `r.values` is empty); max_k |p_k − pref_k| / max_k |pref_k| for a lecture training.
/// Any NaN, or a result of the wrong size, gives +inf.
inline double error(workload const& w, result const& r) {
  result const& ref = reference_of(w);
  constexpr double inf = std::numeric_limits<double>::infinity();
  double err = 0;
  if (!w.lecture()) err = std::abs(r.loss - ref.loss) / std::abs(ref.loss);
  if (w.lecture() || !r.values.empty()) {
    if (r.values.size() != ref.values.size()) return inf;
    double scale = 0, diff = 0;
    for (std::size_t k = 0; k < ref.values.size(); ++k) {
      scale = std::max(scale, std::abs(ref.values[k]));
      diff = std::max(diff, std::abs(r.values[k] - ref.values[k]));
      if (std::isnan(r.values[k])) return inf;
    }
    err = std::max(err, diff / scale);
  }
  return std::isnan(err) ? inf : err;
}

/// A method whose err exceeds this is wrong: reported, not timed.
inline constexpr double tolerance = 1e-3;

// ---- registration, check, timing ----

/// What a method's function receives.
struct context {
  workload const& w;
  dataset const& data;
  int threads;
};

using method_fn = std::function<void(benchmark::State&, context const&)>;

/// Registers "<w.id>/<method>/threads:<threads>" (real time; ms, lecture problems µs). The
/// data are built when the benchmark first runs (a filter skips them); `bytes` is set for the
/// steps. Returns the benchmark for further settings.
inline benchmark::internal::Benchmark* register_method(workload const& w, std::string_view method, int threads,
                                                       method_fn fn) {
  std::string const name = std::string(w.id) + "/" + std::string(method) + "/threads:" + std::to_string(threads);
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [&w, threads, fn = std::move(fn)](benchmark::State& state) {
    if (!w.lecture()) state.counters["bytes"] = static_cast<double>(w.bytes());
    fn(state, context{w, data(w), threads});
  });
  return b->UseRealTime()->Unit(w.lecture() ? benchmark::kMicrosecond : benchmark::kMillisecond);
}

/// Records the counter `err`; a wrong method (err > tolerance, or NaN) is skipped with
/// "wrong: err=<value>". True when the method may be timed.
inline bool check(benchmark::State& state, context const& c, result const& r) {
  double const err = error(c.w, r);
  state.counters["err"] = err;
  if (err <= tolerance) return true;
  char message[64];
  std::snprintf(message, sizeof message, "wrong: err=%.3g", err);
  state.SkipWithError(message);
  return false;
}

/// Times `step()` once per iteration.
template <class Step>
void time(benchmark::State& state, Step&& step) {
  for (auto _ : state) step();
}

/// The check, then (if it passes) the timing.
template <class Step>
void check_then_time(benchmark::State& state, context const& c, result const& r, Step&& step) {
  if (check(state, c, r)) time(state, std::forward<Step>(step));
}

/// The `main` of every C++ executable of the suite: `register_all()` registers its methods, then
/// Google Benchmark runs them with the command line's flags.
template <class Register>
int run(int argc, char** argv, Register register_all) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace bench
