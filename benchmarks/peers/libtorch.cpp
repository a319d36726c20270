// LibTorch C++ on the suite's workloads: what a PyTorch user who moves to C++ writes — the
// lecture's autograd loop with tensors that require grad and torch::optim::SGD:
//   per step   optimizer.zero_grad(); hypothesis = x_train.matmul(W) + b; cost = ...;
//              cost.backward(); optimizer.step();
//   lr-*       cost = torch::mean((hypothesis - y_train)^2)
//   logistic   cost = torch::binary_cross_entropy_with_logits(hypothesis, y_train)
//   exercise1, quiz1   the whole training from W = b = 0 (3001 and 1001 steps), as the lecture
// x_train and y_train are torch::from_blob views of the suite's data (no copy), threads are
// at::set_num_threads. Like every method, it is checked against the double reference at the check
// point (benchmarks/runtime/common.hpp) before it is timed; a wrong result is reported, not timed.
//
// Run by scripts/bench with OMP_WAIT_POLICY=PASSIVE; compare ratios within one run.
#include "../runtime/common.hpp"

#include <torch/torch.h>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

/// A rows×cols float32 view of the suite's data (from_blob wants a mutable pointer; the data are
/// only read).
torch::Tensor view_of(std::vector<float> const& v, std::size_t rows, std::size_t cols) {
  return torch::from_blob(const_cast<float*>(v.data()),
                          {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)}, torch::kFloat32);
}

/// The parameters' current values as doubles: (W…, b), or their gradients with `grad`.
std::vector<double> flatten(torch::Tensor const& W, torch::Tensor const& b, bool grad) {
  torch::Tensor const all = torch::cat({(grad ? W.grad() : W).detach().reshape(-1), (grad ? b.grad() : b).detach().reshape(-1)})
                                .to(torch::kFloat64)
                                .contiguous();
  double const* p = all.data_ptr<double>();
  return std::vector<double>(p, p + all.numel());
}

/// One training step of a linear or logistic regression, from the check point.
void step(benchmark::State& state, bench::context const& c) {
  at::set_num_threads(c.threads);
  torch::Tensor const x_train = view_of(c.data.X, c.data.n, c.data.d);
  torch::Tensor const y_train = view_of(c.data.y, c.data.n, 1);

  std::vector<float> w0 = bench::check_w(c.w);
  torch::Tensor W = view_of(w0, c.data.d, 1).clone().requires_grad_(true);
  torch::Tensor b = torch::full({1}, bench::check_b, torch::kFloat32).requires_grad_(true);
  torch::optim::SGD optimizer({W, b}, torch::optim::SGDOptions(c.w.lr));

  bool const logistic = c.w.k == bench::kind::logistic;
  auto const cost_of = [&] {
    torch::Tensor const hypothesis = x_train.matmul(W) + b;
    return logistic ? torch::binary_cross_entropy_with_logits(hypothesis, y_train)
                    : torch::mean((hypothesis - y_train).pow(2));
  };

  optimizer.zero_grad();
  torch::Tensor const cost = cost_of();
  cost.backward();
  bench::result const r{cost.item<double>(), flatten(W, b, true)};

  bench::check_then_time(state, c, r, [&] {
    optimizer.zero_grad();
    torch::Tensor const value = cost_of();
    value.backward();
    optimizer.step();
  });
}

/// The lecture problems: the whole training from W = b = 0, mean squared error.
void lecture(benchmark::State& state, bench::context const& c) {
  at::set_num_threads(c.threads);
  torch::Tensor const x_train = view_of(c.data.X, c.data.n, c.data.d);
  torch::Tensor const y_train = view_of(c.data.y, c.data.n, 1);

  auto const train = [&] {
    torch::Tensor W = torch::zeros({static_cast<std::int64_t>(c.data.d), 1}, torch::requires_grad());
    torch::Tensor b = torch::zeros({1}, torch::requires_grad());
    torch::optim::SGD optimizer({W, b}, torch::optim::SGDOptions(c.w.lr));
    for (int epoch = 0; epoch < c.w.epochs; ++epoch) {
      torch::Tensor const hypothesis = x_train.matmul(W) + b;
      torch::Tensor const cost = torch::mean((hypothesis - y_train).pow(2));
      optimizer.zero_grad();
      cost.backward();
      optimizer.step();
    }
    return flatten(W, b, false);
  };

  bench::result const r{0, train()};
  bench::check_then_time(state, c, r, [&] { benchmark::DoNotOptimize(train()); });
}

}  // namespace

int main(int argc, char** argv) {
  return bench::run(argc, argv, [] {
    bench::for_each_workload([](auto i) {
      constexpr bench::workload const& w = bench::workloads[i];
      for (int t : bench::threads_of(w)) bench::register_method(w, "libtorch", t, w.lecture() ? lecture : step);
    });
  });
}
