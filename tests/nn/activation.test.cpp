// tests for include/tapeless/nn/activation.hpp: every activation module against torch.nn's,
// value and derivative, in float32 (tools/reference/modules.py → tests/data/modules_activations.csv).
#include "laws/gradcheck.hpp"
#include "laws/reference.hpp"

#include <tapeless/nn/activation.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {

using rows = std::vector<std::vector<std::string>>;

/// Checks `act` at torch's points: its value, and its derivative (the gradient of
/// sum(act(x)) with respect to x, a 1×8 parameter). Returns the largest relative
/// difference seen where torch's value is above 1e-6 in magnitude.
template <class Act>
double check_against_torch(Act const& act, rows const& ref) {
  REQUIRE(ref.size() == 8);
  tl::param<"x", 1, 8> x;
  for (std::size_t k = 0; k < 8; ++k) x[k] = std::stof(ref[k][1]);
  auto const values = tl::value(act(x));
  auto const result = tl::value_and_grad(tl::sum(act(x)), x);
  auto const& grads = result.grads;  // named: clang 14 cannot capture structured bindings
  double worst = 0;
  for (std::size_t k = 0; k < 8; ++k) {
    double const y = std::stod(ref[k][2]), dy = std::stod(ref[k][3]);
    CAPTURE(x[k]);
    // 1e-5 relative (float32); 2e-7 absolute where torch's value is a tiny e^x that
    // float's 1 + e^x cannot hold (softplus and mish at x = -20, docs/modules.md)
    CHECK(laws::close(values[k], y, 1e-5, 2e-7));
    CHECK(laws::close(grads[x][k], dy, 1e-5, 2e-7));
    if (std::abs(y) > 1e-6) worst = std::max(worst, std::abs(values[k] - y) / std::abs(y));
    if (std::abs(dy) > 1e-6) worst = std::max(worst, std::abs(grads[x][k] - dy) / std::abs(dy));
  }
  return worst;
}

}  // namespace

TEST_CASE("activations: values and derivatives of every module match torch.nn (float32)") {
  std::map<std::string, rows> by_name;
  for (auto const& row : laws::read_csv("modules_activations.csv")) by_name[row[0]].push_back(row);
  REQUIRE(by_name.size() == 16);
  std::map<std::string, double> worst;
  worst["identity"] = check_against_torch(tl::nn::identity{}, by_name["identity"]);
  worst["relu"] = check_against_torch(tl::nn::relu{}, by_name["relu"]);
  worst["leaky_relu"] = check_against_torch(tl::nn::leaky_relu{}, by_name["leaky_relu"]);
  worst["leaky_relu_0.2"] = check_against_torch(tl::nn::leaky_relu{.negative_slope = 0.2}, by_name["leaky_relu_0.2"]);
  worst["elu"] = check_against_torch(tl::nn::elu{}, by_name["elu"]);
  worst["elu_0.5"] = check_against_torch(tl::nn::elu{.alpha = 0.5}, by_name["elu_0.5"]);
  worst["celu_2"] = check_against_torch(tl::nn::celu{.alpha = 2}, by_name["celu_2"]);
  worst["selu"] = check_against_torch(tl::nn::selu{}, by_name["selu"]);
  worst["tanh"] = check_against_torch(tl::nn::tanh{}, by_name["tanh"]);
  worst["sigmoid"] = check_against_torch(tl::nn::sigmoid{}, by_name["sigmoid"]);
  worst["silu"] = check_against_torch(tl::nn::silu{}, by_name["silu"]);
  worst["softplus"] = check_against_torch(tl::nn::softplus{}, by_name["softplus"]);
  worst["softplus_2"] = check_against_torch(tl::nn::softplus{.beta = 2}, by_name["softplus_2"]);
  worst["mish"] = check_against_torch(tl::nn::mish{}, by_name["mish"]);
  worst["softsign"] = check_against_torch(tl::nn::softsign{}, by_name["softsign"]);
  worst["tanhshrink"] = check_against_torch(tl::nn::tanhshrink{}, by_name["tanhshrink"]);
  for (auto const& w : worst) MESSAGE(w.first << ": largest relative difference " << w.second);
}

TEST_CASE("activations: torch's defaults, and the modules are the functions") {
  CHECK(tl::nn::leaky_relu{}.negative_slope == 0.01);
  CHECK(tl::nn::elu{}.alpha == 1.0);
  CHECK(tl::nn::celu{}.alpha == 1.0);
  CHECK(tl::nn::softplus{}.beta == 1.0);
  tl::tensor<double, dyn, 2> const x{{-2, 0.5}, {3, -0.25}};
  static_assert(std::is_same_v<decltype(tl::nn::silu{}(x)), decltype(tl::silu(x))>);
  static_assert(std::is_same_v<decltype(tl::nn::relu{}(x)), decltype(tl::relu(x))>);
  tl::tensor<double, dyn, 2> const a{tl::nn::leaky_relu{.negative_slope = 0.2}(x)};
  tl::tensor<double, dyn, 2> const b{tl::leaky_relu(x, 0.2)};
  CHECK(a(0, 0) == b(0, 0));
  CHECK(a(0, 0) == -0.4);
  CHECK(a(1, 0) == 3);
  // exactly x on the positive side, where torch returns x itself
  tl::tensor<double, dyn, 2> const e{tl::elu(x)};
  CHECK(e(0, 1) == 0.5);
  CHECK(e(1, 0) == 3);
  CHECK(laws::close(e(0, 0), std::expm1(-2.0), 1e-15));
  // no parameters, the width passes through
  static_assert(std::is_same_v<decltype(tl::nn::tanh{}.parameters()), tl::param_list<>>);
  static_assert(tl::nn::module_like<tl::nn::tanh> && tl::nn::module_like<tl::nn::leaky_relu>);
}

TEST_CASE("activations: gradients of the composite activations match finite differences (double)") {
  auto const X = laws::random_tensor<2>(15, 41, -3, 3);
  tl::param<"w", 2, 1, double> w;
  laws::randomize(w, 42);
  laws::check_gradients(tl::mean(tl::silu(X * w)), w);
  laws::check_gradients(tl::mean(tl::softplus(X * w, 2.0)), w);
  laws::check_gradients(tl::mean(tl::elu(X * w, 0.5)), w);
  laws::check_gradients(tl::mean(tl::softsign(X * w)), w);
}

TEST_CASE("activations: softplus and mish have torch's slopes at exactly zero") {
  // zero-initialised parameters feed exactly 0: the slope there must not vanish
  tl::tensor<double, dyn, 1> x{{1}, {1}};
  tl::param<"w", 1, 1, double> w;  // 0
  auto const sp = tl::value_and_grad(tl::mean(tl::softplus(x * w)), w);
  CHECK(sp.value == doctest::Approx(std::log(2.0)));
  CHECK(sp.grads[w].item() == doctest::Approx(0.5));  // σ(0), torch's softplus'(0)
  auto const sp2 = tl::value_and_grad(tl::mean(tl::softplus(x * w, 2.0)), w);
  CHECK(sp2.grads[w].item() == doctest::Approx(0.5));
  auto const mi = tl::value_and_grad(tl::mean(tl::mish(x * w)), w);
  CHECK(mi.grads[w].item() == doctest::Approx(std::tanh(std::log(2.0))));  // mish'(0) = tanh(softplus(0))
  // a zero beta or alpha would divide by zero
  CHECK_THROWS_WITH_AS(tl::softplus(x, 0.0), "tapeless::softplus: beta must not be zero (the result divides by it)",
                       tl::error);
  CHECK_THROWS_WITH_AS(tl::celu(x, 0.0), "tapeless::celu: alpha must not be zero (it divides x)", tl::error);
}
