// tests for include/tapeless/optim/lbfgs.hpp: torch.optim.LBFGS step by step against PyTorch
// (tools/reference/lbfgs.py → tests/data/lbfgs_*.csv), checkpoints, options, the contract shared by
// tl::optim's optimizers, and what happens when the closure fails.
#include "laws/reference.hpp"

#include <tapeless/optim/lbfgs.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {

// One problem of lbfgs_data.csv in value type T, with the parameters of the script: w 3×1, b scalar.
template <class T>
struct fit {
  tl::tensor<T, dyn, 3> X;
  tl::tensor<T, dyn, 1> y;
  tl::param<"w", 3, 1, T> w{{T(0.1)}, {T(-0.2)}, {T(0.3)}};
  tl::param<"b", 1, 1, T> b{T(0)};

  explicit fit(std::string const& name) {
    std::vector<std::vector<std::string>> rows;
    for (auto const& row : laws::read_csv("lbfgs_data.csv"))
      if (row[0] == name) rows.push_back(row);
    REQUIRE(!rows.empty());
    X = tl::tensor<T, dyn, 3>(rows.size());
    y = tl::tensor<T, dyn, 1>(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (std::size_t j = 0; j < 3; ++j) X(i, j) = static_cast<T>(std::stod(rows[i][2 + j]));
      y(i, 0) = static_cast<T>(std::stod(rows[i][5]));
    }
  }
  fit(fit const&) = delete;  // the losses below point at w and b

  // mean((X w + b - y)^2): the "linreg" and "illcond" problems.
  auto squares() const { return tl::mean(tl::square(X * w + b - y)); }
  // mean(-(y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z)))), z = X w + b: the "logistic" problem.
  auto logistic() const {
    auto const z = X * w + b;
    return tl::mean(tl::log(T(1) + tl::exp(z)) - tl::hadamard(y, z));
  }
  auto params() { return tl::params(w, b); }
  std::vector<double> values() const { return {double(w[0]), double(w[1]), double(w[2]), double(b[0])}; }
};

// A row of lbfgs_settings.csv: LBFGS's options (an empty cell keeps tapeless's default, which must
// be torch's) and, when step_size > 0, a StepLR scheduler stepped after every step.
struct setting {
  tl::optim::lbfgs_options options;
  std::size_t step_size = 0;
  double gamma = 0;
};

setting setting_of(std::vector<std::string> const& row) {
  setting out;
  tl::optim::lbfgs_options& o = out.options;
  auto cell = [&](std::size_t i) { return i < row.size() ? row[i] : std::string(); };
  if (!cell(1).empty()) o.lr = std::stod(cell(1));
  if (!cell(2).empty()) o.max_iter = std::stoul(cell(2));
  if (!cell(3).empty()) o.max_eval = std::stoul(cell(3));
  if (!cell(4).empty()) o.tolerance_grad = std::stod(cell(4));
  if (!cell(5).empty()) o.tolerance_change = std::stod(cell(5));
  if (!cell(6).empty()) o.history_size = std::stoul(cell(6));
  if (cell(7) == "strong_wolfe") o.line_search = tl::optim::line_search::strong_wolfe;
  else REQUIRE(cell(7).empty());
  if (!cell(8).empty()) out.step_size = std::stoul(cell(8));
  if (!cell(9).empty()) out.gamma = std::stod(cell(9));
  return out;
}

// What one step returned and left behind.
struct step_record {
  double loss;
  std::vector<double> params;
  std::size_t n_iter, func_evals;
};

// Runs `steps` LBFGS steps on a problem, recording the initial loss and parameters first.
template <class T>
std::vector<step_record> run(std::string const& name, setting const& s, std::size_t steps) {
  fit<T> f(name);
  tl::optim::lbfgs opt{f.params(), s.options};
  std::optional<tl::optim::lr_scheduler::step_lr<decltype(opt)>> scheduler;
  if (s.step_size > 0) scheduler.emplace(opt, tl::optim::lr_scheduler::step_lr_options{s.step_size, s.gamma});
  std::vector<step_record> out;
  auto go = [&](auto const& cost) {
    out.push_back({double(tl::value_and_grad(cost, f.w, f.b).value), f.values(), 0, 0});
    for (std::size_t k = 0; k < steps; ++k) {
      double const loss = opt.step([&] { return tl::value_and_grad(cost, f.w, f.b); });
      if (scheduler) scheduler->step();
      out.push_back({loss, f.values(), opt.iterations(), opt.function_evaluations()});
    }
  };
  if (name == "logistic") go(f.logistic());
  else go(f.squares());
  return out;
}

double relative(double a, double b) { return std::abs(a - b) / std::max(1e-3, std::abs(b)); }

// Compares every problem and setting in `dtype` with torch. A row passes when the loss and the
// parameters are within `factor` times torch's own drift under one-ulp perturbations (the
// reference's `drift` column), and never need be closer than `floor`. LBFGS's counters must be
// torch's where torch's own do not move under those perturbations; where they do (near the optimum,
// in float, the line search's decisions hang on the last bits of the loss), within their range
// widened by its width on each side.
template <class T>
void compare_with_torch(std::string const& dtype, double factor, double floor) {
  std::map<std::string, setting> settings;
  for (auto const& row : laws::read_csv("lbfgs_settings.csv")) settings[row[0]] = setting_of(row);
  REQUIRE(settings.size() == 16);
  std::map<std::string, std::vector<std::vector<std::string>>> runs;  // "problem/setting" → rows
  for (auto const& row : laws::read_csv("lbfgs_reference.csv"))
    if (row[1] == dtype) runs[row[0] + "/" + row[2]].push_back(row);
  REQUIRE(runs.size() == 3 * settings.size());
  double worst = 0, worst_ratio = 0;
  std::size_t stable = 0;
  for (auto const& entry : runs) {
    auto const& rows = entry.second;  // named variables: clang 14 cannot capture structured bindings
    std::string const problem = rows[0][0], name = rows[0][2];
    CAPTURE(problem);
    CAPTURE(name);
    auto const got = run<T>(problem, settings.at(name), rows.size() - 1);
    REQUIRE(got.size() == rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      CAPTURE(k);
      REQUIRE(std::stoul(rows[k][3]) == k);
      double dev = relative(got[k].loss, std::stod(rows[k][4]));
      for (std::size_t j = 0; j < 4; ++j) dev = std::max(dev, relative(got[k].params[j], std::stod(rows[k][5 + j])));
      double const drift = std::stod(rows[k][11]);
      CAPTURE(drift);
      CHECK(dev <= std::max(floor, factor * drift));
      worst = std::max(worst, dev);
      worst_ratio = std::max(worst_ratio, dev / std::max(floor, drift));
      if (std::getenv("LBFGS_DEBUG"))  // LBFGS_DEBUG=1 prints every row
        std::printf("%s %s %s %zu: dev %.3g drift %.3g n_iter %zu [%s %s] evals %zu [%s %s]\n", dtype.c_str(),
                    problem.c_str(), name.c_str(), k, dev, drift, got[k].n_iter, rows[k][12].c_str(),
                    rows[k][13].c_str(), got[k].func_evals, rows[k][14].c_str(), rows[k][15].c_str());
      auto within = [](std::size_t value, std::string const& lo, std::string const& hi) {
        std::size_t const min = std::stoul(lo), max = std::stoul(hi), width = max - min;
        return value + width >= min && value <= max + width;
      };
      CHECK(within(got[k].n_iter, rows[k][12], rows[k][13]));
      CHECK(within(got[k].func_evals, rows[k][14], rows[k][15]));
      if (rows[k][12] == rows[k][13] && rows[k][14] == rows[k][15]) ++stable;
    }
  }
  MESSAGE(dtype << ": largest relative deviation " << worst << ", largest deviation / max(floor, drift) "
                << worst_ratio << ", counters equal to torch's on " << stable << " of " << 3 * 16 * 7
                << " rows");
}

// An optimizer's state in memory: every visit_state entry, in order, with its element type and bytes.
struct state_image {
  struct entry {
    std::string key;
    char type;  // 'f' float, 'd' double, 'u' uint64
    std::vector<unsigned char> bytes;
  };
  std::vector<entry> entries;

  template <class U>
  static char type_of() {
    if constexpr (std::is_same_v<U, float>) return 'f';
    else if constexpr (std::is_same_v<U, double>) return 'd';
    else return std::is_same_v<U, std::uint64_t> ? 'u' : '?';
  }
  template <class Optimizer>
  static state_image save(Optimizer const& opt) {
    state_image c;
    opt.visit_state([&](std::string_view key, auto values) {
      using U = std::remove_const_t<typename decltype(values)::element_type>;
      auto const* p = reinterpret_cast<unsigned char const*>(values.data());
      c.entries.push_back({std::string(key), type_of<U>(), {p, p + values.size_bytes()}});
    });
    return c;
  }
  // Validates every key, type and size first, then writes (as a checkpoint loader must).
  template <class Optimizer>
  void load(Optimizer& opt) const {
    std::size_t i = 0;
    opt.visit_state([&](std::string_view key, auto values) {
      using U = typename decltype(values)::element_type;
      REQUIRE(i < entries.size());
      REQUIRE(entries[i].key == key);
      REQUIRE(entries[i].type == type_of<U>());
      REQUIRE(entries[i].bytes.size() == values.size_bytes());
      ++i;
    });
    REQUIRE(i == entries.size());
    i = 0;
    opt.visit_state([&](std::string_view, auto values) {
      if (!entries[i].bytes.empty()) std::memcpy(values.data(), entries[i].bytes.data(), entries[i].bytes.size());
      ++i;
    });
  }
};

// A closure over the "linreg" problem in float that fails on its `fail_at`-th call (1-based), by
// throwing or by returning a NaN loss.
struct failing_closure {
  fit<float>& f;
  std::size_t fail_at;
  bool throw_it;
  std::size_t calls = 0;
  auto operator()() {
    auto r = tl::value_and_grad(f.squares(), f.w, f.b);
    if (++calls == fail_at) {
      if (throw_it) throw std::runtime_error("closure failed");
      r.value = std::numeric_limits<float>::quiet_NaN();
    }
    return r;
  }
};

// The state of an optimizer but its counters of calls (function evaluations and steps).
template <class Optimizer>
std::vector<state_image::entry> state_but_counters(Optimizer const& opt) {
  auto entries = state_image::save(opt).entries;
  std::erase_if(entries, [](state_image::entry const& e) { return e.key == "func_evals" || e.key == "steps"; });
  return entries;
}
bool same_entries(std::vector<state_image::entry> const& a, std::vector<state_image::entry> const& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].key != b[i].key || a[i].type != b[i].type || a[i].bytes != b[i].bytes) return false;
  return true;
}

}  // namespace

TEST_CASE("lbfgs: every setting follows torch.optim.LBFGS step by step in double") {
  // Measured: never beyond torch's own drift, most rows within 1e-15; counters torch's on 335 of 336 rows.
  compare_with_torch<double>("float64", 10, 1e-12);
}

TEST_CASE("lbfgs: every setting follows torch.optim.LBFGS step by step in float") {
  // Measured: within 1.9x torch's own drift (tapeless's float losses and gradients are accumulated
  // in double, torch's in float: they differ by a few ulps, as the drift's perturbations do).
  // Counters equal torch's on the 242 of 336 rows where torch's own are stable.
  compare_with_torch<float>("float32", 10, 1e-5);
}

TEST_CASE("lbfgs: options have torch's names and defaults and are validated") {
  tl::optim::lbfgs_options const o;
  CHECK(o.lr == 1);
  CHECK(o.max_iter == 20);
  CHECK(!o.max_eval);
  CHECK(o.tolerance_grad == 1e-7);
  CHECK(o.tolerance_change == 1e-9);
  CHECK(o.history_size == 100);
  CHECK(o.line_search == tl::optim::line_search::none);

  tl::param<"w", 2, 1> w;
  tl::param<"b"> b;
  tl::optim::lbfgs defaults{tl::params(w, b)};
  CHECK(defaults.options().max_eval == 25u);  // torch: max_iter * 5 // 4
  tl::optim::lbfgs eight{tl::params(w, b), {.max_iter = 8}};
  CHECK(eight.options().max_eval == 10u);
  tl::optim::lbfgs given{tl::params(w, b), {.max_iter = 8, .max_eval = 3}};
  CHECK(given.options().max_eval == 3u);
  static_assert(decltype(defaults)::numel == 3);

  auto refused = [&](tl::optim::lbfgs_options bad, char const* message) {
    CHECK_THROWS_WITH_AS(tl::optim::lbfgs(tl::params(w, b), bad), message, tl::error);
  };
  refused({.lr = -1}, "tapeless::optim::lbfgs: the learning rate (.lr) must be non-negative");
  refused({.lr = std::numeric_limits<double>::quiet_NaN()},
          "tapeless::optim::lbfgs: the learning rate (.lr) must be non-negative");
  refused({.max_iter = 0}, "tapeless::optim::lbfgs: max_iter must be at least 1");
  refused({.max_eval = 0}, "tapeless::optim::lbfgs: max_eval must be at least 1; leave it unset for max_iter * 5 / 4");
  refused({.tolerance_grad = -1e-7}, "tapeless::optim::lbfgs: tolerance_grad must be non-negative");
  refused({.tolerance_change = std::numeric_limits<double>::quiet_NaN()},
          "tapeless::optim::lbfgs: tolerance_change must be non-negative");
  refused({.history_size = 0}, "tapeless::optim::lbfgs: history_size must be at least 1");
  // "unbounded" as the largest size_t would overflow the history's size
  refused({.history_size = std::numeric_limits<std::size_t>::max()},
          "tapeless::optim::lbfgs: history_size above 2^20 pairs; torch's default is 100");
}

TEST_CASE("lbfgs: the optimizer contract (one group, lr, steps)") {
  fit<float> f("linreg");
  tl::optim::lbfgs opt{f.params(), {.lr = 0.5, .max_iter = 2, .max_eval = 10}};
  static_assert(tl::optim::lr_scheduler::schedulable<decltype(opt)>);
  CHECK(opt.group_count() == 1);
  CHECK(opt.lr() == 0.5);
  CHECK(opt.lr(0) == 0.5);
  CHECK_THROWS_WITH_AS((void)opt.lr(1), "tapeless::optim::lbfgs: LBFGS has one parameter group; use group 0",
                       tl::error);
  opt.set_lr(0.25);
  CHECK(opt.lr() == 0.25);
  opt.set_lr(0, 0.75);
  CHECK(opt.options().lr == 0.75);
  CHECK_THROWS_AS(opt.set_lr(1, 0.5), tl::error);
  CHECK_THROWS_WITH_AS(opt.set_lr(-0.1), "tapeless::optim::lbfgs: the learning rate must be non-negative",
                       tl::error);
  CHECK(opt.lr() == 0.75);

  CHECK(opt.steps() == 0);
  auto const cost = f.squares();
  float const start = tl::value_and_grad(cost, f.w, f.b).value;
  float const first = opt.step([&] { return tl::value_and_grad(cost, f.w, f.b); });
  CHECK(first == start);  // torch returns the loss at the start of the step
  CHECK(tl::value_and_grad(cost, f.w, f.b).value < start);
  CHECK(opt.steps() == 1);
  CHECK(opt.iterations() == 2);
  CHECK(opt.function_evaluations() == 2);  // the start, then once after iteration 1 (none after the last)
  CHECK(opt.history_length() == 1);
  opt.step([&] { return tl::value_and_grad(cost, f.w, f.b); });
  CHECK(opt.steps() == 2);

  // A learning rate scheduled down to 0: the fixed step stays put, the strong-Wolfe search refuses.
  opt.set_lr(0);
  auto const still = f.values();
  opt.step([&] { return tl::value_and_grad(cost, f.w, f.b); });
  CHECK(f.values() == still);
  tl::optim::lbfgs wolfe{f.params(), {.lr = 0, .line_search = tl::optim::line_search::strong_wolfe}};
  CHECK_THROWS_WITH_AS(wolfe.step([&] { return tl::value_and_grad(cost, f.w, f.b); }),
                       "tapeless::optim::lbfgs: the strong-Wolfe line search needs lr > 0", tl::error);
  CHECK(wolfe.function_evaluations() == 0);
}

TEST_CASE("lbfgs: the state's keys, types and sizes are documented and fixed") {
  fit<float> f("linreg");
  tl::optim::lbfgs opt{f.params(), {.history_size = 3}};
  auto const c = state_image::save(opt);
  std::vector<std::string> keys;
  std::string types;
  std::vector<std::size_t> sizes;
  for (auto const& e : c.entries) {
    keys.push_back(e.key);
    types.push_back(e.type);
    sizes.push_back(e.bytes.size() / (e.type == 'f' ? 4 : 8));
  }
  CHECK(keys == std::vector<std::string>{"group0/lr", "group0/d", "group0/t", "group0/H_diag", "group0/prev_flat_grad",
                                         "group0/prev_loss", "group0/old_dirs", "group0/old_stps", "group0/ro",
                                         "group0/history_length", "n_iter", "func_evals", "steps"});
  CHECK(types == "dfdffdfffuuuu");
  CHECK(sizes == std::vector<std::size_t>{1, 4, 1, 1, 4, 1, 12, 12, 3, 1, 1, 1, 1});
}

TEST_CASE("lbfgs: a checkpoint round trip continues the identical trajectory") {
  for (auto const search : {tl::optim::line_search::none, tl::optim::line_search::strong_wolfe}) {
    CAPTURE(int(search));
    // A short history (3) so that it fills and drops pairs; 3 iterations per step.
    tl::optim::lbfgs_options const options{.max_iter = 3, .history_size = 3, .line_search = search};
    fit<double> straight("logistic");
    tl::optim::lbfgs opt{straight.params(), options};
    auto const cost = straight.logistic();
    std::vector<std::vector<double>> expected;
    std::vector<double> losses;
    for (int k = 0; k < 7; ++k) {
      losses.push_back(opt.step([&] { return tl::value_and_grad(cost, straight.w, straight.b); }));
      expected.push_back(straight.values());
    }

    fit<double> first("logistic");
    tl::optim::lbfgs before{first.params(), options};
    auto const first_cost = first.logistic();
    for (int k = 0; k < 3; ++k) before.step([&] { return tl::value_and_grad(first_cost, first.w, first.b); });
    CHECK(before.history_length() == 3);
    std::stringstream file;
    tl::save_checkpoint(file, first.params(), before);

    fit<double> second("logistic");  // fresh parameters and optimizer, both loaded from the checkpoint
    tl::optim::lbfgs after{second.params(), options};
    tl::load_checkpoint(file, second.params(), after);
    CHECK(second.values() == first.values());
    CHECK(after.steps() == 3);
    CHECK(after.iterations() == before.iterations());
    CHECK(after.function_evaluations() == before.function_evaluations());
    CHECK(after.history_length() == 3);
    CHECK(same_entries(state_image::save(after).entries, state_image::save(before).entries));
    auto const second_cost = second.logistic();
    for (std::size_t k = 3; k < 7; ++k) {
      CAPTURE(k);
      double const loss = after.step([&] { return tl::value_and_grad(second_cost, second.w, second.b); });
      CHECK(loss == losses[k]);
      CHECK(second.values() == expected[k]);  // bit for bit
    }
    CHECK(after.iterations() == opt.iterations());
    CHECK(after.function_evaluations() == opt.function_evaluations());
    CHECK(after.steps() == 7);
  }
}

TEST_CASE("lbfgs: invalid loaded values throw and reset the optimizer") {
  fit<float> f("linreg");
  tl::optim::lbfgs opt{f.params(), {.max_iter = 4, .history_size = 2}};
  auto const cost = f.squares();
  opt.step([&] { return tl::value_and_grad(cost, f.w, f.b); });
  REQUIRE(opt.iterations() == 4);
  auto bad = state_image::save(opt);
  std::uint64_t const too_long = 3;
  std::memcpy(bad.entries[9].bytes.data(), &too_long, sizeof too_long);
  REQUIRE(bad.entries[9].key == "group0/history_length");
  CHECK_THROWS_WITH_AS(bad.load(opt),
                       "tapeless::optim::lbfgs: the checkpoint holds a negative lr or a history longer "
                       "than history_size; the optimizer was reset",
                       tl::error);
  CHECK(opt.iterations() == 0);
  CHECK(opt.history_length() == 0);
  CHECK(opt.lr() == 1);

  auto negative = state_image::save(opt);
  double const lr = -1;
  std::memcpy(negative.entries[0].bytes.data(), &lr, sizeof lr);
  CHECK_THROWS_AS(negative.load(opt), tl::error);
  CHECK(opt.lr() == 1);
}

TEST_CASE("lbfgs: a closure that fails leaves the parameters and the state of the last completed iteration") {
  for (auto const search : {tl::optim::line_search::none, tl::optim::line_search::strong_wolfe}) {
    for (bool const throw_it : {true, false}) {
      for (std::size_t const fail_at : {2u, 5u, 9u}) {
        CAPTURE(int(search));
        CAPTURE(throw_it);
        CAPTURE(fail_at);
        tl::optim::lbfgs_options options{.max_iter = 20, .max_eval = 25, .line_search = search};
        fit<float> failing("linreg");
        tl::optim::lbfgs opt{failing.params(), options};
        failing_closure closure{failing, fail_at, throw_it};
        if (throw_it) {
          CHECK_THROWS_WITH_AS(opt.step(closure), "closure failed", std::runtime_error);
        } else {
          std::string const message =
              search == tl::optim::line_search::none
                  ? "tapeless::optim::lbfgs: the closure returned a non-finite loss or gradient after a step; lower "
                    "lr or use line_search::strong_wolfe (the parameters are back at the last completed iteration)"
                  : "tapeless::optim::lbfgs: the closure returned a non-finite loss or gradient at a trial point of "
                    "the line search; lower lr (the first trial step) or keep the loss finite along the way (the "
                    "parameters are back at the last completed iteration)";
          CHECK_THROWS_WITH_AS(opt.step(closure), message.c_str(), tl::error);
        }
        CHECK(opt.steps() == 0);
        CHECK(opt.function_evaluations() == fail_at - 1);

        // The same optimizer stopped after the iterations the failing one completed.
        std::size_t const completed = opt.iterations();
        CHECK(completed < fail_at);
        fit<float> stopped("linreg");
        if (completed > 0) {
          options.max_iter = completed;
          tl::optim::lbfgs twin{stopped.params(), options};
          auto const cost = stopped.squares();
          twin.step([&] { return tl::value_and_grad(cost, stopped.w, stopped.b); });
          CHECK(twin.iterations() == completed);
          CHECK(same_entries(state_but_counters(opt), state_but_counters(twin)));
        }
        CHECK(failing.values() == stopped.values());  // bit for bit (the start when nothing completed)

        // And it goes on from there.
        auto const cost = failing.squares();
        opt.step([&] { return tl::value_and_grad(cost, failing.w, failing.b); });
        CHECK(opt.steps() == 1);
        CHECK(opt.iterations() > completed);
      }
    }
  }
}

TEST_CASE("lbfgs: a non-finite loss at the start or gradients of another parameter change nothing") {
  fit<float> f("linreg");
  tl::optim::lbfgs opt{f.params()};
  failing_closure at_start{f, 1, false};
  auto const before = f.values();
  CHECK_THROWS_WITH_AS(opt.step(at_start),
                       "tapeless::optim::lbfgs: the closure returned a non-finite loss or gradient at the current "
                       "parameters; check the data and the starting point",
                       tl::error);
  CHECK(f.values() == before);
  CHECK(opt.iterations() == 0);
  CHECK(opt.function_evaluations() == 0);

  // Logistic regression with lr 1000 and no line search: the first step overflows exp(z), the loss is
  // inf; torch carries on and ends with NaN parameters, tapeless stops and keeps the start.
  fit<float> logistic("logistic");
  tl::optim::lbfgs far{logistic.params(), {.lr = 1000, .max_iter = 4}};
  auto const cost = logistic.logistic();
  CHECK_THROWS_WITH_AS(far.step([&] { return tl::value_and_grad(cost, logistic.w, logistic.b); }),
                       "tapeless::optim::lbfgs: the closure returned a non-finite loss or gradient after a step; "
                       "lower lr or use line_search::strong_wolfe (the parameters are back at the last completed "
                       "iteration)",
                       tl::error);
  CHECK(far.steps() == 0);
  CHECK(logistic.values() == fit<float>("logistic").values());
  CHECK(far.iterations() == 0);

  // Two layers with the same parameter names: gradients of one cannot drive the other.
  tl::nn::linear<2, 1> first(1), second(2);
  tl::tensor<float, dyn, 2> x{{1, 2}, {3, 4}, {-1, 0.5f}};
  tl::tensor<float, dyn, 1> y{{0.5f}, {1}, {-2}};
  tl::optim::lbfgs mixed{first.parameters()};
  auto const weight = first.weight.value();
  CHECK_THROWS_WITH_AS(mixed.step([&] { return tl::value_and_grad(tl::mse_loss(second(x), y), second.parameters()); }),
                       "tapeless::gradients: these gradients were computed for another parameter named "
                       "'linear.weight'; give each parameter its own name",
                       tl::error);
  CHECK(first.weight.value() == weight);

  // The model's own closure fits it: y = 2 x0 - x1 + 0.5 exactly, found by the strong-Wolfe search.
  tl::tensor<float, dyn, 1> exact{{0.5f}, {2.5f}, {-2}};
  tl::optim::lbfgs fitting{first.parameters(), {.line_search = tl::optim::line_search::strong_wolfe}};
  fitting.step([&] { return tl::value_and_grad(tl::mse_loss(first(x), exact), first.parameters()); });
  CHECK(first.weight(0, 0) == doctest::Approx(2).epsilon(1e-4));
  CHECK(first.weight(0, 1) == doctest::Approx(-1).epsilon(1e-4));
  CHECK(first.bias(0, 0) == doctest::Approx(0.5).epsilon(1e-4));
}
