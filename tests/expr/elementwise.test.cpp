// tests for include/tapeless/expr/elementwise.hpp
#include "laws/gradcheck.hpp"

#include <tapeless/expr/elementwise.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("elementwise: values") {
  tl::tensor<double, dyn, 4> x{{-2, -0.5, 0.5, 3}};
  auto eval = [&](auto const& e, std::size_t j) { return tl::tensor<double, dyn, 4>(e)(0, j); };
  for (std::size_t j = 0; j < 4; ++j) {
    double const v = x(0, j);
    CHECK(eval(tl::square(x), j) == doctest::Approx(v * v));
    CHECK(eval(tl::pow<3>(x), j) == doctest::Approx(v * v * v));
    CHECK(eval(tl::pow<-2>(x), j) == doctest::Approx(1 / (v * v)));
    CHECK(eval(tl::exp(x), j) == doctest::Approx(std::exp(v)));
    CHECK(eval(tl::abs(x), j) == doctest::Approx(std::abs(v)));
    CHECK(eval(tl::tanh(x), j) == doctest::Approx(std::tanh(v)));
    CHECK(eval(tl::sigmoid(x), j) == doctest::Approx(1 / (1 + std::exp(-v))));
    CHECK(eval(tl::relu(x), j) == doctest::Approx(v > 0 ? v : 0));
    CHECK(eval(tl::sign(x), j) == doctest::Approx(v > 0 ? 1 : -1));
    CHECK(eval(tl::log(tl::abs(x)), j) == doctest::Approx(std::log(std::abs(v))));
    CHECK(eval(tl::sqrt(tl::abs(x)), j) == doctest::Approx(std::sqrt(std::abs(v))));
  }
}

TEST_CASE("elementwise: sigmoid is stable on both tails") {
  tl::tensor<float, dyn, 2> x{{-200.0f, 200.0f}};
  tl::tensor<float, dyn, 2> s{tl::sigmoid(x)};
  CHECK(s(0, 0) == 0.0f);
  CHECK(s(0, 1) == 1.0f);
  CHECK(std::isfinite(s(0, 0)));
}

TEST_CASE("elementwise: pow folds small exponents") {
  tl::param<"a"> a;
  auto const x = a.expr();
  static_assert(std::is_same_v<decltype(tl::pow<1>(x)), std::remove_cvref_t<decltype(x)>>);
  static_assert(std::is_same_v<decltype(tl::pow<2>(x)), decltype(tl::square(x))>);
  static_assert(std::is_same_v<decltype(tl::pow<0>(x)), tl::expr::one>);
}

TEST_CASE("elementwise: gradients match finite differences") {
  auto const X = laws::random_tensor<2>(30, 21);
  tl::param<"w", 1, 2, double> w;
  laws::randomize(w, 22);
  auto const z = X + w;  // values in (-2, 2), away from 0 for the kinks below
  SUBCASE("square") { laws::check_gradients(tl::mean(tl::square(z)), w); }
  SUBCASE("pow") {
    laws::check_gradients(tl::mean(tl::pow<3>(z)), w);
    laws::check_gradients(tl::mean(tl::pow<-2>(z + 3.0)), w);
  }
  SUBCASE("exp") { laws::check_gradients(tl::mean(tl::exp(z)), w); }
  SUBCASE("log") { laws::check_gradients(tl::mean(tl::log(z + 3.0)), w); }
  SUBCASE("sqrt") { laws::check_gradients(tl::mean(tl::sqrt(z + 3.0)), w); }
  SUBCASE("abs") { laws::check_gradients(tl::mean(tl::abs(z)), w); }
  SUBCASE("tanh") { laws::check_gradients(tl::mean(tl::tanh(z)), w); }
  SUBCASE("sigmoid") { laws::check_gradients(tl::mean(tl::sigmoid(z)), w); }
  SUBCASE("relu") { laws::check_gradients(tl::mean(tl::relu(z)), w); }
  SUBCASE("chains") { laws::check_gradients(tl::mean(tl::log(tl::sigmoid(tl::hadamard(tl::tanh(z), w))) + tl::sqrt(tl::exp(z))), w); }
}
