// tests for include/tapeless/expr/matmul.hpp
#include "laws/gradcheck.hpp"

#include <tapeless/expr/matmul.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("matmul: values, transpose and columns") {
  tl::tensor<double, dyn, 3> X{{1, 2, 3}, {4, 5, 6}};
  tl::param<"W", 3, 2, double> W{{1, 0}, {0, 1}, {1, 1}};
  tl::tensor<double, dyn, 2> Y{X * W};
  CHECK(Y(0, 0) == 4);
  CHECK(Y(0, 1) == 5);
  CHECK(Y(1, 0) == 10);
  CHECK(Y(1, 1) == 11);
  tl::tensor<double, dyn, 2> Z{X.matmul(W)};
  CHECK(Z(1, 1) == 11);
  auto const T = tl::value(tl::transpose(W));  // 2×3
  CHECK(T(0, 2) == 1);
  CHECK(T(1, 0) == 0);
  tl::tensor<double, dyn, 1> c{tl::col<2>(X)};
  CHECK(c(1, 0) == 6);
}

TEST_CASE("matmul: a scalar operand scales") {
  tl::tensor<double, dyn, 3> X{{1, 2, 3}};
  tl::param<"s", 1, 1, double> s{2.0};
  static_assert(std::is_same_v<decltype(X * s), tl::expr::mul<decltype(s.expr()), decltype(X.expr())>>);
  tl::tensor<double, dyn, 3> Y{X * s};
  CHECK(Y(0, 2) == 6);
}

TEST_CASE("matmul: simplifications of the derivative seeds") {
  tl::tensor<float, dyn, 3> X(4);
  auto const x = X.expr();
  using X_t = std::remove_cvref_t<decltype(x)>;
  static_assert(std::is_same_v<decltype(tl::expr::build_matmul(x, tl::expr::unit<3, 1, 2, 0>{})), tl::expr::col<2, X_t>>);
  tl::param<"W", 2, 3> W;
  static_assert(std::is_same_v<decltype(tl::transpose(tl::transpose(W))), tl::expr::param_ref<"W", 2, 3, float>>);
  static_assert(std::is_same_v<decltype(tl::expr::build_transpose(tl::expr::unit<2, 3, 1, 0>{})), tl::expr::unit<3, 2, 0, 1>>);
}

TEST_CASE("matmul: gradients match finite differences") {
  auto const X = laws::random_tensor<3>(25, 31);
  tl::param<"W", 3, 2, double> W;
  tl::param<"V", 2, 1, double> V;
  tl::param<"U", 2, 3, double> U;
  laws::randomize(W, 32);
  laws::randomize(V, 33);
  laws::randomize(U, 34);
  SUBCASE("one product") { laws::check_gradients(tl::mean(tl::square(X * W)), W); }
  SUBCASE("two layers") { laws::check_gradients(tl::mean(tl::tanh(X * W) * V), W, V); }
  SUBCASE("transpose (nn.Linear's x·Wᵀ)") { laws::check_gradients(tl::sum(tl::square(X * tl::transpose(U))), U); }
  SUBCASE("products of parameters only") { laws::check_gradients(tl::sum(U * W), U, W); }
  SUBCASE("column") { laws::check_gradients(tl::mean(tl::hadamard(tl::col<1>(X * W), tl::col<0>(X * W))), W); }
}
