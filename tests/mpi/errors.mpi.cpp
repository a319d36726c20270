// What goes wrong across ranks is an error on every rank, never a hang: the
// same tapeless::error everywhere, after which the communicator still works.
#include "common.hpp"
#include "laws/errors.hpp"

#include <string>

using namespace mpi_test;

namespace {

using laws::error_of;

/// The communicator still works: a plain evaluation over every rank.
void still_works(tl::mpi::communicator const& world) {
  regression<3> const data(11);
  tl::param<"w", 3, 1> w{{1.0f}, {2.0f}, {3.0f}};
  auto const rows = tl::mpi::split_rows(world, data.n);
  auto const X = data.X(rows);
  auto const [value, grads] = tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w), data.Y(rows)), w);
  auto const X_all = data.X(data.all());
  CHECK(close(value, tl::value(tl::mse_loss(X_all.matmul(w), data.Y(data.all())))));
}

}  // namespace

TEST_CASE("mpi: a model of another shape on one rank is the same clear error on every rank") {
  tl::mpi::communicator world;
  if (world.size() < 2) return;  // needs two ranks
  regression<3> const narrow(10);
  regression<4> const wide(10);
  tl::param<"w", 3, 1> w3;
  tl::param<"w", 4, 1> w4;
  tl::param<"b"> b;
  auto const rows = tl::mpi::split_rows(world, 10);
  auto const X3 = narrow.X(rows);
  auto const X4 = wide.X(rows);
  std::string const message = error_of([&] {
    if (world.rank() == world.size() - 1)
      (void)tl::mpi::value_and_grad(world, tl::mse_loss(X4.matmul(w4) + b, wide.Y(rows)), w4, b);
    else
      (void)tl::mpi::value_and_grad(world, tl::mse_loss(X3.matmul(w3) + b, narrow.Y(rows)), w3, b);
  });
  CAPTURE(message);
  CHECK(message.find("the ranks evaluate different losses") != std::string::npos);
  CHECK(message.find("rank 0 has parameters w[3x1 float], b[1x1 float]") != std::string::npos);
  CHECK(message.find("rank " + std::to_string(world.size() - 1) + " has parameters w[4x1 float], b[1x1 float]") !=
        std::string::npos);
  CHECK(same_bytes_everywhere(world, message.data(), message.size()));
  still_works(world);
}

TEST_CASE("mpi: another loss over the same parameters on one rank is an error on every rank") {
  tl::mpi::communicator world;
  if (world.size() < 2) return;
  regression<3> const data(10);
  tl::param<"w", 3, 1> w;
  auto const rows = tl::mpi::split_rows(world, data.n);
  auto const X = data.X(rows);
  std::string const message = error_of([&] {
    if (world.rank() == 1) (void)tl::mpi::value_and_grad(world, tl::l1_loss(X.matmul(w), data.Y(rows)), w);
    else (void)tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w), data.Y(rows)), w);
  });
  CAPTURE(message);
  CHECK(message.find("(the same parameters in different loss expressions)") != std::string::npos);
  CHECK(same_bytes_everywhere(world, message.data(), message.size()));
  still_works(world);
}

TEST_CASE("mpi: a loss that fails to build on one rank is that rank's error, on every rank") {
  tl::mpi::communicator world;
  regression<3> const data(12);
  tl::param<"w", 3, 1> w;
  auto const rows = tl::mpi::split_rows(world, data.n);
  auto const X = data.X(rows);
  // The last rank's target has one row fewer than its inputs: building the loss throws there.
  std::size_t const target_rows = world.rank() == world.size() - 1 ? rows.size() - 1 : rows.size();
  tl::tensor_view<float, tl::dyn, 1> const y{data.y.data() + rows.begin, target_rows};
  std::string const message = error_of(
      [&] { (void)tl::mpi::value_and_grad(world, [&] { return tl::mse_loss(X.matmul(w), y); }, w); });
  CAPTURE(message);
  std::size_t const last_rows = data.n / static_cast<std::size_t>(world.size());  // 12 splits evenly over 1-4
  CHECK(message == "tapeless::mpi::value_and_grad: rank " + std::to_string(world.size() - 1) +
                       " failed: tapeless::mse_loss: operands have " + std::to_string(last_rows) + " and " +
                       std::to_string(last_rows - 1) + " rows; the batch (dyn) extents must be equal");
  CHECK(same_bytes_everywhere(world, message.data(), message.size()));
  still_works(world);
}

TEST_CASE("mpi: reductions over different rows in one loss, on one rank, are an error on every rank") {
  tl::mpi::communicator world;
  regression<3> const data(12);
  tl::param<"w", 3, 1> w;
  auto const rows = tl::mpi::split_rows(world, data.n);
  auto const X = data.X(rows);
  // Two separate means: built fine, but over 4 and 3 rows on the last rank.
  std::size_t const target_rows = world.rank() == world.size() - 1 ? rows.size() - 1 : rows.size();
  tl::tensor_view<float, tl::dyn, 1> const y{data.y.data() + rows.begin, target_rows};
  std::string const message = error_of([&] {
    (void)tl::mpi::value_and_grad(world, tl::mean(tl::square(X.matmul(w))) + tl::mean(y), w);
  });
  CAPTURE(message);
  CHECK(message.find("rank " + std::to_string(world.size() - 1) + " failed: ") != std::string::npos);
  CHECK(message.find("every batch (dyn) extent in one loss must be equal") != std::string::npos);
  CHECK(same_bytes_everywhere(world, message.data(), message.size()));
  still_works(world);
}

TEST_CASE("mpi: data this rank cannot reach (two devices, or cuda in a host unit) is its error on every rank") {
  tl::mpi::communicator world;
  regression<3> const data(12);
  tl::param<"w", 3, 1> w;
  auto const rows = tl::mpi::split_rows(world, data.n);
  int const last = world.size() - 1;
  // The last rank marks its rows as device memory (they are not: no pass may read them).
  tl::device const where = world.rank() == last ? tl::cuda : tl::cpu;
  tl::tensor_view<float, tl::dyn, 3> const X{data.x.data() + rows.begin * 3, rows.size(), where};
  tl::tensor_view<float, tl::dyn, 1> const y_host{data.y.data() + rows.begin, rows.size()};
  tl::tensor_view<float, tl::dyn, 1> const y{data.y.data() + rows.begin, rows.size(), where};

  std::string const mixed =
      error_of([&] { (void)tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w), y_host), w); });
  CAPTURE(mixed);
  CHECK(mixed.find("rank " + std::to_string(last) +
                   " failed: tapeless::value_and_grad: the loss reads data on cpu and on cuda") != std::string::npos);
  CHECK(same_bytes_everywhere(world, mixed.data(), mixed.size()));

  std::string const on_cuda =
      error_of([&] { (void)tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w), y), w); });
  CAPTURE(on_cuda);
  CHECK(on_cuda.find("rank " + std::to_string(last) +
                     " failed: tapeless::value_and_grad: the data are on cuda, and this file was not compiled by "
                     "nvcc") != std::string::npos);
  CHECK(same_bytes_everywhere(world, on_cuda.data(), on_cuda.size()));
  still_works(world);
}

TEST_CASE("mpi: a parameter passed that the loss does not use is an error on every rank") {
  tl::mpi::communicator world;
  regression<3> const data(12);
  tl::param<"w", 3, 1> w, other;
  auto const rows = tl::mpi::split_rows(world, data.n);
  auto const X = data.X(rows);
  std::string const message = error_of([&] {
    // Rank 0 passes a different object of the same name.
    (void)tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w), data.Y(rows)), world.rank() == 0 ? other : w);
  });
  CAPTURE(message);
  CHECK(message.find("rank 0 failed: tapeless::value_and_grad: the parameter 'w' passed is not the one") !=
        std::string::npos);
  CHECK(same_bytes_everywhere(world, message.data(), message.size()));
  still_works(world);
}

TEST_CASE("mpi: a mean over no rows on any rank is an error on every rank; a sum over none is 0") {
  tl::mpi::communicator world;
  regression<3> const data(4);
  tl::param<"w", 3, 1> w{{1.0f}, {1.0f}, {1.0f}};
  tl::mpi::row_range const none{0, 0};
  auto const X = data.X(none);
  std::string const message =
      error_of([&] { (void)tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w), data.Y(none)), w); });
  CAPTURE(message);
  CHECK(message == "tapeless::mpi::value_and_grad: mean over data with no rows on any rank; pass at least one row");
  auto const [total, grads] =
      tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w), data.Y(none), tl::reduction::sum), w);
  CHECK(total == 0.0f);
  CHECK(grads[w][0] == 0.0f);
  still_works(world);
}

TEST_CASE("mpi: broadcast refuses parameters of different sizes on every rank; in_lockstep says false") {
  tl::mpi::communicator world;
  if (world.size() < 2) return;
  tl::param<"w", 3, 1> w3{{1.0f}, {2.0f}, {3.0f}};
  tl::param<"w", 4, 1> w4;
  bool const last = world.rank() == world.size() - 1;
  std::string const message = error_of([&] {
    if (last) tl::mpi::broadcast(world, tl::params(w4));
    else tl::mpi::broadcast(world, tl::params(w3));
  });
  CHECK(message.find("tapeless::mpi::broadcast: the ranks hold parameters of different sizes") != std::string::npos);
  bool const same = last ? tl::mpi::in_lockstep(world, tl::params(w4)) : tl::mpi::in_lockstep(world, tl::params(w3));
  CHECK_FALSE(same);
  still_works(world);
}

TEST_CASE("mpi: a communicator before MPI_Init is refused; MPI errors name the call") {
  // MPI is initialised here (main), so check the message of a failing MPI call instead.
  std::string const message = error_of([] { tl::mpi::detail::check(MPI_ERR_COMM, "MPI_Allgather"); });
  CHECK(message.rfind("tapeless::mpi: MPI_Allgather failed: ", 0) == 0);
  CHECK(message.size() > std::string("tapeless::mpi: MPI_Allgather failed: ").size());
}
