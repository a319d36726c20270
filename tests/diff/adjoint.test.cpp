// tests for include/tapeless/diff/adjoint.hpp: reverse mode (value_and_grad's
// gradients) against forward mode (tl::grad, element by element) and against
// finite differences; which losses take it; what it costs per row.
#include "laws/gradcheck.hpp"

#include <tapeless/diff/adjoint.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

namespace {

template <class Loss>
constexpr bool reverse_ready = tl::detail::reverse_ready<
    std::remove_cvref_t<decltype(tl::detail::memoize(tl::detail::as_expr(std::declval<Loss const&>())))>>();

/// value_and_grad's gradient of `p` (reverse mode) equals tl::grad's (forward mode), element by element.
template <class Loss, class P>
void check_against_forward(Loss const& loss, P const& p) {
  auto const reverse = tl::value_and_grad(loss, p);
  auto const& g = reverse.grads;
  auto const forward = tl::value(tl::grad(loss, p));  // a number for a scalar parameter
  for (std::size_t k = 0; k < p.size; ++k) {
    double f = 0;
    if constexpr (P::size == 1) f = static_cast<double>(forward);
    else f = static_cast<double>(forward[k]);
    INFO("element " << k << ": reverse " << g[p][k] << ", forward " << f);
    CHECK(laws::close(static_cast<double>(g[p][k]), f, 1e-12, 1e-14));
  }
}

}  // namespace

TEST_CASE("adjoint: the losses of the lecture and of small networks take reverse mode") {
  tl::tensor<double, dyn, 3> X(4);
  tl::tensor<double, dyn, 1> y(4);
  tl::param<"w", 3, 1, double> w;
  tl::param<"b", 1, 1, double> b;
  tl::param<"W1", 4, 3, double> W1;
  tl::param<"b1", 1, 4, double> b1;
  tl::param<"W2", 1, 4, double> W2;
  static_assert(reverse_ready<decltype(tl::mean(tl::square(X * w + b - y)))>);
  static_assert(reverse_ready<decltype(tl::mean(tl::square(tl::tanh(X * tl::transpose(W1) + b1) * tl::transpose(W2) + b - y)))>);
  static_assert(reverse_ready<decltype(tl::sum(tl::relu(X * w)) / tl::mean(tl::sigmoid(X * w)) + 0.1 * tl::sum(tl::square(w)))>);
  // a derivative tree (a stack of element derivatives) has no reverse rule: element by element
  static_assert(!reverse_ready<decltype(tl::sum(tl::grad(tl::mean(tl::square(X * w + b - y)), w)))>);
}

TEST_CASE("adjoint: equals forward mode on every rule") {
  auto const X = laws::random_tensor<3>(25, 1);
  auto const y = laws::random_tensor<1>(25, 2);
  auto const Z = laws::random_tensor<2>(25, 3, 0.5, 2);
  tl::param<"w", 3, 1, double> w;
  tl::param<"b", 1, 1, double> b;
  tl::param<"V", 3, 2, double> V;
  tl::param<"c", 1, 2, double> c;
  tl::param<"S", 2, 2, double> S;
  laws::randomize(w, 4);
  laws::randomize(b, 5);
  laws::randomize(V, 6);
  laws::randomize(c, 7);
  laws::randomize(S, 8, 0.5, 1.5);
  SUBCASE("sum, difference, broadcast biases (1x1 and 1xC), matrix product") {
    auto const loss = tl::mean(tl::square(X * V + c - Z)) + tl::sum(X * w + b);
    check_against_forward(loss, V);
    check_against_forward(loss, c);
    check_against_forward(loss, w);
    check_against_forward(loss, b);
  }
  SUBCASE("products, quotients and negation, with broadcasting on both sides") {
    auto const loss = tl::mean(tl::hadamard(X * w, c) / (Z + tl::square(c)) - tl::hadamard(b, Z));
    check_against_forward(loss, w);
    check_against_forward(loss, c);
    check_against_forward(loss, b);
  }
  SUBCASE("transpose, a static product and a column") {
    auto const loss = tl::sum(tl::exp(tl::col<1>(X * (V * S)) * 0.3)) + tl::mean(X * tl::transpose(tl::transpose(w)));
    check_against_forward(loss, S);
    check_against_forward(loss, w);
  }
  SUBCASE("every elementwise function, and rowsum") {
    auto const h = X * w + b;
    auto const loss = tl::mean(tl::tanh(h) + tl::sigmoid(h) + tl::relu(h) + tl::abs(h) + tl::pow<3>(h)) +
                      tl::sum(tl::log(Z + tl::square(c)) + tl::sqrt(Z + tl::exp(c))) + tl::mean(tl::rowsum(tl::square(Z - c)));
    check_against_forward(loss, b);
    check_against_forward(loss, c);
  }
  SUBCASE("functions of several reductions (the adjoint of a sum holds other sums)") {
    auto const loss = tl::square(tl::mean(X * w) - b) * tl::sum(tl::square(w)) + tl::mean(Z) / tl::sum(tl::exp(X * w));
    check_against_forward(loss, w);
    check_against_forward(loss, b);
  }
  SUBCASE("static reductions (weight decay) next to row reductions") {
    auto const loss = tl::mean(tl::square(X * w + b - y)) + 0.01 * tl::sum(tl::square(w)) + tl::mean(tl::square(S));
    check_against_forward(loss, w);
    check_against_forward(loss, S);
  }
}

TEST_CASE("adjoint: a two-layer network, by finite differences") {
  auto const X = laws::random_tensor<3>(30, 11);
  auto const y = laws::random_tensor<1>(30, 12);
  tl::param<"W1", 5, 3, double> W1;
  tl::param<"b1", 1, 5, double> b1;
  tl::param<"W2", 1, 5, double> W2;
  tl::param<"b2", 1, 1, double> b2;
  laws::randomize(W1, 13);
  laws::randomize(b1, 14);
  laws::randomize(W2, 15);
  laws::randomize(b2, 16);
  auto const loss = tl::mean(tl::square(tl::tanh(X * tl::transpose(W1) + b1) * tl::transpose(W2) + b2 - y));
  laws::check_gradients(loss, W1, b1, W2, b2);
}

TEST_CASE("adjoint: a weight matrix costs one outer product per row, shared across parameters") {
  tl::tensor<float, dyn, 3> X{{1, 2, 3}, {4, 5, 6}};
  tl::tensor<float, dyn, 1> y{{1}, {2}};
  tl::param<"W1", 4, 3> W1;
  tl::param<"b1", 1, 4> b1;
  tl::param<"W2", 1, 4> W2;
  auto const loss = tl::mean(tl::square(tl::tanh(X * tl::transpose(W1) + b1) * tl::transpose(W2) - y));
  auto const m = tl::detail::memoize(loss);
  auto const outputs =
      std::tuple{m, tl::detail::reverse_gradient(m, W1), tl::detail::reverse_gradient(m, b1),
                 tl::detail::reverse_gradient(m, W2)};
  using Vars = tl::detail::params_of<tl::detail::type_list<>, std::remove_cvref_t<decltype(loss)>>::type;
  auto const pass = tl::detail::make_pass<float, Vars>(outputs);
  // the loss, W1 (4x3 outer products), b1 (4 column sums), W2 (1x4): 1 + 12 + 4 + 4 sums, and one
  // gap that starts the element-by-element sums at an even index (aligned pairs of doubles)
  static_assert(decltype(pass)::sums == 22);
  CHECK(pass.n == 2);
}
