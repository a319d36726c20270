// tapeless::mpi with one GPU per rank (TAPELESS_ENABLE_MPI and TAPELESS_ENABLE_CUDA), run under
// mpiexec: each rank's rows in its GPU's memory, the pass on that GPU, the row sums across ranks
// through host memory. Without a GPU every rank says so and exits 77 (skipped).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <tapeless/backend/cuda/buffer.hpp>
#include <tapeless/mpi.hpp>
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {
bool close(double a, double b, double rel = 1e-5) {
  return std::abs(a - b) <= rel * std::fmax(1.0, std::fmax(std::abs(a), std::abs(b)));
}
}  // namespace

TEST_CASE("mpi on gpus: each rank's rows on its GPU give the single-process result, in lock-step") {
  tl::mpi::communicator world;
  int const device = tl::mpi::use_local_gpu(world);
  CHECK(device >= 0);
  std::size_t const n = 100'003;
  std::vector<float> x(n * 3), y(n);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i * 29 % 97) / 48.0f - 1.0f;
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(i * 11 % 13) / 6.0f - 1.0f;
  auto const mine = tl::mpi::split_rows(world, n);
  tl::detail::device_buffer<float> dx(mine.size() * 3), dy(mine.size());
  dx.copy_from_host(x.data() + mine.begin * 3, mine.size() * 3);
  dy.copy_from_host(y.data() + mine.begin, mine.size());
  tl::tensor_view<float, dyn, 3> const Xd{dx.data(), mine.size(), tl::cuda}, X{x.data(), n};
  tl::tensor_view<float, dyn, 1> const yd{dy.data(), mine.size(), tl::cuda}, Y{y.data(), n};

  tl::param<"w", 3, 1> w, w_alone;
  tl::param<"b"> b, b_alone;
  tl::optim::sgd opt{tl::params(w, b), {.lr = 0.05}};
  tl::optim::sgd opt_alone{tl::params(w_alone, b_alone), {.lr = 0.05}};
  bool lockstep = true, same_as_alone = true;
  for (int step = 0; step < 50; ++step) {
    auto [value, grads] = tl::mpi::value_and_grad(world, tl::mse_loss(Xd.matmul(w) + b, yd), w, b);
    auto [value_alone, grads_alone] = tl::value_and_grad(tl::mse_loss(X.matmul(w_alone) + b_alone, Y), w_alone, b_alone);
    opt.step(grads);
    opt_alone.step(grads_alone);
    lockstep = lockstep && tl::mpi::in_lockstep(world, tl::params(w, b));
    same_as_alone = same_as_alone && close(value, value_alone) && close(b.item(), b_alone.item());
  }
  CHECK(lockstep);
  CHECK(same_as_alone);
}

int main(int argc, char** argv) {
  tl::mpi::environment env{argc, argv};
  tl::mpi::communicator world;
  if (!tl::cuda_available()) {
    if (world.rank() == 0) std::printf("tests.cuda.mpi: skipped, %s\n", tl::cuda_status().c_str());
    return 77;
  }
  doctest::Context context(argc, argv);
  if (world.rank() != 0) context.setOption("minimal", true);
  int const failed = context.run() != 0 ? 1 : 0;
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any;
}
