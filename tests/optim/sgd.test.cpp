// tests for include/tapeless/optim/sgd.hpp: every setting of torch.optim.SGD,
// step by step against PyTorch (tools/reference/sgd.py → tests/data/sgd_*.csv).
#include "laws/gradcheck.hpp"
#include "laws/reference.hpp"

#include <tapeless/optim/sgd.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {
tl::optim::sgd_options options_for(std::string const& name) {
  if (name == "plain") return {.lr = 0.1};
  if (name == "momentum") return {.lr = 0.1, .momentum = 0.9};
  if (name == "dampening") return {.lr = 0.1, .momentum = 0.9, .dampening = 0.5};
  if (name == "nesterov") return {.lr = 0.1, .momentum = 0.9, .nesterov = true};
  if (name == "weight_decay") return {.lr = 0.05, .weight_decay = 0.1};
  if (name == "everything") return {.lr = 0.05, .momentum = 0.5, .dampening = 0.1, .weight_decay = 0.01};
  if (name == "maximize") return {.lr = 0.01, .momentum = 0.3, .maximize = true};
  FAIL("unknown setting " << name);
  return {};
}
}  // namespace

TEST_CASE("sgd: every setting follows torch.optim.SGD step by step") {
  auto const data = laws::read_csv("sgd_data.csv");
  tl::tensor<float, dyn, 2> X(data.size());
  tl::tensor<float, dyn, 1> y(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    X(i, 0) = std::stof(data[i][0]);
    X(i, 1) = std::stof(data[i][1]);
    y(i, 0) = std::stof(data[i][2]);
  }
  std::map<std::string, std::vector<std::vector<std::string>>> by_setting;
  for (auto const& row : laws::read_csv("sgd_reference.csv")) by_setting[row[0]].push_back(row);
  REQUIRE(by_setting.size() == 7);

  for (auto const& setting : by_setting) {
    std::string const& name = setting.first;  // named variables: clang 14 cannot capture structured bindings
    auto const& steps = setting.second;
    CAPTURE(name);
    tl::param<"w", 2, 1> w{{0.3f}, {-0.2f}};
    tl::param<"b"> b{0.1f};
    tl::optim::sgd opt{tl::params(w, b), options_for(name)};
    auto const loss = tl::mean(tl::square(X * w + b - y));
    for (auto const& ref : steps) {
      CAPTURE(ref[1]);
      auto const [value, grads] = tl::value_and_grad(loss, w, b);
      opt.step(grads);
      CHECK(laws::close(value, std::stod(ref[2]), 1e-5, 1e-7));
      CHECK(laws::close(w[0], std::stod(ref[3]), 1e-5, 1e-7));
      CHECK(laws::close(w[1], std::stod(ref[4]), 1e-5, 1e-7));
      CHECK(laws::close(b[0], std::stod(ref[5]), 1e-5, 1e-7));
    }
    CHECK(opt.steps() == steps.size());
  }
}

TEST_CASE("sgd: invalid hyper-parameters are refused like torch") {
  tl::param<"w"> w;
  CHECK_THROWS_WITH_AS(tl::optim::sgd(tl::params(w), {}),
                       "tapeless::optim::sgd: set a non-negative learning rate (.lr); it has no default", tl::error);
  CHECK_THROWS_AS(tl::optim::sgd(tl::params(w), {.lr = -1}), tl::error);
  CHECK_THROWS_AS(tl::optim::sgd(tl::params(w), {.lr = 0.1, .momentum = -0.5}), tl::error);
  CHECK_THROWS_AS(tl::optim::sgd(tl::params(w), {.lr = 0.1, .weight_decay = -1}), tl::error);
  CHECK_THROWS_AS(tl::optim::sgd(tl::params(w), {.lr = 0.1, .nesterov = true}), tl::error);
  CHECK_THROWS_AS(tl::optim::sgd(tl::params(w), {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                  tl::error);
  tl::optim::sgd opt{tl::params(w), {.lr = 0.1}};
  CHECK_THROWS_AS(opt.set_lr(-0.1), tl::error);
  opt.set_lr(0.5);
  CHECK(opt.lr() == 0.5);
}

TEST_CASE("sgd: the update uses the gradient of the named parameter") {
  tl::param<"a"> a{1.0f};
  tl::param<"b"> b{2.0f};
  tl::tensor<float, dyn, 1> x{{1}, {2}};
  auto const loss = tl::sum(a * x + tl::lit<3> * b);  // d/da = 3, d/db = 6
  tl::optim::sgd opt{tl::params(b, a), {.lr = 0.5}};  // order differs from value_and_grad's
  opt.step(tl::value_and_grad(loss, a, b).grads);
  CHECK(a.item() == doctest::Approx(1.0 - 0.5 * 3));
  CHECK(b.item() == doctest::Approx(2.0 - 0.5 * 6));
}

TEST_CASE("sgd: gradients of another parameter with the same name are refused") {
  tl::nn::linear<2, 1> first(1), second(2);  // both named "linear"
  tl::tensor<float, dyn, 2> x{{1, 2}, {3, 4}};
  tl::tensor<float, dyn, 1> y{{1}, {2}};
  tl::optim::sgd opt{first.parameters(), {.lr = 0.1}};
  auto const grads = tl::value_and_grad(tl::mse_loss(second(x), y), second.parameters()).grads;
  auto const before = first.weight.value();
  CHECK_THROWS_WITH_AS(opt.step(grads),
                       "tapeless::gradients: these gradients were computed for another parameter named "
                       "'linear.weight'; give each parameter its own name",
                       tl::error);
  CHECK(first.weight.value() == before);
}
