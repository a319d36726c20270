// tests for include/tapeless/optim/{sgd,adam,adamw,adagrad,adadelta,adamax,asgd,rmsprop,rprop,nadam,radam,
// sparse_adam}.hpp: every setting of tools/reference/optim.py, step by step against PyTorch 1.13
// (tests/data/optim_{settings,data,reference,averages}.csv), on two problems (one also in float64), with and
// without parameter groups.
#include "laws/gradcheck.hpp"
#include "laws/reference.hpp"

#include <tapeless/optim/adadelta.hpp>
#include <tapeless/optim/adagrad.hpp>
#include <tapeless/optim/adam.hpp>
#include <tapeless/optim/adamax.hpp>
#include <tapeless/optim/adamw.hpp>
#include <tapeless/optim/asgd.hpp>
#include <tapeless/optim/nadam.hpp>
#include <tapeless/optim/radam.hpp>
#include <tapeless/optim/rmsprop.hpp>
#include <tapeless/optim/rprop.hpp>
#include <tapeless/optim/sgd.hpp>
#include <tapeless/optim/sparse_adam.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {

using rows_t = std::vector<std::vector<std::string>>;

/// "lr=0.1 betas=0.9:0.99 amsgrad=true" (or "-") as group overrides.
tl::optim::group_options parse(std::string const& text) {
  tl::optim::group_options o;
  if (text == "-") return o;
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    auto const eq = item.find('=');
    REQUIRE(eq != std::string::npos);
    std::string const key = item.substr(0, eq), value = item.substr(eq + 1);
    bool found = false;
    tl::optim::group_options::fields(o, [&](std::string_view name, auto& field) {
      if (name != key) return;
      found = true;
      using V = typename std::remove_cvref_t<decltype(field)>::value_type;
      if constexpr (std::is_same_v<V, bool>) {
        field = value == "true";
      } else if constexpr (std::is_same_v<V, double>) {
        field = std::stod(value);
      } else {
        auto const colon = value.find(':');
        field = tl::optim::pair{std::stod(value.substr(0, colon)), std::stod(value.substr(colon + 1))};
      }
    });
    INFO("option " << key);
    REQUIRE(found);
  }
  return o;
}

/// `Options{}` with the fields set in `overrides` (by name, independently of the optimizer's merge).
template <class Options>
Options options_from(tl::optim::group_options const& overrides) {
  Options o{};
  tl::optim::group_options::fields(overrides, [&](std::string_view name, auto const& field) {
    if (!field) return;
    bool found = false;
    Options::fields(o, [&](std::string_view own, auto& target) {
      using V = typename std::remove_cvref_t<decltype(field)>::value_type;
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(target)>, V>) {
        if (own == name) target = *field, found = true;
      }
    });
    INFO("option " << name);
    REQUIRE(found);
  });
  return o;
}

/// Worst relative error seen per algorithm, reported at the end.
std::map<std::string, double>& worst() {
  static std::map<std::string, double> w;
  return w;
}

/// Within relative 1e-5 (absolute 1e-7) in float32, 1e-10 (1e-14) in float64.
template <class T>
void compare(std::string const& algorithm, T mine_, std::string const& theirs) {
  constexpr bool single = std::is_same_v<T, float>;
  constexpr double rel = single ? 1e-5 : 1e-10, abs = single ? 1e-7 : 1e-14;
  auto const mine = static_cast<double>(mine_);
  double const ref = std::stod(theirs);
  if (std::abs(mine - ref) > abs) {
    double& w = worst()[algorithm + (single ? "" : " (float64)")];
    w = std::max(w, std::abs(mine - ref) / std::max(std::abs(ref), 1e-300));
  }
  CHECK_MESSAGE(laws::close(mine, ref, rel, abs), "tapeless " << mine << ", torch " << ref);
}

/// ASGD's averaged parameters against torch's state[p]['ax'] (other algorithms: nothing).
template <class Opt, class P, class B>
void compare_averages(Opt const& opt, P const& p, B const& b, std::string const& setting, std::string const& problem,
                      std::string const& step) {
  if constexpr (requires { opt.averaged(p); }) {
    static std::map<std::string, std::vector<std::string>> const rows = [] {
      std::map<std::string, std::vector<std::string>> m;
      for (auto const& row : laws::read_csv("optim_averages.csv")) m[row[0] + "/" + row[1] + "/" + row[2]] = row;
      return m;
    }();
    auto const it = rows.find(setting + "/" + problem + "/" + step);
    REQUIRE(it != rows.end());
    auto const& ref = it->second;
    REQUIRE(ref.size() == 3 + P::size + B::size);
    for (std::size_t e = 0; e < P::size; ++e) compare("asgd averages", opt.averaged(p)[e], ref[3 + e]);
    for (std::size_t e = 0; e < B::size; ++e) compare("asgd averages", opt.averaged(b)[e], ref[3 + P::size + e]);
  }
}

template <class T>
struct line_problem {
  tl::tensor<T, dyn, 2> X;
  tl::tensor<T, dyn, 1> y;
  line_problem() {
    auto const data = laws::read_csv("sgd_data.csv");
    X = tl::tensor<T, dyn, 2>(data.size());
    y = tl::tensor<T, dyn, 1>(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {  // float32 values, also for the float64 problem
      X(i, 0) = static_cast<T>(std::stof(data[i][0]));
      X(i, 1) = static_cast<T>(std::stof(data[i][1]));
      y(i, 0) = static_cast<T>(std::stof(data[i][2]));
    }
  }
};

struct matrix_problem {
  std::array<tl::tensor<float, dyn, 3>, 3> X{tl::tensor<float, dyn, 3>(4), tl::tensor<float, dyn, 3>(4),
                                              tl::tensor<float, dyn, 3>(4)};
  std::array<tl::tensor<float, dyn, 2>, 3> Y{tl::tensor<float, dyn, 2>(4), tl::tensor<float, dyn, 2>(4),
                                              tl::tensor<float, dyn, 2>(4)};
  matrix_problem() {
    auto const data = laws::read_csv("optim_data.csv");
    REQUIRE(data.size() == 12);
    for (std::size_t i = 0; i < data.size(); ++i) {
      auto const k = static_cast<std::size_t>(std::stoi(data[i][0]));
      REQUIRE(k == i / 4);
      for (std::size_t j = 0; j < 3; ++j) X[k](i % 4, j) = std::stof(data[i][1 + j]);
      for (std::size_t j = 0; j < 2; ++j) Y[k](i % 4, j) = std::stof(data[i][4 + j]);
    }
  }
};

/// Builds the optimizer of a setting: one group, or [first parameter], [b] with overrides.
template <template <class...> class Opt, class Options, class P, class B>
auto make(P& p, B& b, std::vector<std::string> const& setting) {
  auto const defaults = options_from<Options>(parse(setting[2]));
  bool const grouped = setting[3] != "-" || setting[4] != "-";
  using O = Opt<P, B>;
  if (!grouped) return O{tl::params(p, b), defaults};
  return O{tl::optim::groups(tl::optim::group{tl::params(p), parse(setting[3])},
                             tl::optim::group{tl::params(b), parse(setting[4])}),
           defaults};
}

template <template <class...> class Opt, class Options, class T>
void run_line(std::vector<std::string> const& setting, rows_t const& rows, std::string const& problem) {
  INFO("problem " << problem);
  static line_problem<T> const line;
  bool const grouped = setting[3] != "-" || setting[4] != "-";
  tl::param<"w", 2, 1, T> w{{T(0.3)}, {T(-0.2)}};  // as torch.tensor(0.3, dtype=...)
  tl::param<"b", 1, 1, T> b{T(0.1)};
  auto opt = make<Opt, Options>(w, b, setting);
  CHECK(opt.group_count() == (grouped ? 2u : 1u));
  auto const loss = tl::mean(tl::square(line.X * w + b - line.y));
  REQUIRE(rows.size() == 30);
  for (auto const& ref : rows) {
    CAPTURE(ref[3]);
    auto const result = tl::value_and_grad(loss, w, b);
    opt.step(result.grads);
    if (grouped && ref[3] == "15") opt.set_lr(1, opt.lr(1) * 0.5);
    compare(setting[0], result.value, ref[4]);
    compare(setting[0], w[0], ref[5]);
    compare(setting[0], w[1], ref[6]);
    compare(setting[0], b[0], ref[7]);
    compare_averages(opt, w, b, setting[1], problem, ref[3]);
  }
  CHECK(opt.steps() == 30);
}

template <template <class...> class Opt, class Options>
void run(std::vector<std::string> const& setting, std::map<std::string, rows_t>& steps) {
  std::string const name = setting[0] + "/" + setting[1];
  run_line<Opt, Options, float>(setting, steps[name + "/line"], "line");
  run_line<Opt, Options, double>(setting, steps[name + "/line64"], "line64");

  INFO("problem matrix");
  static matrix_problem const matrix;
  auto const& rows = steps[name + "/matrix"];
  bool const grouped = setting[3] != "-" || setting[4] != "-";
  tl::param<"W", 2, 3> W{{0.2f, -0.1f, 0.4f}, {0.3f, 0.5f, -0.6f}};
  tl::param<"b", 1, 2> b{{0.05f, -0.15f}};
  auto opt = make<Opt, Options>(W, b, setting);
  REQUIRE(rows.size() == 30);
  for (std::size_t step = 0; step < rows.size(); ++step) {
    auto const& ref = rows[step];
    CAPTURE(ref[3]);
    auto const k = step % 3;
    auto const result =
        tl::value_and_grad(tl::mse_loss(tl::matmul(matrix.X[k], tl::transpose(W)) + b, matrix.Y[k]), W, b);
    opt.step(result.grads);
    if (grouped && step == 15) opt.set_lr(1, opt.lr(1) * 0.5);
    compare(setting[0], result.value, ref[4]);
    for (std::size_t e = 0; e < 6; ++e) compare(setting[0], W[e], ref[5 + e]);
    for (std::size_t e = 0; e < 2; ++e) compare(setting[0], b[e], ref[11 + e]);
    compare_averages(opt, W, b, setting[1], "matrix", ref[3]);
  }
}

}  // namespace

TEST_CASE("optim: every algorithm and setting follows torch.optim step by step") {
  auto const settings = laws::read_csv("optim_settings.csv");
  std::map<std::string, rows_t> steps;  // "algorithm/setting/problem" -> rows
  for (auto const& row : laws::read_csv("optim_reference.csv")) steps[row[0] + "/" + row[1] + "/" + row[2]].push_back(row);
  REQUIRE(settings.size() >= 30);
  std::map<std::string, int> seen;
  for (auto const& setting : settings) {
    REQUIRE(setting.size() == 5);
    std::string const name = setting[0] + "/" + setting[1];
    CAPTURE(name);
    ++seen[setting[0]];
    namespace o = tl::optim;
    std::string const& a = setting[0];
    if (a == "sgd") run<o::sgd, o::sgd_options>(setting, steps);
    else if (a == "adam") run<o::adam, o::adam_options>(setting, steps);
    else if (a == "adamw") run<o::adamw, o::adamw_options>(setting, steps);
    else if (a == "adagrad") run<o::adagrad, o::adagrad_options>(setting, steps);
    else if (a == "adadelta") run<o::adadelta, o::adadelta_options>(setting, steps);
    else if (a == "adamax") run<o::adamax, o::adamax_options>(setting, steps);
    else if (a == "asgd") run<o::asgd, o::asgd_options>(setting, steps);
    else if (a == "rmsprop") run<o::rmsprop, o::rmsprop_options>(setting, steps);
    else if (a == "rprop") run<o::rprop, o::rprop_options>(setting, steps);
    else if (a == "nadam") run<o::nadam, o::nadam_options>(setting, steps);
    else if (a == "radam") run<o::radam, o::radam_options>(setting, steps);
    else if (a == "sparse_adam") run<o::sparse_adam, o::sparse_adam_options>(setting, steps);
    else FAIL("unknown algorithm " << a);
  }
  CHECK(seen.size() == 12);
  for (auto const& entry : worst()) MESSAGE(entry.first << ": worst relative error " << entry.second);
}
