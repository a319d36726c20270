// A larger problem split over MPI processes: 16 features, 200 000 rows (or
// the count given), y = x·w* + b* + noise. Each rank draws only its own rows
// (row r's values depend on r alone, so the data set is the same for any
// number of processes) and the ranks fit a linear model with Adam in
// lock-step. Rank 0 prints the log, the same as one process prints.
//
//     mpirun -np 4 build/dev/examples/mpi.synthetic [rows]
//     build/dev/examples/mpi.synthetic --alone [rows]   one process, tl::value_and_grad on all rows
#include <tapeless/mpi.hpp>
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace tl = tapeless;

constexpr std::size_t features = 16;

/// A number in [-1, 1) for element `k` of row `r`: the same on every rank.
double draw(std::size_t r, std::size_t k) {
  tl::nn::splitmix64 gen(r * 0x9e3779b97f4a7c15ULL + k);
  return static_cast<double>(gen() >> 11) * 0x1.0p-52 - 1.0;
}

/// The weights the data are drawn from: w*_j = (j - 7.5) / 4, b* = 0.5.
double true_weight(std::size_t j) { return (static_cast<double>(j) - 7.5) / 4; }

int main(int argc, char** argv) {
  tl::mpi::environment env{argc, argv};
  tl::mpi::communicator world;
  int arg = 1;
  bool const alone = argc > arg && std::string_view(argv[arg]) == "--alone";
  if (alone) ++arg;
  std::size_t const n = argc > arg ? std::strtoull(argv[arg], nullptr, 10) : 200'000;

  // This rank's rows, drawn here and nowhere else.
  auto const mine = alone ? tl::mpi::row_range{0, n} : tl::mpi::split_rows(world, n);
  std::vector<float> x(mine.size() * features), y(mine.size());
  for (std::size_t i = 0; i < mine.size(); ++i) {
    std::size_t const r = mine.begin + i;
    double target = 0.5 + 0.05 * draw(r, features);
    for (std::size_t j = 0; j < features; ++j) {
      x[i * features + j] = static_cast<float>(draw(r, j));
      target += true_weight(j) * x[i * features + j];
    }
    y[i] = static_cast<float>(target);
  }
  tl::tensor_view<float, tl::dyn, features> X{x.data(), mine.size()};
  tl::tensor_view<float, tl::dyn, 1> Y{y.data(), mine.size()};

  tl::param<"w", features, 1> w;
  tl::param<"b"> b;
  tl::optim::adam optimizer{tl::params(w, b), {.lr = 0.05}};
  auto const cost = tl::mse_loss(X.matmul(w) + b, Y);

  if (world.rank() == 0) {
    std::printf("%zu rows x %zu features\n", n, features);  // the log: the same for any number of processes
    std::fprintf(stderr, "over %d process(es)\n", alone ? 1 : world.size());
  }
  for (int step = 1; step <= 300; ++step) {
    auto [value, grads] = alone ? tl::value_and_grad(cost, w, b) : tl::mpi::value_and_grad(world, cost, w, b);
    optimizer.step(grads);
    if (world.rank() == 0 && (step == 1 || step % 30 == 0)) {
      double distance = 0;
      for (std::size_t j = 0; j < features; ++j) distance += std::pow(w[j] - true_weight(j), 2);
      std::printf("step %3d  mse %.6f  |w - w*| %.5f  b %.5f\n", step, value, std::sqrt(distance), b.item());
    }
  }
  if (!alone && !tl::mpi::in_lockstep(world, tl::params(w, b))) {
    std::fprintf(stderr, "rank %d: the ranks' models differ\n", world.rank());
    return 1;
  }
}
