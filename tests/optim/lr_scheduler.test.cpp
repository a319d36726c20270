// tests for include/tapeless/optim/lr_scheduler.hpp: every scheduler's learning
// rates at every epoch, and SGD trajectories with a scheduler, against PyTorch
// 1.13 (tools/reference/schedulers.py → tests/data/sched_*.csv).
#include "laws/gradcheck.hpp"
#include "laws/reference.hpp"

#include <tapeless/optim/lr_scheduler.hpp>
#include <tapeless/optim/sgd.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace tl = tapeless;
namespace sch = tapeless::optim::lr_scheduler;
using tl::dyn;

namespace {
using rows_t = std::vector<std::vector<std::string>>;

std::map<std::string, rows_t> by_setting(std::string const& file) {
  std::map<std::string, rows_t> out;
  for (auto const& row : laws::read_csv(file)) out[row[0]].push_back(row);
  return out;
}

/// The learning rates of both groups match the row (relative 1e-12: doubles in torch's order of operations).
template <class Opt>
void check_lrs(Opt const& opt, std::vector<double> const& last_lr, std::vector<std::string> const& row) {
  CAPTURE(row[1]);
  for (std::size_t g = 0; g < 2; ++g) {
    double const want = std::stod(row[2 + g]);
    CHECK(laws::close(opt.lr(g), want, 1e-12, 0));
    CHECK(last_lr[g] == opt.lr(g));
  }
}

/// An SGD optimizer with two groups, lr 0.1 and 0.02, as the script's.
struct two_groups {
  tl::param<"a"> a;
  tl::param<"b"> b;
  tl::optim::sgd<tl::param<"a">, tl::param<"b">> opt{
      tl::optim::groups(tl::optim::group{tl::params(a)}, tl::optim::group{tl::params(b), {.lr = 0.02}}), {.lr = 0.1}};
};

/// Steps `scheduler` 40 times and compares every epoch with `rows`.
template <class Scheduler, class Opt>
void follow(Scheduler& scheduler, Opt const& opt, rows_t const& rows) {
  REQUIRE(rows.size() == 41);
  CHECK(scheduler.last_epoch() == 0);
  check_lrs(opt, scheduler.get_last_lr(), rows[0]);
  for (std::size_t e = 1; e <= 40; ++e) {
    scheduler.step();
    CHECK(scheduler.last_epoch() == e);
    check_lrs(opt, scheduler.get_last_lr(), rows[e]);
  }
}
}  // namespace

TEST_CASE("lr_scheduler: StepLR, MultiStepLR, ExponentialLR and CosineAnnealingLR follow torch at every epoch") {
  auto const ref = by_setting("sched_lr.csv");
  auto run = [&](std::string const& name, auto make) {
    CAPTURE(name);
    two_groups m;
    auto scheduler = make(m.opt);
    CHECK(scheduler.base_lrs() == std::vector<double>{0.1, 0.02});
    follow(scheduler, m.opt, ref.at(name));
  };
  run("step_lr", [](auto& opt) { return sch::step_lr{opt, {.step_size = 3, .gamma = 0.5}}; });
  run("step_lr_default_gamma", [](auto& opt) { return sch::step_lr{opt, {.step_size = 4}}; });
  run("multi_step_lr", [](auto& opt) { return sch::multi_step_lr{opt, {.milestones = {2, 5, 5, 9}, .gamma = 0.5}}; });
  run("multi_step_lr_unsorted", [](auto& opt) { return sch::multi_step_lr{opt, {.milestones = {30, 3, 7}}}; });
  run("exponential_lr", [](auto& opt) { return sch::exponential_lr{opt, {.gamma = 0.9}}; });
  run("exponential_lr_growth", [](auto& opt) { return sch::exponential_lr{opt, {.gamma = 1.05}}; });
  run("cosine_annealing_lr", [](auto& opt) { return sch::cosine_annealing_lr{opt, {.T_max = 10}}; });
  run("cosine_annealing_lr_eta_min",
      [](auto& opt) { return sch::cosine_annealing_lr{opt, {.T_max = 7, .eta_min = 0.001}}; });
  run("cosine_annealing_lr_one", [](auto& opt) { return sch::cosine_annealing_lr{opt, {.T_max = 1, .eta_min = 0.01}}; });
}

TEST_CASE("lr_scheduler: two schedulers on one optimizer compose, as torch's chainable form") {
  auto const ref = by_setting("sched_lr.csv");
  auto run = [&](std::string const& name, auto& first, auto& second, two_groups const& m) {
    CAPTURE(name);
    auto const& rows = ref.at(name);
    check_lrs(m.opt, second.get_last_lr(), rows[0]);
    for (std::size_t e = 1; e <= 40; ++e) {
      first.step();
      second.step();
      check_lrs(m.opt, second.get_last_lr(), rows[e]);
    }
  };
  two_groups m;
  sch::step_lr step{m.opt, {.step_size = 5, .gamma = 0.5}};
  sch::exponential_lr exponential{m.opt, {.gamma = 0.95}};
  run("chained_step_exponential", step, exponential, m);
  two_groups n;  // the cosine's recursion keeps MultiStepLR's cuts (its closed form would not)
  sch::cosine_annealing_lr cosine{n.opt, {.T_max = 6, .eta_min = 0.001}};
  sch::multi_step_lr multi_step{n.opt, {.milestones = {4, 11}, .gamma = 0.5}};
  run("chained_cosine_multi_step", cosine, multi_step, n);
}

TEST_CASE("lr_scheduler: ReduceLROnPlateau follows torch's rates and counters on a metric with plateaus") {
  auto const ref = by_setting("sched_lr.csv");
  auto run = [&](std::string const& name, sch::reduce_lr_on_plateau_options options) {
    CAPTURE(name);
    auto const& rows = ref.at(name);
    REQUIRE(rows.size() == 41);
    two_groups m;
    sch::reduce_lr_on_plateau scheduler{m.opt, options};
    check_lrs(m.opt, scheduler.get_last_lr(), rows[0]);
    CHECK(std::isinf(scheduler.best()));
    for (std::size_t e = 1; e <= 40; ++e) {
      auto const& row = rows[e];
      scheduler.step(std::stod(row[7]));  // "nan" reads as a NaN
      CHECK(scheduler.last_epoch() == e);
      check_lrs(m.opt, scheduler.get_last_lr(), row);
      CHECK(scheduler.best() == std::stod(row[4]));
      CHECK(scheduler.num_bad_epochs() == std::stoull(row[5]));
      CHECK(scheduler.cooldown_counter() == std::stoull(row[6]));
    }
  };
  run("plateau_default", {});
  run("plateau_min_rel", {.factor = 0.5, .patience = 2});
  run("plateau_min_abs_cooldown", {.factor = 0.3,
                                   .patience = 1,
                                   .threshold = 0.05,
                                   .threshold_mode = sch::plateau_threshold::abs,
                                   .cooldown = 2,
                                   .min_lr = 0.004});
  run("plateau_max_rel", {.mode = sch::plateau_mode::max, .factor = 0.5, .patience = 0, .threshold = 0.01});
  run("plateau_max_abs_min_lrs", {.mode = sch::plateau_mode::max,
                                  .factor = 0.1,
                                  .patience = 1,
                                  .threshold = 0.001,
                                  .threshold_mode = sch::plateau_threshold::abs,
                                  .min_lr = {0.002, 0.0001},
                                  .eps = 1e-3});
}

TEST_CASE("lr_scheduler: SGD with a scheduler after every step follows torch's trajectory") {
  auto const data = laws::read_csv("sgd_data.csv");
  tl::tensor<float, dyn, 2> X(data.size());
  tl::tensor<float, dyn, 1> y(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    X(i, 0) = std::stof(data[i][0]);
    X(i, 1) = std::stof(data[i][1]);
    y(i, 0) = std::stof(data[i][2]);
  }
  auto const ref = by_setting("sched_train.csv");
  auto run = [&](std::string const& name, tl::optim::sgd_options options, auto make, auto step) {
    CAPTURE(name);
    auto const& rows = ref.at(name);
    REQUIRE(rows.size() == 30);
    tl::param<"w", 2, 1> w{{0.3f}, {-0.2f}};
    tl::param<"b"> b{0.1f};
    tl::optim::sgd opt{tl::params(w, b), options};
    auto scheduler = make(opt);
    auto const loss = tl::mean(tl::square(X * w + b - y));
    for (auto const& row : rows) {
      CAPTURE(row[1]);
      CHECK(laws::close(opt.lr(), std::stod(row[6]), 1e-12, 0));  // the rate this step uses
      auto const result = tl::value_and_grad(loss, w, b);
      opt.step(result.grads);
      step(scheduler, result.value);
      CHECK(laws::close(result.value, std::stod(row[2]), 1e-5, 1e-7));
      CHECK(laws::close(w[0], std::stod(row[3]), 1e-5, 1e-7));
      CHECK(laws::close(w[1], std::stod(row[4]), 1e-5, 1e-7));
      CHECK(laws::close(b[0], std::stod(row[5]), 1e-5, 1e-7));
    }
  };
  auto epoch = [](auto& s, float) { s.step(); };
  run(
      "cosine_momentum", {.lr = 0.1, .momentum = 0.9},
      [](auto& opt) { return sch::cosine_annealing_lr{opt, {.T_max = 8, .eta_min = 0.005}}; }, epoch);
  run(
      "step_nesterov", {.lr = 0.2, .momentum = 0.5, .nesterov = true},
      [](auto& opt) { return sch::step_lr{opt, {.step_size = 5, .gamma = 0.5}}; }, epoch);
  run(
      "plateau_on_loss", {.lr = 0.3},
      [](auto& opt) { return sch::reduce_lr_on_plateau{opt, {.factor = 0.5, .patience = 1, .threshold = 0.05}}; },
      [](auto& s, float loss) { s.step(loss); });
}

namespace {
using sgd_t = tl::optim::sgd<tl::param<"a">, tl::param<"b">>;
}  // namespace

TEST_CASE("lr_scheduler: bad options and a temporary optimizer are refused") {
  two_groups m;
  CHECK_THROWS_WITH_AS(sch::step_lr(m.opt, {}),
                       "tapeless::optim::lr_scheduler::step_lr: set step_size (.step_size), at least 1; it has no "
                       "default",
                       tl::error);
  CHECK_THROWS_AS(sch::step_lr(m.opt, {.step_size = 1, .gamma = -1}), tl::error);
  CHECK_THROWS_AS(sch::multi_step_lr(m.opt, {.milestones = {1}, .gamma = -0.5}), tl::error);
  CHECK_THROWS_WITH_AS(sch::exponential_lr(m.opt, {}),
                       "tapeless::optim::lr_scheduler::exponential_lr: set a non-negative gamma (.gamma); it has no "
                       "default",
                       tl::error);
  CHECK_THROWS_WITH_AS(sch::cosine_annealing_lr(m.opt, {}),
                       "tapeless::optim::lr_scheduler::cosine_annealing_lr: set T_max (.T_max), at least 1; it has no "
                       "default",
                       tl::error);
  CHECK_THROWS_AS(sch::cosine_annealing_lr(m.opt, {.T_max = 5, .eta_min = -1}), tl::error);
  CHECK_THROWS_WITH_AS(sch::reduce_lr_on_plateau(m.opt, {.factor = 1.0}),
                       "tapeless::optim::lr_scheduler::reduce_lr_on_plateau: factor must be below 1 (it multiplies "
                       "the learning rate)",
                       tl::error);
  CHECK_THROWS_WITH_AS(sch::reduce_lr_on_plateau(m.opt, {.min_lr = {0.1, 0.2, 0.3}}),
                       "tapeless::optim::lr_scheduler::reduce_lr_on_plateau: min_lr has 3 values for 2 parameter "
                       "groups; give one value, or one per group",
                       tl::error);
  CHECK_THROWS_AS(sch::reduce_lr_on_plateau(m.opt, {.threshold = -1}), tl::error);
  CHECK_THROWS_AS(sch::reduce_lr_on_plateau(m.opt, {.min_lr = -0.1}), tl::error);
  CHECK(m.opt.lr(0) == 0.1);  // nothing changed the optimizer

  static_assert(std::is_constructible_v<sch::step_lr<sgd_t>, sgd_t&, sch::step_lr_options>);
  static_assert(!std::is_constructible_v<sch::step_lr<sgd_t>, sgd_t&&, sch::step_lr_options>);
  static_assert(!std::is_constructible_v<sch::reduce_lr_on_plateau<sgd_t>, sgd_t&&>);
  static_assert(sch::schedulable<sgd_t>);
  static_assert(!sch::schedulable<int>);
}

TEST_CASE("lr_scheduler: visit_state lists the state a checkpoint keeps") {
  two_groups m;
  sch::cosine_annealing_lr scheduler{m.opt, {.T_max = 4}};
  scheduler.step();
  scheduler.step();
  std::vector<std::string> keys;
  std::vector<std::size_t> sizes;
  std::as_const(scheduler).visit_state([&](std::string_view key, auto values) {
    keys.emplace_back(key);
    sizes.push_back(values.size());
  });
  CHECK(keys == std::vector<std::string>{"last_epoch", "base_lrs", "last_lr"});
  CHECK(sizes == std::vector<std::size_t>{1, 2, 2});

  // A copy of the state continues the schedule exactly.
  two_groups other;
  sch::cosine_annealing_lr resumed{other.opt, {.T_max = 4}};
  other.opt.set_lr(0, m.opt.lr(0));  // the optimizer's rates travel with the optimizer's own state
  other.opt.set_lr(1, m.opt.lr(1));
  std::vector<std::vector<double>> doubles;
  std::uint64_t epoch = 0;
  std::as_const(scheduler).visit_state([&](std::string_view, auto values) {
    if constexpr (std::is_same_v<std::remove_const_t<typename decltype(values)::element_type>, double>)
      doubles.emplace_back(values.begin(), values.end());
    else epoch = values[0];
  });
  std::size_t k = 0;
  resumed.visit_state([&](std::string_view, auto values) {
    if constexpr (std::is_same_v<typename decltype(values)::element_type, double>) {
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = doubles[k][i];
      ++k;
    } else {
      values[0] = epoch;
    }
  });
  CHECK(resumed.last_epoch() == 2);
  for (int e = 0; e < 9; ++e) {
    scheduler.step();
    resumed.step();
    CHECK(resumed.get_last_lr() == scheduler.get_last_lr());
  }

  sch::reduce_lr_on_plateau plateau{m.opt};
  keys.clear();
  std::as_const(plateau).visit_state([&](std::string_view key, auto) { keys.emplace_back(key); });
  CHECK(keys == std::vector<std::string>{"last_epoch", "best", "num_bad_epochs", "cooldown_counter"});
}
