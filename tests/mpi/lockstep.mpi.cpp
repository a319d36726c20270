// Optimizers from the core run unchanged on every rank and stay in lock-step:
// bit-identical parameters on every rank after every step, and the same
// trajectory as one process on all rows (float tolerance).
#include "common.hpp"

using namespace mpi_test;

namespace {

template <class T = float>
struct model {
  tl::param<"w", 3, 1, T> w{{T(0.1)}, {T(-0.2)}, {T(0.3)}};
  tl::param<"b", 1, 1, T> b{T(0)};
  auto parameters() { return tl::params(w, b); }
};

/// The data of `regression` in T.
template <class T, std::size_t C>
struct data_in {
  std::vector<T> x, y;
  explicit data_in(regression<C> const& d) : x(d.x.begin(), d.x.end()), y(d.y.begin(), d.y.end()) {}
  tl::tensor_view<T, tl::dyn, C> X(tl::mpi::row_range rows) const { return {x.data() + rows.begin * C, rows.size()}; }
  tl::tensor_view<T, tl::dyn, 1> Y(tl::mpi::row_range rows) const { return {y.data() + rows.begin, rows.size()}; }
};

/// Trains a model over the ranks and one over all rows alone with optimizers
/// made by `make(params)`, checking lock-step after every step. In double, the
/// sums' last bits reach the parameters: a rank that added the ranks' sums in
/// another order would drift.
template <class T = float, class Make>
void train(Make make, int steps, double rel) {
  tl::mpi::communicator world;
  regression<3> const source(53, 21);
  data_in<T, 3> const data(source);
  auto const rows = rows_of(world, source.n, split::uneven);
  auto const X = data.X(rows);
  auto const X_all = data.X(source.all());
  model<T> over_ranks, alone;
  auto opt = make(over_ranks.parameters());
  auto opt_alone = make(alone.parameters());
  auto const cost = tl::mse_loss(X.matmul(over_ranks.w) + over_ranks.b, data.Y(rows));
  auto const cost_alone = tl::mse_loss(X_all.matmul(alone.w) + alone.b, data.Y(source.all()));
  bool lockstep = true, close_to_alone = true;
  for (int step = 0; step < steps; ++step) {
    auto [value, grads] = tl::mpi::value_and_grad(world, cost, over_ranks.w, over_ranks.b);
    opt.step(grads);
    auto [value_alone, grads_alone] = tl::value_and_grad(cost_alone, alone.w, alone.b);
    opt_alone.step(grads_alone);
    lockstep = lockstep && tl::mpi::in_lockstep(world, over_ranks.parameters());
    close_to_alone = close_to_alone && close(value, value_alone, rel) &&
                     close_all(over_ranks.w.value(), alone.w.value(), rel) &&
                     close(over_ranks.b.item(), alone.b.item(), rel);
  }
  CHECK(lockstep);
  CHECK(close_to_alone);
}

}  // namespace

TEST_CASE("mpi: SGD with momentum stays in lock-step on every rank") {
  train([](auto ps) { return tl::optim::sgd{ps, {.lr = 0.01, .momentum = 0.9}}; }, 100, 1e-4);
}

TEST_CASE("mpi: Adam stays in lock-step on every rank") {
  train([](auto ps) { return tl::optim::adam{ps, {.lr = 0.05}}; }, 100, 1e-4);
}

TEST_CASE("mpi: Adam in double stays in lock-step on every rank, to the last bit") {
  train<double>([](auto ps) { return tl::optim::adam{ps, {.lr = 0.05}}; }, 100, 1e-12);
}

TEST_CASE("mpi: L-BFGS (several evaluations per step, decided by the loss) stays in lock-step") {
  tl::mpi::communicator world;
  regression<3> const data(53, 22);
  auto const rows = rows_of(world, data.n, split::last_rank_empty);
  auto const X = data.X(rows);
  model<> m;
  tl::optim::lbfgs opt{m.parameters(), {.lr = 1.0, .max_iter = 5}};
  auto const cost = tl::mse_loss(X.matmul(m.w) + m.b, data.Y(rows));
  bool lockstep = true;
  float last = 0;
  for (int step = 0; step < 10; ++step) {
    last = opt.step([&] { return tl::mpi::value_and_grad(world, cost, m.w, m.b); });
    lockstep = lockstep && tl::mpi::in_lockstep(world, m.parameters());
  }
  CHECK(lockstep);
  CHECK(same_everywhere(world, last));
  // The targets are y = 0.25 + 0.5 x0 + 1.5 x1 + 2.5 x2 + noise of 0.1: fitted closely.
  CHECK(m.w[0] == doctest::Approx(0.5).epsilon(0.05));
  CHECK(m.w[2] == doctest::Approx(2.5).epsilon(0.05));
}

TEST_CASE("mpi: broadcast starts ranks that initialised differently in lock-step") {
  tl::mpi::communicator world;
  model<> m;
  m.w[0] = static_cast<float>(world.rank());  // differs between ranks
  CHECK(tl::mpi::in_lockstep(world, m.parameters()) == (world.size() == 1));
  tl::mpi::broadcast(world, m.parameters());
  CHECK(tl::mpi::in_lockstep(world, m.parameters()));
  CHECK(m.w[0] == 0.0f);
}
