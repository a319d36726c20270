// The lecture's Quiz 1 with its five rows split over MPI processes. Every rank
// holds some of the rows, builds the same loss on them and gets the cost and
// gradients over all five (one exchange of a few row sums); every rank takes
// the same SGD step, so the model stays identical everywhere. Rank 0 prints
// the lecture's log, the same as one process prints.
//
//     mpirun -np 2 build/dev/examples/mpi.quiz1
//     build/dev/examples/mpi.quiz1 --alone       one process, tl::value_and_grad on all rows
#include <tapeless/mpi.hpp>
#include <tapeless/tapeless.hpp>

#include <cstdio>
#include <string_view>

namespace tl = tapeless;

int main(int argc, char** argv) {
  tl::mpi::environment env{argc, argv};
  tl::mpi::communicator world;
  bool const alone = argc > 1 && std::string_view(argv[1]) == "--alone";

  static constexpr float x_data[5 * 3] = {73, 80, 75,   //
                                          93, 88, 93,   //
                                          89, 91, 90,   //
                                          96, 98, 100,  //
                                          73, 66, 70};
  static constexpr float y_data[5] = {152, 185, 180, 196, 142};

  // This rank's rows: 3 + 2 on two processes, 2 + 1 + 1 + 1 on four.
  auto const [begin, end] = alone ? tl::mpi::row_range{0, 5} : tl::mpi::split_rows(world, 5);
  tl::tensor_view<float, tl::dyn, 3> x_train{x_data + 3 * begin, end - begin};
  tl::tensor_view<float, tl::dyn, 1> y_train{y_data + begin, end - begin};

  tl::param<"w", 3, 1> w;  // torch.zeros((3, 1), requires_grad=True), on every rank
  tl::param<"b"> b;
  tl::optim::sgd optimizer{tl::params(w, b), {.lr = 1e-5}};

  int const nb_epochs = 1000;
  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    auto hypothesis = x_train.matmul(w) + b;
    auto cost = tl::mse_loss(hypothesis, y_train);  // the mean over all ranks' rows

    auto [value, grads] = alone ? tl::value_and_grad(cost, w, b) : tl::mpi::value_and_grad(world, cost, w, b);
    optimizer.step(grads);

    if (world.rank() == 0 && epoch % 100 == 0) {
      std::printf("Epoch %5d/%d cost: %.3f\n", epoch, nb_epochs, value);
      std::printf("w: [%.4f, %.4f, %.4f]\n", w[0], w[1], w[2]);
    }
  }
  if (!alone && !tl::mpi::in_lockstep(world, tl::params(w, b))) {
    std::fprintf(stderr, "rank %d: the ranks' models differ\n", world.rank());
    return 1;
  }
}
