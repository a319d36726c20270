// tests for include/tapeless/value_and_grad.hpp
#include "laws/gradcheck.hpp"

#include <tapeless/value_and_grad.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("value_and_grad: the lecture's Quiz 1 first step") {
  tl::tensor<float, dyn, 3> x_train{{73, 80, 75}, {93, 88, 93}, {89, 91, 90}, {96, 98, 100}, {73, 66, 70}};
  tl::tensor<float, dyn, 1> y_train{{152}, {185}, {180}, {196}, {142}};
  tl::param<"w", 3, 1> w;
  tl::param<"b"> b;
  auto [value, grads] = tl::value_and_grad(tl::mean(tl::square(x_train * w + b - y_train)), w, b);
  static_assert(std::is_same_v<decltype(value), float>);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(grads[w])>, tl::matrix<float, 3, 1>>);
  // mean(y²) and −2·mean(x·y): exact in double, rounded once to float
  CHECK(value == doctest::Approx(29661.8).epsilon(1e-6));
  CHECK(grads[b].item() == doctest::Approx(-342.0).epsilon(1e-6));
  CHECK(grads[w][0] == doctest::Approx(-2.0 * (73 * 152 + 93 * 185 + 89 * 180 + 96 * 196 + 73 * 142) / 5.0).epsilon(1e-6));
  CHECK(grads.get<"w">()(2, 0) == grads[w](2, 0));
}

TEST_CASE("value_and_grad: a parameter not in the loss gets a zero gradient") {
  tl::tensor<float, dyn, 1> x{{1}, {2}};
  tl::param<"w"> w{3.0f};
  tl::param<"unused", 2, 1> u{{5.0f}, {6.0f}};
  auto const [value, grads] = tl::value_and_grad(tl::sum(x * w), w, u);
  CHECK(value == 9.0f);
  CHECK(grads[w].item() == 3.0f);
  CHECK(grads[u][0] == 0.0f);
  CHECK(grads[u][1] == 0.0f);
}

TEST_CASE("value_and_grad: a parameter used but not differentiated is a constant") {
  tl::tensor<float, dyn, 1> x{{1}, {2}};
  tl::param<"w"> w{3.0f};
  tl::param<"b"> b{1.0f};
  auto const [value, grads] = tl::value_and_grad(tl::sum(tl::square(x * w + b)), w);
  CHECK(value == 16.0f + 49.0f);
  CHECK(grads[w].item() == 2 * (4 * 1 + 7 * 2));
  static_assert(!decltype(grads)::holds<tl::param<"b">>);
}

TEST_CASE("value_and_grad: value() is the same pass without gradients") {
  tl::tensor<double, dyn, 2> X{{1, 2}, {3, 4}};
  tl::param<"w", 2, 1, double> w{{1}, {-1}};
  CHECK(tl::value(tl::mean(tl::square(X * w))) == 1.0);
  auto const m = tl::value(tl::transpose(w) * 2.0);
  CHECK(m(0, 1) == -2.0);
}

TEST_CASE("value_and_grad: double data computes in double") {
  auto const X = laws::random_tensor<4>(64, 71);
  tl::param<"w", 4, 1, double> w;
  laws::randomize(w, 72);
  auto const result = tl::value_and_grad(tl::mean(tl::exp(X * w)), w);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(result.value)>, double>);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(result.grads[w])>, tl::matrix<double, 4, 1>>);
  laws::check_gradients(tl::mean(tl::exp(X * w)), w);
}
