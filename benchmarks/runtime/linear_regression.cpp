// One linear-regression training step — loss mean((X w + b − y)²), its gradient by w and b,
// and an SGD update — with X an N×D float32 row-major matrix:
//   tapeless   tl::value_and_grad on the host system of the build (OMP here), + tl::optim::sgd
//   hand       a hand-written fused loop: one pass, D known at compile time, double accumulators,
//              OpenMP reduction over the same threads
// at N×D = 10^7×3 and 10^6×16 with 1 and 2 threads, and the whole lecture Exercise 1
// (3 rows, 3001 steps) both ways. Counters: bytes of X and y read per step (GB/s).
//
// Run on an idle machine with OMP_WAIT_POLICY=PASSIVE (scripts/bench does), and compare
// ratios within one run: this is a noisy 2-vCPU VM.
#include <tapeless/tapeless.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#if defined(_OPENMP)
#  include <omp.h>
#endif

namespace tl = tapeless;

namespace {

template <std::size_t D>
struct problem {
  tl::tensor<float, tl::dyn, D> X;
  tl::tensor<float, tl::dyn, 1> y;
};

/// Seeded data, built once per shape (10^7×3 is 160 MB).
template <std::size_t D>
problem<D> const& data(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<problem<D>>> cache;
  auto& slot = cache[n];
  if (!slot) {
    slot = std::make_unique<problem<D>>(problem<D>{tl::tensor<float, tl::dyn, D>(n), tl::tensor<float, tl::dyn, 1>(n)});
    tl::nn::splitmix64 gen(n * D);
    for (std::size_t i = 0; i < n * D; ++i) slot->X.data()[i] = static_cast<float>(gen.uniform(-1, 1));
    for (std::size_t i = 0; i < n; ++i) slot->y.data()[i] = static_cast<float>(gen.uniform(-1, 1));
  }
  return *slot;
}

void set_threads(benchmark::State& state) {
#if defined(_OPENMP)
  omp_set_num_threads(static_cast<int>(state.range(1)));
#else
  if (state.range(1) != 1) state.SkipWithError("built without OpenMP");
#endif
}

void count_bytes(benchmark::State& state, std::size_t n, std::size_t d) {
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(n * (d + 1) * sizeof(float)),
                                              benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

template <std::size_t D>
void tapeless_step(benchmark::State& state) {
  set_threads(state);
  auto const n = static_cast<std::size_t>(state.range(0));
  auto const& [X, y] = data<D>(n);
  tl::param<"w", D, 1> w;
  tl::param<"b"> b;
  tl::optim::sgd opt{tl::params(w, b), {.lr = 0.01}};
  auto const cost = tl::mean(tl::square(X * w + b - y));
  for (auto _ : state) {
    auto const [value, grads] = tl::value_and_grad(cost, w, b);
    opt.step(grads);
    benchmark::DoNotOptimize(value);
  }
  count_bytes(state, n, D);
}

/// The hand-written fused loop: residual once per row, loss and gradients in double.
template <std::size_t D>
double hand_value_and_grad(float const* X, float const* y, std::size_t n, float const* w, float b, double* gw,
                           double& gb) {
  double loss = 0, sb = 0;
  double sw[D] = {};
#pragma omp parallel for reduction(+ : loss, sb, sw[:D]) schedule(static)
  for (std::size_t i = 0; i < n; ++i) {
    float r = b - y[i];
    for (std::size_t k = 0; k < D; ++k) r += X[i * D + k] * w[k];
    loss += static_cast<double>(r) * r;
    sb += r;
    for (std::size_t k = 0; k < D; ++k) sw[k] += static_cast<double>(r) * X[i * D + k];
  }
  double const scale = 2.0 / static_cast<double>(n);
  for (std::size_t k = 0; k < D; ++k) gw[k] = sw[k] * scale;
  gb = sb * scale;
  return loss / static_cast<double>(n);
}

template <std::size_t D>
void hand_step(benchmark::State& state) {
  set_threads(state);
  auto const n = static_cast<std::size_t>(state.range(0));
  auto const& [X, y] = data<D>(n);
  float w[D] = {};
  float b = 0;
  float const lr = 0.01f;
  for (auto _ : state) {
    double gw[D], gb = 0;
    double const value = hand_value_and_grad<D>(X.data(), y.data(), n, w, b, gw, gb);
    for (std::size_t k = 0; k < D; ++k) w[k] -= lr * static_cast<float>(gw[k]);
    b -= lr * static_cast<float>(gb);
    benchmark::DoNotOptimize(value);
  }
  count_bytes(state, n, D);
}

void tapeless_exercise1(benchmark::State& state) {
  tl::tensor<float, tl::dyn, 1> x_train{{0}, {1}, {1}};
  tl::tensor<float, tl::dyn, 1> y_train{{0}, {1}, {2}};
  for (auto _ : state) {
    tl::param<"w"> w;
    tl::param<"b"> b;
    tl::optim::sgd optimizer{tl::params(w, b), {.lr = 0.01}};
    auto const cost = tl::mean(tl::square(x_train * w + b - y_train));
    for (int epoch = 0; epoch <= 3000; ++epoch) optimizer.step(tl::value_and_grad(cost, w, b).grads);
    benchmark::DoNotOptimize(w.item());
  }
}

void hand_exercise1(benchmark::State& state) {
  float const x[3] = {0, 1, 1}, y[3] = {0, 1, 2};
  for (auto _ : state) {
    float w = 0, b = 0;
    for (int epoch = 0; epoch <= 3000; ++epoch) {
      double gw = 0, gb = 0;
      for (int i = 0; i < 3; ++i) {
        float const r = w * x[i] + b - y[i];
        gw += static_cast<double>(r) * x[i];
        gb += r;
      }
      w -= 0.01f * static_cast<float>(2 * gw / 3);
      b -= 0.01f * static_cast<float>(2 * gb / 3);
    }
    benchmark::DoNotOptimize(w);
  }
}

}  // namespace

BENCHMARK(tapeless_step<3>)->Name("step/N=1e7,D=3/tapeless")->Args({10'000'000, 1})->Args({10'000'000, 2})->ArgNames({"n", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(hand_step<3>)->Name("step/N=1e7,D=3/hand")->Args({10'000'000, 1})->Args({10'000'000, 2})->ArgNames({"n", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(tapeless_step<16>)->Name("step/N=1e6,D=16/tapeless")->Args({1'000'000, 1})->Args({1'000'000, 2})->ArgNames({"n", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(hand_step<16>)->Name("step/N=1e6,D=16/hand")->Args({1'000'000, 1})->Args({1'000'000, 2})->ArgNames({"n", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(tapeless_exercise1)->Name("exercise1/3001 steps/tapeless")->Unit(benchmark::kMicrosecond);
BENCHMARK(hand_exercise1)->Name("exercise1/3001 steps/hand")->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
