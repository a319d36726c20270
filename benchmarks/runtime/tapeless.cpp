// tapeless on one host system (the build compiles this file three times: bench.runtime.tapeless.omp,
// .tbb and .cpp, each with its TAPELESS_HOST_SYSTEM_<X>), on every workload of the suite:
//   tapeless-<system>       tl::value_and_grad + tl::optim::sgd, the expression built once, one step
//                           timed; the lecture problems trained to the end as examples/lecture/ do
//   tapeless-loss-<system>  the same expression's loss alone (tl::value), no gradient, no update:
//                           the denominator of the FastAD metric (steps only)
// Threads 1 and 2 on the steps (omp_set_num_threads, tbb::global_control; cpp: 1 only), 1 on the
// lecture problems. Names, counters and the check: common.hpp.
#include "common.hpp"

#include <tapeless/tapeless.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#if defined(TAPELESS_HOST_SYSTEM_OMP)
#  include <omp.h>
#elif defined(TAPELESS_HOST_SYSTEM_TBB)
#  include <tbb/global_control.h>
#endif

namespace tl = tapeless;

// common.hpp's copy of the generator must draw tapeless's numbers.
static_assert(bench::splitmix64(12345)() == tl::nn::splitmix64(12345)());
static_assert(bench::splitmix64(30'000'000).uniform(-1, 1) == tl::nn::splitmix64(30'000'000).uniform(-1, 1));

namespace {

#if defined(TAPELESS_HOST_SYSTEM_OMP)
constexpr std::string_view host_system = "omp";
constexpr int max_threads = 2;
#elif defined(TAPELESS_HOST_SYSTEM_TBB)
constexpr std::string_view host_system = "tbb";
constexpr int max_threads = 2;
#else
constexpr std::string_view host_system = "cpp";
constexpr int max_threads = 1;  // the CPP system is sequential
#endif

/// Runs the host system with `threads` threads while alive.
class thread_scope {
 public:
  explicit thread_scope([[maybe_unused]] int threads) {
#if defined(TAPELESS_HOST_SYSTEM_OMP)
    omp_set_num_threads(threads);
#elif defined(TAPELESS_HOST_SYSTEM_TBB)
    control_.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
#endif
  }

 private:
#if defined(TAPELESS_HOST_SYSTEM_TBB)
  std::optional<tbb::global_control> control_;
#endif
};

/// The workload's loss as the user writes it.
template <bench::kind K, class X, class W, class B, class Y>
auto make_cost(X const& x, W const& w, B const& b, Y const& y) {
  if constexpr (K == bench::kind::logistic)
    return tl::binary_cross_entropy_with_logits(x * w + b, y);
  else
    return tl::mean(tl::square(x * w + b - y));
}

/// One training step (value_and_grad + SGD), or the loss alone when `LossOnly`.
template <std::size_t D, bench::kind K, bool LossOnly>
void step(benchmark::State& state, bench::context const& c) {
  thread_scope const threads(c.threads);
  tl::tensor_view<float, tl::dyn, D> const X(c.data.X.data(), c.data.n);
  tl::tensor_view<float, tl::dyn, 1> const y(c.data.y.data(), c.data.n);
  tl::param<"w", D, 1> w;
  tl::param<"b"> b;
  std::vector<float> const w0 = bench::check_w(c.w);
  for (std::size_t k = 0; k < D; ++k) w[k] = w0[k];
  b[0] = bench::check_b;

  auto const cost = make_cost<K>(X, w, b, y);
  if constexpr (LossOnly) {
    bench::check_then_time(state, c, {tl::value(cost), {}}, [&] { benchmark::DoNotOptimize(tl::value(cost)); });
  } else {
    tl::optim::sgd opt{tl::params(w, b), {.lr = c.w.lr}};
    bench::result r;
    {
      auto const [value, grads] = tl::value_and_grad(cost, w, b);
      r.loss = value;
      for (std::size_t k = 0; k < D; ++k) r.values.push_back(grads[w][k]);
      r.values.push_back(grads[b].item());
    }
    bench::check_then_time(state, c, r, [&] {
      auto const [value, grads] = tl::value_and_grad(cost, w, b);
      opt.step(grads);
      benchmark::DoNotOptimize(value);
    });
  }
}

/// The lecture's Exercise 1 (examples/lecture/exercise1.cpp), trained to the end; returns (w, b).
std::array<float, 2> exercise1(tl::tensor<float, tl::dyn, 1> const& x_train, tl::tensor<float, tl::dyn, 1> const& y_train,
                               double lr, int nb_epochs) {
  tl::param<"w"> w;  // torch.zeros(1, requires_grad=True)
  tl::param<"b"> b;

  tl::optim::sgd optimizer{tl::params(w, b), {.lr = lr}};

  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    auto hypothesis = x_train * w + b;
    auto cost = tl::mean(tl::square(hypothesis - y_train));

    auto [value, grads] = tl::value_and_grad(cost, w, b);
    optimizer.step(grads);
    benchmark::DoNotOptimize(value);
  }
  return {w.item(), b.item()};
}

/// The lecture's Quiz 1 (examples/lecture/quiz1.cpp, the functional form), trained to the end; returns (w…, b).
std::array<float, 4> quiz1(tl::tensor<float, tl::dyn, 3> const& x_train, tl::tensor<float, tl::dyn, 1> const& y_train,
                           double lr, int nb_epochs) {
  tl::param<"w", 3, 1> w;  // torch.zeros((3, 1), requires_grad=True)
  tl::param<"b"> b;

  tl::optim::sgd optimizer{tl::params(w, b), {.lr = lr}};

  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    auto hypothesis = x_train.matmul(w) + b;
    auto cost = tl::mse_loss(hypothesis, y_train);

    auto [value, grads] = tl::value_and_grad(cost, w, b);
    optimizer.step(grads);
    benchmark::DoNotOptimize(value);
  }
  return {w[0], w[1], w[2], b.item()};
}

/// A lecture problem trained to the end: checked once, then timed whole.
template <std::size_t D, class Train>
void lecture(benchmark::State& state, bench::context const& c, Train train) {
  thread_scope const threads(c.threads);
  tl::tensor<float, tl::dyn, D> const x_train(c.data.X.data(), c.data.n);
  tl::tensor<float, tl::dyn, 1> const y_train(c.data.y.data(), c.data.n);
  int const nb_epochs = c.w.epochs - 1;  // epochs 0…nb_epochs, as the lecture's loop
  auto const final = train(x_train, y_train, c.w.lr, nb_epochs);
  bench::check_then_time(state, c, {0, std::vector<double>(final.begin(), final.end())},
                         [&] { benchmark::DoNotOptimize(train(x_train, y_train, c.w.lr, nb_epochs)); });
}

void register_all() {
  std::string const method = "tapeless-" + std::string(host_system);
  std::string const loss_method = "tapeless-loss-" + std::string(host_system);
  bench::for_each_workload([&](auto i) {
    constexpr bench::workload const& w = bench::workloads[i];
    for (int t : bench::threads_of(w)) {
      if (t > max_threads) continue;
      if constexpr (w.k == bench::kind::exercise1) {
        bench::register_method(w, method, t, [](benchmark::State& s, bench::context const& c) { lecture<1>(s, c, exercise1); });
      } else if constexpr (w.k == bench::kind::quiz1) {
        bench::register_method(w, method, t, [](benchmark::State& s, bench::context const& c) { lecture<3>(s, c, quiz1); });
      } else {
        bench::register_method(w, method, t, step<w.d, w.k, false>);
        bench::register_method(w, loss_method, t, step<w.d, w.k, true>);
      }
    }
  });
}

}  // namespace

int main(int argc, char** argv) { return bench::run(argc, argv, register_all); }
