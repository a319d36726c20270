// A consumer of the MPI component (find_package(tapeless COMPONENTS mpi) or add_subdirectory with
// TAPELESS_ENABLE_MPI): Exercise 1's first step over the processes it runs on (one, as a test).
#include <tapeless/mpi.hpp>
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <cstdio>

namespace tl = tapeless;

int main(int argc, char** argv) {
  tl::mpi::environment env{argc, argv};
  tl::mpi::communicator world;
  float const x_data[3] = {0, 1, 1}, y_data[3] = {0, 1, 2};
  auto const rows = tl::mpi::split_rows(world, 3);
  tl::tensor_view<float, tl::dyn, 1> x{x_data + rows.begin, rows.size()}, y{y_data + rows.begin, rows.size()};
  tl::param<"w"> w;
  tl::param<"b"> b;
  auto [value, grads] = tl::mpi::value_and_grad(world, tl::mean(tl::square(x * w + b - y)), w, b);
  bool const ok = std::abs(value - 5.0f / 3) < 1e-6f && grads[w].item() == -2.0f && grads[b].item() == -2.0f;
  if (world.rank() == 0)
    std::printf("tapeless::mpi consumer on %d process(es): cost %.6f: %s\n", world.size(), static_cast<double>(value),
                ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
