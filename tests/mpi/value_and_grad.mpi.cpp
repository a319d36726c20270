// tl::mpi::value_and_grad and tl::mpi::value: over any split of the rows, the
// result equals the single-process result on all rows (float tolerance) and
// is bit-identical on every rank.
#include "common.hpp"

using namespace mpi_test;

namespace {

constexpr split splits[] = {split::even, split::uneven, split::last_rank_empty, split::all_on_rank_0};

/// Checks that `over_ranks` (a tl::mpi result) matches `alone` (tl:: on all rows) and is the same on every rank.
template <class R, class... Ps>
void compare(tl::mpi::communicator const& world, R const& over_ranks, R const& alone, Ps const&... ps) {
  CHECK(close(over_ranks.value, alone.value));
  CHECK(same_everywhere(world, over_ranks.value));
  auto one = [&](auto const& p) {
    CHECK(close_all(over_ranks.grads[p], alone.grads[p]));
    CHECK(same_everywhere(world, over_ranks.grads[p]));
  };
  (one(ps), ...);
}

}  // namespace

TEST_CASE("mpi: the Quiz 1 loss (mean squared error) over every split equals one process on all rows") {
  tl::mpi::communicator world;
  regression<3> const data(37);
  tl::param<"w", 3, 1> w{{0.5f}, {-0.25f}, {1.0f}};
  tl::param<"b"> b{0.125f};
  auto const X_all = data.X(data.all());
  auto const alone = tl::value_and_grad(tl::mse_loss(X_all.matmul(w) + b, data.Y(data.all())), w, b);
  for (split s : splits) {
    CAPTURE(name(s));
    auto const rows = rows_of(world, data.n, s);
    auto const X = data.X(rows);
    auto const y = data.Y(rows);
    auto const result = tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w) + b, y), w, b);
    compare(world, result, alone, w, b);
  }
}

TEST_CASE("mpi: sums stay sums, and a mean over a parameter is not divided by the rows") {
  tl::mpi::communicator world;
  regression<3> const data(29, 7);
  tl::param<"w", 3, 1> w{{0.5f}, {-0.25f}, {1.0f}};
  tl::param<"b"> b{0.125f};
  auto loss = [&](tl::mpi::row_range rows) {
    auto const X = data.X(rows);
    return tl::l1_loss(X.matmul(w) + b, data.Y(rows), tl::reduction::sum) + 0.5 * tl::mean(tl::square(w)) +
           tl::mean(tl::square(X.matmul(w)));
  };
  auto const alone = tl::value_and_grad(loss(data.all()), w, b);
  for (split s : splits) {
    CAPTURE(name(s));
    auto const result = tl::mpi::value_and_grad(world, loss(rows_of(world, data.n, s)), w, b);
    compare(world, result, alone, w, b);
  }
}

TEST_CASE("mpi: logistic regression through a linear layer, gradients of model.parameters()") {
  tl::mpi::communicator world;
  regression<3> const data(41, 3);
  tl::nn::linear<3, 1> layer{5};
  std::vector<float> targets(data.n);
  for (std::size_t r = 0; r < data.n; ++r) targets[r] = static_cast<float>(data.label[r]);
  auto loss = [&](tl::mpi::row_range rows) {
    tl::tensor_view<float, tl::dyn, 1> const t{targets.data() + rows.begin, rows.size()};
    return tl::binary_cross_entropy_with_logits(layer(data.X(rows)), t);
  };
  auto const alone = tl::value_and_grad(loss(data.all()), layer.parameters());
  for (split s : splits) {
    CAPTURE(name(s));
    auto const result = tl::mpi::value_and_grad(world, loss(rows_of(world, data.n, s)), layer.parameters());
    compare(world, result, alone, layer.weight, layer.bias);
  }
}

TEST_CASE("mpi: cross entropy over classes with a 3-to-2 layer") {
  tl::mpi::communicator world;
  regression<3> const data(23, 11);
  tl::nn::linear<3, 2> layer{8};
  auto loss = [&](tl::mpi::row_range rows) { return tl::cross_entropy(layer(data.X(rows)), data.labels(rows)); };
  auto const alone = tl::value_and_grad(loss(data.all()), layer.parameters());
  for (split s : splits) {
    CAPTURE(name(s));
    auto const result = tl::mpi::value_and_grad(world, loss(rows_of(world, data.n, s)), layer.parameters());
    compare(world, result, alone, layer.weight, layer.bias);
  }
}

TEST_CASE("mpi: gradients match central differences of the loss over all ranks (double)") {
  tl::mpi::communicator world;
  regression<3> const data(19, 5);
  std::vector<double> x(data.x.begin(), data.x.end()), y(data.y.begin(), data.y.end());
  tl::param<"w", 3, 1, double> w{{0.5}, {-0.25}, {1.0}};
  tl::param<"b", 1, 1, double> b{0.125};
  auto const rows = rows_of(world, data.n, split::uneven);
  tl::tensor_view<double, tl::dyn, 3> const X{x.data() + rows.begin * 3, rows.size()};
  tl::tensor_view<double, tl::dyn, 1> const Y{y.data() + rows.begin, rows.size()};
  auto const cost = tl::mean(tl::square(tl::tanh(X.matmul(w) + b) - Y));
  auto const [value, grads] = tl::mpi::value_and_grad(world, cost, w, b);
  CHECK(close(value, tl::mpi::value(world, cost), 1e-15));
  CHECK(same_everywhere(world, value));  // in double, the sums' last bits reach the result
  CHECK(same_everywhere(world, grads[w]));
  double const h = 1e-6;
  for (std::size_t k = 0; k < 3; ++k) {
    double const keep = w[k];
    w[k] = keep + h;
    double const up = tl::mpi::value(world, cost);
    w[k] = keep - h;
    double const down = tl::mpi::value(world, cost);
    w[k] = keep;
    CHECK(close(grads[w][k], (up - down) / (2 * h), 1e-8));
  }
  double const keep = b[0];
  b[0] = keep + h;
  double const up = tl::mpi::value(world, cost);
  b[0] = keep - h;
  double const down = tl::mpi::value(world, cost);
  b[0] = keep;
  CHECK(close(grads[b][0], (up - down) / (2 * h), 1e-8));
}

TEST_CASE("mpi: value of a scalar and of a matrix over the ranks") {
  tl::mpi::communicator world;
  regression<3> const data(31, 13);
  for (split s : splits) {
    CAPTURE(name(s));
    auto const rows = rows_of(world, data.n, s);
    double const mean = tl::mpi::value(world, tl::mean(data.X(rows)));
    CHECK(close(mean, tl::value(tl::mean(data.X(data.all())))));
    auto const sums = tl::mpi::value(world, tl::colsum(data.X(rows)));
    CHECK(close_all(sums, tl::value(tl::colsum(data.X(data.all())))));
    CHECK(same_everywhere(world, sums));
  }
}

TEST_CASE("mpi: the same call twice gives bit-identical results (a deterministic order)") {
  tl::mpi::communicator world;
  regression<16> const data(5000, 17);  // more rows than one block of the pass
  tl::param<"w", 16, 1> w;
  for (std::size_t k = 0; k < 16; ++k) w[k] = static_cast<float>(draw(99, k));
  tl::param<"b"> b;
  auto const rows = rows_of(world, data.n, split::uneven);
  auto const X = data.X(rows);
  auto const cost = tl::mse_loss(X.matmul(w) + b, data.Y(rows));
  auto const first = tl::mpi::value_and_grad(world, cost, w, b);
  auto const second = tl::mpi::value_and_grad(world, cost, w, b);
  CHECK(std::memcmp(&first.value, &second.value, sizeof first.value) == 0);
  CHECK(std::memcmp(&first.grads[w], &second.grads[w], sizeof first.grads[w]) == 0);
  CHECK(same_everywhere(world, first.grads[w]));
  auto const X_all = data.X(data.all());
  auto const alone = tl::value_and_grad(tl::mse_loss(X_all.matmul(w) + b, data.Y(data.all())), w, b);
  CHECK(close(first.value, alone.value));
  CHECK(close_all(first.grads[w], alone.grads[w]));
}

TEST_CASE("mpi: split_rows covers every row once, the first n mod P ranks one row more") {
  tl::mpi::communicator world;
  for (std::size_t n : {0u, 1u, 3u, 5u, 7u, 1000u}) {
    auto const mine = tl::mpi::split_rows(world, n);
    unsigned long long const range[2] = {mine.begin, mine.end};
    std::vector<unsigned long long> all(2 * static_cast<std::size_t>(world.size()));
    MPI_Allgather(range, 2, MPI_UNSIGNED_LONG_LONG, all.data(), 2, MPI_UNSIGNED_LONG_LONG, world.native());
    CHECK(all.front() == 0);
    CHECK(all.back() == n);
    auto const ranks = static_cast<std::size_t>(world.size());
    for (std::size_t r = 0; r < ranks; ++r) {
      CHECK(all[2 * r + 1] - all[2 * r] == n / ranks + (r < n % ranks ? 1 : 0));
      if (r > 0) CHECK(all[2 * r] == all[2 * r - 1]);
    }
  }
}
