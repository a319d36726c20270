// tests for include/tapeless/nn/linear.hpp
#include "laws/gradcheck.hpp"

#include <tapeless/nn/linear.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <algorithm>
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

TEST_CASE("linear: initial values are uniform in ±1/√In, determined by the seed") {
  // 64 inputs: bound 1/8; 2048 weights from one seed
  tl::nn::linear<64, 32> layer(7);
  static_assert(layer.in_features == 64 && layer.out_features == 32);
  double sum = 0, sum_sq = 0, lo = 1, hi = -1;
  for (float v : layer.weight.value()) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
    lo = std::min(lo, static_cast<double>(v));
    hi = std::max(hi, static_cast<double>(v));
  }
  double const n = 64 * 32, bound = 0.125;
  double const mean = sum / n, variance = sum_sq / n - mean * mean;
  CHECK(lo >= -bound);
  CHECK(hi <= bound);
  CHECK(lo < -0.99 * bound);  // the whole interval is used
  CHECK(hi > 0.99 * bound);
  // uniform(-a, a): mean 0 (standard error a/√(3n) ≈ 0.0016), variance a²/3
  CHECK(std::abs(mean) < 0.005);
  CHECK(std::abs(variance - bound * bound / 3) < 0.05 * bound * bound / 3);
  for (float v : layer.bias.value()) CHECK(std::abs(v) <= bound);
  // the same seed gives the same bits, for every value type and name
  tl::nn::linear<64, 32, "other", double> twin(7);
  for (std::size_t k = 0; k < layer.weight.size; ++k)
    CHECK(layer.weight[k] == static_cast<float>(twin.weight[k]));
  for (std::size_t k = 0; k < layer.bias.size; ++k) CHECK(layer.bias[k] == static_cast<float>(twin.bias[k]));
}

TEST_CASE("linear: renamed copies the values under new names") {
  tl::nn::linear<3, 2> layer(5);
  auto const fc = layer.renamed<"fc">();
  static_assert(std::is_same_v<decltype(fc), tl::nn::linear<3, 2, "fc"> const>);
  static_assert(std::is_same_v<decltype(fc.weight), tl::param<"fc.weight", 2, 3>>);
  static_assert(std::is_same_v<decltype(tl::nn::renamed<"fc">(layer)), tl::nn::linear<3, 2, "fc">>);
  CHECK(fc.weight.value() == layer.weight.value());
  CHECK(fc.bias.value() == layer.bias.value());
  // and from given values
  tl::nn::linear<2, 1, "given", double> given{tl::matrix<double, 1, 2>{{2, 3}}, tl::matrix<double, 1, 1>{{1}}};
  CHECK(given.weight(0, 1) == 3);
  CHECK(given.bias.item() == 1);
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
