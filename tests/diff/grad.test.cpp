// tests for include/tapeless/diff/grad.hpp: the exact derivative types of the
// lecture's losses, second derivatives, and values against finite differences.
#include "laws/gradcheck.hpp"

#include <tapeless/diff/grad.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

namespace {
template <class E, class V>
concept can_grad = requires(E e, V v) {
  { tl::grad(e, v) } -> tl::expression;
};
}  // namespace

TEST_CASE("grad: Exercise 1, d/db mean((x*w + b - y)^2) = 2 * mean(x*w + b - y)") {
  tl::tensor<float, dyn, 1> x{{0}, {1}, {1}}, y{{0}, {1}, {2}};
  tl::param<"w"> w;
  tl::param<"b"> b;
  auto const cost = tl::mean(tl::square(x * w + b - y));
  auto const r = x * w + b - y;
  static_assert(std::is_same_v<decltype(tl::grad(cost, b)), decltype(tl::lit<2> * tl::mean(r))>);
  // d/dw = 2 * mean(x ⊙ r): the residual's derivative by w is x itself
  static_assert(std::is_same_v<decltype(tl::grad(cost, w)), decltype(tl::lit<2> * tl::mean(tl::hadamard(x, r)))>);
  // the residual is (w*x + b) - y: parameters before data, the constant term last
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(r)>, tl::expr::sub<tl::expr::add<tl::expr::mul<tl::param<"w">::ref_type, tl::expr::data<float, dyn, 1>>,
                                                                         tl::param<"b">::ref_type>,
                                                           tl::expr::data<float, dyn, 1>>>);
  // second derivatives
  static_assert(std::is_same_v<decltype(tl::grad(tl::grad(cost, b), b)), tl::expr::constant<2>>);
  static_assert(std::is_same_v<decltype(tl::grad(tl::grad(cost, b), w)), decltype(tl::lit<2> * tl::mean(x))>);
  CHECK(tl::value(tl::grad(tl::grad(cost, w), w)) == doctest::Approx(2.0 * 2.0 / 3.0));
}

TEST_CASE("grad: Quiz 1, by a 3x1 weight, element by element") {
  tl::tensor<float, dyn, 3> X(5);
  tl::tensor<float, dyn, 1> y(5);
  tl::param<"w", 3, 1> w;
  tl::param<"b"> b;
  auto const cost = tl::mean(tl::square(X * w + b - y));
  auto const r = X * w + b - y;
  using G = decltype(tl::grad(cost, w));
  static_assert(std::is_same_v<tl::shape_of_t<G>, tl::shape<3, 1>>);
  static_assert(std::is_same_v<std::tuple_element_t<0, decltype(G::elems)>,
                               decltype(tl::lit<2> * tl::mean(tl::hadamard(r, tl::col<0>(X))))>);
  static_assert(std::is_same_v<std::tuple_element_t<2, decltype(G::elems)>,
                               decltype(tl::lit<2> * tl::mean(tl::hadamard(r, tl::col<2>(X))))>);
  static_assert(std::is_same_v<decltype(tl::grad(cost, b)), decltype(tl::lit<2> * tl::mean(r))>);
  // mse_loss is the same expression
  static_assert(std::is_same_v<decltype(tl::mse_loss(X.matmul(w) + b, y)), std::remove_cvref_t<decltype(cost)>>);
}

TEST_CASE("grad: kinds are checked on the signature") {
  tl::param<"w"> w;
  tl::tensor<float, dyn, 1> x(2);
  static_assert(can_grad<decltype(tl::sum(x * w)), tl::param<"w">>);
  static_assert(tl::parameter<tl::param<"w">>);
  static_assert(tl::parameter<tl::param<"w">::ref_type>);
  static_assert(!tl::parameter<decltype(x * w)>);
  static_assert(!tl::parameter<tl::tensor<float, dyn, 1>>);
  static_assert(!tl::parameter<float>);
}

TEST_CASE("grad: by a parameter the expression does not use is zero") {
  tl::param<"w"> w;
  tl::param<"unused", 2, 2> u;
  tl::tensor<float, dyn, 1> x(2);
  static_assert(std::is_same_v<decltype(tl::grad(tl::sum(x * w), tl::param<"v">{})), tl::expr::zero>);
  auto const g = tl::value(tl::grad(tl::sum(x * w), u));
  for (float v : g) CHECK(v == 0.0f);
}

TEST_CASE("grad: a scalar parameter differentiates a non-scalar elementwise") {
  tl::tensor<double, dyn, 2> x{{1, 2}, {3, 4}};
  tl::param<"s", 1, 1, double> s{0.5};
  tl::tensor<double, dyn, 2> d{tl::grad(tl::square(s * x), s)};  // 2 s x²
  CHECK(d(1, 1) == doctest::Approx(2 * 0.5 * 16));
  CHECK(d(0, 1) == doctest::Approx(2 * 0.5 * 4));
}

TEST_CASE("grad: the derivative expression evaluates to value_and_grad's gradient") {
  auto const X = laws::random_tensor<3>(12, 55);
  auto const y = laws::random_tensor<1>(12, 56);
  tl::param<"w", 3, 1, double> w{{0.5}, {-1}, {2}};
  tl::param<"b", 1, 1, double> b{0.25};
  auto const cost = tl::mean(tl::square(X * w + b - y));
  auto const [value, grads] = tl::value_and_grad(cost, w, b);
  auto const gw = tl::value(tl::grad(cost, w));  // the stack alone, in its own pass
  for (std::size_t k = 0; k < 3; ++k) CHECK(gw[k] == doctest::Approx(grads[w][k]).epsilon(1e-12));
  CHECK(tl::value(tl::grad(cost, b)) == doctest::Approx(grads[b].item()).epsilon(1e-12));
  CHECK(tl::value(cost) == doctest::Approx(value).epsilon(1e-12));
}
