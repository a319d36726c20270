// tests for include/tapeless/expr/reduce.hpp
#include "laws/gradcheck.hpp"

#include <tapeless/expr/reduce.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("reduce: sum and mean over every element") {
  tl::tensor<double, dyn, 2> x{{1, 2}, {3, 4}, {5, 6}};
  CHECK(tl::value(tl::sum(x)) == 21);
  CHECK(tl::value(tl::mean(x)) == 3.5);
  tl::param<"w", 2, 2, double> w{{1, 2}, {3, 4}};
  CHECK(tl::value(tl::sum(w)) == 10);
  CHECK(tl::value(tl::mean(tl::square(w))) == 7.5);
}

TEST_CASE("reduce: accumulation is in double") {
  // 10^6 rows of 0.1f: a float running sum drifts by ~1%, a double one does not.
  tl::tensor<float, dyn, 1> x(1'000'000);
  for (std::size_t i = 0; i < x.rows(); ++i) x(i, 0) = 0.1f;
  CHECK(static_cast<double>(tl::value(tl::sum(x))) == doctest::Approx(100000.0 * 1.0000000014901161).epsilon(1e-7));
}

TEST_CASE("reduce: builders move constants and negations outward") {
  tl::tensor<float, dyn, 1> X(3);
  auto const x = X.expr();
  static_assert(std::is_same_v<decltype(tl::mean(tl::lit<2> * x)), decltype(tl::lit<2> * tl::mean(x))>);
  static_assert(std::is_same_v<decltype(tl::sum(-x)), decltype(-tl::sum(x))>);
  static_assert(std::is_same_v<decltype(tl::mean(tl::lit<0>)), tl::expr::zero>);
}

TEST_CASE("reduce: gradients match finite differences") {
  auto const X = laws::random_tensor<2>(20, 41);
  tl::param<"w", 1, 2, double> w;
  laws::randomize(w, 42);
  laws::check_gradients(tl::sum(tl::square(X - w)) + tl::mean(X * tl::transpose(w)), w);
  laws::check_gradients(tl::square(tl::mean(X - w)) * tl::sum(w), w);  // a function of several row sums
  laws::check_gradients(tl::sum(tl::square(w)) * 0.01 + tl::mean(tl::exp(X - w)), w);  // static reduction too
}
