// tests for include/tapeless/expr/arith.hpp: + - unary- / scaling, hadamard,
// broadcasting, the builders' simplifications, and run-time row checks.
#include "laws/gradcheck.hpp"

#include <tapeless/expr/arith.hpp>

#include <doctest/doctest.h>

#include <string>
#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("arith: values broadcast by NumPy rules") {
  tl::tensor<double, dyn, 2> x{{1, 2}, {3, 4}, {5, 6}};
  tl::tensor<double, 1, 2> row{{10, 20}};
  tl::tensor<double, dyn, 1> column{{100}, {200}, {300}};
  tl::tensor<double, dyn, 2> sum{x + row + column + 1.5};
  CHECK(sum(0, 0) == 112.5);
  CHECK(sum(0, 1) == 123.5);
  CHECK(sum(2, 0) == 316.5);
  CHECK(sum(2, 1) == 327.5);
  tl::tensor<double, dyn, 2> other{(x - row) / column * 2.0};
  CHECK(other(1, 1) == doctest::Approx((4.0 - 20.0) / 200.0 * 2.0));
  tl::tensor<double, dyn, 2> negated{-x};
  CHECK(negated(2, 1) == -6);
  tl::tensor<double, dyn, 2> product{tl::hadamard(x, column)};
  CHECK(product(1, 0) == 600);
}

TEST_CASE("arith: builders fold zeros, ones and constants and order operands") {
  tl::param<"a"> a;
  auto const x = a.expr();
  using X = std::remove_cvref_t<decltype(x)>;
  static_assert(std::is_same_v<decltype(x + tl::lit<0>), X>);
  static_assert(std::is_same_v<decltype(tl::lit<0> + x), X>);
  static_assert(std::is_same_v<decltype(x * tl::lit<1>), X>);
  static_assert(std::is_same_v<decltype(x * tl::lit<0>), tl::expr::zero>);
  static_assert(std::is_same_v<decltype(tl::lit<2> * tl::lit<3>), tl::expr::constant<6>>);
  static_assert(std::is_same_v<decltype(tl::lit<2> + tl::lit<3>), tl::expr::constant<5>>);
  static_assert(std::is_same_v<decltype(tl::lit<2> - tl::lit<3>), tl::expr::constant<-1>>);
  // canonical order: constants first in products, last in sums
  static_assert(std::is_same_v<decltype(x * tl::lit<2>), decltype(tl::lit<2> * x)>);
  static_assert(std::is_same_v<decltype(tl::lit<2> + x), decltype(x + tl::lit<2>)>);
  static_assert(std::is_same_v<decltype(tl::lit<2> * x), tl::expr::mul<tl::expr::constant<2>, X>>);
  // constant factors and negations move outward and fold
  static_assert(std::is_same_v<decltype(tl::lit<2> * (tl::lit<3> * x)), tl::expr::mul<tl::expr::constant<6>, X>>);
  static_assert(std::is_same_v<decltype(-(-x)), X>);
  static_assert(std::is_same_v<decltype(x - (-x)), tl::expr::add<X, X>>);
  static_assert(std::is_same_v<decltype(tl::lit<-1> * x), tl::expr::neg<X>>);
  static_assert(std::is_same_v<decltype(x / tl::lit<1>), X>);
}

TEST_CASE("arith: gradients match finite differences") {
  auto const X = laws::random_tensor<3>(40, 1);
  auto const y = laws::random_tensor<1>(40, 2);
  auto const positive = laws::random_tensor<1>(40, 3, 0.5, 2.0);
  tl::param<"w", 1, 3, double> w;
  tl::param<"b", 1, 1, double> b;
  tl::param<"c", 1, 1, double> c;
  laws::randomize(w, 4);
  laws::randomize(b, 5);
  laws::randomize(c, 6, 0.5, 2.0);
  SUBCASE("add and sub, broadcasting a row and a scalar") { laws::check_gradients(tl::sum(X + w - b + y), w, b); }
  SUBCASE("negation") { laws::check_gradients(tl::mean(-(X - w)), w); }
  SUBCASE("scaling") { laws::check_gradients(tl::sum(b * X * 3.0 + c * y), b, c); }
  SUBCASE("hadamard") { laws::check_gradients(tl::sum(tl::hadamard(tl::hadamard(X, w), w)), w); }
  SUBCASE("division, numerator and denominator") {
    laws::check_gradients(tl::mean((X - w) / (positive + c)), w, c);
    laws::check_gradients(tl::mean(b / (w + 3.0)), w, b);
  }
  SUBCASE("products of parameters") { laws::check_gradients(tl::mean(b * c * X + b * b * y), b, c); }
}

TEST_CASE("arith: batch extents that differ throw with the counts") {
  tl::tensor<float, dyn, 1> five(5), four(4);
  CHECK_THROWS_WITH_AS((void)(five - four), "tapeless::operator-: operands have 5 and 4 rows; the batch (dyn) extents must be equal",
                       tl::error);
  CHECK_THROWS_AS((void)(five + four), tl::error);
  CHECK_THROWS_AS((void)(five / four), tl::error);
  CHECK_THROWS_AS((void)tl::hadamard(five, four), tl::error);
  CHECK_NOTHROW((void)(five + five));
}
