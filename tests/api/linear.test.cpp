// tests for include/tapeless/nn/linear.hpp
#include "laws/gradcheck.hpp"

#include <tapeless/nn/linear.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("linear: torch's shapes, names and initial distribution") {
  tl::nn::linear<3, 2> layer(42);
  static_assert(std::is_same_v<decltype(layer.weight), tl::param<"linear.weight", 2, 3>>);
  static_assert(std::is_same_v<decltype(layer.bias), tl::param<"linear.bias", 1, 2>>);
  double const bound = 1 / std::sqrt(3.0);
  for (float v : layer.weight.value()) CHECK(std::abs(v) <= bound);
  for (float v : layer.bias.value()) CHECK(std::abs(v) <= bound);
  tl::nn::linear<3, 2> same(42), other(43);
  CHECK(same.weight.value() == layer.weight.value());
  CHECK_FALSE(other.weight.value() == layer.weight.value());
}

TEST_CASE("linear: forward is x·Wᵀ + b") {
  tl::nn::linear<2, 1, "fc", double> layer;
  layer.weight = tl::matrix<double, 1, 2>{{2, 3}};
  layer.bias = tl::matrix<double, 1, 1>{{1}};
  tl::tensor<double, dyn, 2> x{{1, 1}, {2, 0}};
  tl::tensor<double, dyn, 1> y{layer(x)};
  CHECK(y(0, 0) == 6);
  CHECK(y(1, 0) == 5);
}

TEST_CASE("linear: gradients of a two-layer model match finite differences") {
  auto const X = laws::random_tensor<3>(20, 91);
  auto const y = laws::random_tensor<1>(20, 92);
  tl::nn::linear<3, 4, "fc1", double> fc1(1);
  tl::nn::linear<4, 1, "fc2", double> fc2(2);
  laws::check_gradients(tl::mse_loss(fc2(tl::tanh(fc1(X))), y), fc1.weight, fc1.bias, fc2.weight, fc2.bias);
}
