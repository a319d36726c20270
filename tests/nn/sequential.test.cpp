// tests for include/tapeless/nn/sequential.hpp and nn/module.hpp: torch's nn.Sequential —
// parameter names and order, forward values, gradients, and training against PyTorch
// (tools/reference/modules.py → tests/data/modules_mlp.csv). Every model here is in double:
// each MLP type costs compile time (forward-mode gradients), so the finite-difference checks,
// the comparison with torch (float64 there) and the training share two types.
#include "laws/gradcheck.hpp"
#include "laws/reference.hpp"

#include <tapeless/nn/sequential.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {

template <class T>
using mlp = tl::nn::sequential<tl::nn::linear<2, 3, "linear", T>, tl::nn::tanh, tl::nn::linear<3, 1, "linear", T>>;
template <class T>
using relu_mlp =
    tl::nn::sequential<tl::nn::linear<2, 3, "linear", T>, tl::nn::relu, tl::nn::linear<3, 1, "linear", T>>;

/// Every parameter value of a model, in parameters() order.
template <class Model>
std::vector<double> flatten(Model& model) {
  std::vector<double> out;
  std::apply([&](auto*... p) { ((out.insert(out.end(), p->data(), p->data() + p->size)), ...); },
             model.parameters().ptrs);
  return out;
}

/// Names of a parameter list, in order.
template <class... Ps>
std::vector<std::string> names(tl::param_list<Ps...> const&) {
  return {Ps::name.str()...};
}

/// XOR-like data (the same as tools/reference/modules.py): 1 where the inputs' signs differ.
template <class T>
std::pair<tl::tensor<T, dyn, 2>, tl::tensor<T, dyn, 1>> xor_data() {
  return {tl::tensor<T, dyn, 2>{{-1, -1}, {-1, 1}, {1, -1}, {1, 1}, {-0.5, -0.5}, {-0.5, 0.5}, {0.5, -0.5}, {0.5, 0.5}},
          tl::tensor<T, dyn, 1>{{0}, {1}, {1}, {0}, {0}, {1}, {1}, {0}}};
}

}  // namespace

TEST_CASE("sequential: layers are named by position, as torch names them") {
  tl::nn::sequential model{tl::nn::linear<2, 3>{1}, tl::nn::tanh{}, tl::nn::linear<3, 1>{2}};
  static_assert(std::is_same_v<decltype(model), mlp<float>>);
  static_assert(model.size() == 3 && model.in_features == 2 && model.out_features == 1);
  auto const ps = model.parameters();
  static_assert(std::is_same_v<std::remove_const_t<decltype(ps)>,
                               tl::param_list<tl::param<"0.weight", 3, 2>, tl::param<"0.bias", 1, 3>,
                                              tl::param<"2.weight", 1, 3>, tl::param<"2.bias", 1, 1>>>);
  CHECK(names(ps) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  // parameters() points at the layers' own parameters, in order
  CHECK(std::get<0>(ps.ptrs) == &get<0>(model).weight);
  CHECK(std::get<1>(ps.ptrs) == &get<0>(model).bias);
  CHECK(std::get<2>(ps.ptrs) == &get<2>(model).weight);
  CHECK(std::get<3>(ps.ptrs) == &get<2>(model).bias);

  // the layers keep the values they were built with
  tl::nn::linear<2, 3> const first{1};
  tl::nn::linear<3, 1> const last{2};
  CHECK(get<0>(model).weight.value() == first.weight.value());
  CHECK(get<0>(model).bias.value() == first.bias.value());
  CHECK(get<2>(model).weight.value() == last.weight.value());
  CHECK(get<2>(model).bias.value() == last.bias.value());
}

TEST_CASE("sequential: nested and renamed models get dotted names") {
  tl::nn::sequential inner{tl::nn::linear<3, 2>{5}, tl::nn::relu{}};
  tl::nn::sequential outer{tl::nn::linear<4, 3>{4}, inner, tl::nn::sigmoid{}};
  CHECK(names(outer.parameters()) == std::vector<std::string>{"0.weight", "0.bias", "1.0.weight", "1.0.bias"});
  static_assert(outer.in_features == 4 && outer.out_features == 2);
  CHECK(get<0>(get<1>(outer)).weight.value() == get<0>(inner).weight.value());

  auto enc = tl::nn::renamed<"enc">(outer);
  CHECK(names(enc.parameters()) ==
        std::vector<std::string>{"enc.0.weight", "enc.0.bias", "enc.1.0.weight", "enc.1.0.bias"});
  CHECK(flatten(enc) == flatten(outer));
  get<0>(enc).bias[0] = 100;  // a copy: the original is untouched
  CHECK(get<0>(outer).bias[0] != 100);

}

TEST_CASE("sequential: two renamed models meet in one loss") {
  // an encoder and a decoder, both "0.weight"… inside, told apart by their prefixes
  auto enc = tl::nn::renamed<"enc">(tl::nn::sequential{tl::nn::linear<2, 1, "linear", double>{1}, tl::nn::tanh{}});
  auto dec = tl::nn::renamed<"dec">(tl::nn::sequential{tl::nn::linear<1, 1, "linear", double>{2}});
  CHECK(names(enc.parameters()) == std::vector<std::string>{"enc.0.weight", "enc.0.bias"});
  CHECK(names(dec.parameters()) == std::vector<std::string>{"dec.0.weight", "dec.0.bias"});
  auto const X = laws::random_tensor<2>(10, 3);
  auto const y = laws::random_tensor<1>(10, 4);
  auto const loss = tl::mse_loss(dec(enc(X)), y);
  laws::check_gradients(loss, get<0>(enc).weight, get<0>(enc).bias, get<0>(dec).weight, get<0>(dec).bias);
}

TEST_CASE("sequential: forward is the layers applied in order, as written by hand") {
  mlp<double> model{tl::nn::linear<2, 3, "linear", double>{7}, tl::nn::tanh{}, tl::nn::linear<3, 1, "linear", double>{8}};
  auto const X = laws::random_tensor<2>(9, 17, -2, 2);
  tl::tensor<double, dyn, 1> const out{model(X)};
  auto const& l0 = get<0>(model);
  auto const& l2 = get<2>(model);
  for (std::size_t i = 0; i < X.rows(); ++i) {
    double expected = l2.bias[0];
    for (std::size_t j = 0; j < 3; ++j) {
      double h = l0.bias[j];
      for (std::size_t k = 0; k < 2; ++k) h += X(i, k) * l0.weight(j, k);
      expected += std::tanh(h) * l2.weight(0, j);
    }
    CHECK(laws::close(out(i, 0), expected, 1e-14, 1e-15));
  }
  // the same model through renamed(): same values
  auto copy = tl::nn::renamed<"m">(model);
  tl::tensor<double, dyn, 1> const out2{copy(X)};
  for (std::size_t i = 0; i < X.rows(); ++i) CHECK(out2(i, 0) == out(i, 0));
}

TEST_CASE("sequential: gradients of small MLPs match finite differences (double)") {
  auto const X = laws::random_tensor<2>(12, 31, -2, 2);
  auto const y = laws::random_tensor<1>(12, 32);
  SUBCASE("tanh") {
    mlp<double> model{tl::nn::linear<2, 3, "linear", double>{1}, tl::nn::tanh{}, tl::nn::linear<3, 1, "linear", double>{2}};
    auto const loss = tl::mse_loss(model(X), y);
    std::apply([&](auto*... p) { laws::check_gradients(loss, *p...); }, model.parameters().ptrs);
  }
  SUBCASE("relu") {
    relu_mlp<double> model{tl::nn::linear<2, 3, "linear", double>{3}, tl::nn::relu{},
                           tl::nn::linear<3, 1, "linear", double>{4}};
    auto const loss = tl::mse_loss(model(X), y);
    std::apply([&](auto*... p) { laws::check_gradients(loss, *p...); }, model.parameters().ptrs);
  }
}

TEST_CASE("sequential: a 2-3-1 MLP trained with SGD follows torch (float64) step by step") {
  std::map<std::string, std::vector<std::vector<std::string>>> by_setting;
  for (auto const& row : laws::read_csv("modules_mlp.csv")) by_setting[row[0]].push_back(row);
  REQUIRE(by_setting.size() == 2);
  auto const data = xor_data<double>();
  auto const& X = data.first;
  auto const& y = data.second;

  auto run = [&](auto& model, tl::optim::sgd_options options, std::vector<std::vector<std::string>> const& steps) {
    // tools/reference/modules.py reproduces linear's seeded init: identical bits
    REQUIRE(steps.front()[1] == "-1");
    auto const init = flatten(model);
    REQUIRE(init.size() == 13);
    for (std::size_t k = 0; k < 13; ++k) CHECK(init[k] == std::stod(steps.front()[3 + k]));

    tl::optim::sgd opt{model.parameters(), options};
    auto const cost = tl::mse_loss(model(X), y);
    double worst = 0;  // the largest share of the tolerance used
    for (std::size_t s = 1; s < steps.size(); ++s) {
      auto const& ref = steps[s];
      CAPTURE(ref[1]);
      auto const result = tl::value_and_grad(cost, model.parameters());
      opt.step(result.grads);
      CHECK(laws::close(result.value, std::stod(ref[2]), 1e-11, 1e-15));
      auto const now = flatten(model);
      for (std::size_t k = 0; k < 13; ++k) {
        double const expected = std::stod(ref[3 + k]);
        CHECK(laws::close(now[k], expected, 1e-11, 1e-15));
        worst = std::max(worst, std::abs(now[k] - expected) / std::abs(expected));
      }
    }
    MESSAGE("largest relative difference from torch: " << worst);
  };
  SUBCASE("tanh, lr 0.5") {
    mlp<double> model{tl::nn::linear<2, 3, "linear", double>{1}, tl::nn::tanh{},
                      tl::nn::linear<3, 1, "linear", double>{2}};
    run(model, {.lr = 0.5}, by_setting["tanh"]);
  }
  SUBCASE("relu, lr 0.1, momentum 0.9") {
    relu_mlp<double> model{tl::nn::linear<2, 3, "linear", double>{1}, tl::nn::relu{},
                           tl::nn::linear<3, 1, "linear", double>{2}};
    run(model, {.lr = 0.1, .momentum = 0.9}, by_setting["relu"]);
  }
}

TEST_CASE("sequential: a tiny tanh MLP learns XOR-like data") {
  auto const data = xor_data<double>();
  mlp<double> model{tl::nn::linear<2, 3, "linear", double>{1}, tl::nn::tanh{}, tl::nn::linear<3, 1, "linear", double>{2}};
  tl::optim::sgd opt{model.parameters(), {.lr = 0.5}};
  auto const cost = tl::mse_loss(model(data.first), data.second);
  double first = 0, last = 0;
  int step = 0;
  for (; step < 2000; ++step) {
    auto const result = tl::value_and_grad(cost, model.parameters());
    if (step == 0) first = result.value;
    last = result.value;
    if (last < 0.01) break;
    opt.step(result.grads);
  }
  MESSAGE("loss " << first << " -> " << last << " after " << step << " steps");
  CHECK(first > 0.2);
  CHECK(last < 0.01);
  // every point on the right side of 0.5
  tl::tensor<double, dyn, 1> const pred{model(data.first)};
  for (std::size_t i = 0; i < pred.rows(); ++i) CHECK((pred(i, 0) > 0.5) == (data.second(i, 0) > 0.5));
}
