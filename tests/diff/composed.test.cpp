// tests for include/tapeless/diff/grad.hpp, continued: second derivatives and composed
// losses against finite differences (a separate file: these instantiate the most types).
#include "laws/gradcheck.hpp"

#include <tapeless/diff/grad.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("grad: second derivatives (the Hessian of least squares) by finite differences") {
  auto const X = laws::random_tensor<3>(30, 51);
  auto const y = laws::random_tensor<1>(30, 52);
  tl::param<"w", 3, 1, double> w;
  tl::param<"b", 1, 1, double> b;
  laws::randomize(w, 53);
  laws::randomize(b, 54);
  auto const cost = tl::mean(tl::square(X * w + b - y));
  // d/db cost is a scalar loss of its own: its gradient is the Hessian's last row
  laws::check_gradients(tl::grad(cost, b), w, b);
  auto const h = tl::value(tl::grad(tl::grad(cost, b), w));  // 2 mean(X_k)
  for (std::size_t k = 0; k < 3; ++k) {
    double m = 0;
    for (std::size_t i = 0; i < 30; ++i) m += X(i, k) / 30;
    CHECK(h[k] == doctest::Approx(2 * m));
  }
  // the full Hessian by w, row by row
  laws::check_gradients(tl::sum(tl::grad(cost, w)), w, b);
}

TEST_CASE("grad: composed losses") {
  auto const X = laws::random_tensor<3>(40, 61);
  auto const labels = laws::random_tensor<1>(40, 62, 0, 1);
  tl::param<"w", 3, 1, double> w;
  tl::param<"b", 1, 1, double> b;
  tl::param<"W1", 3, 3, double> W1;
  tl::param<"b1", 1, 3, double> b1;
  tl::param<"W2", 3, 1, double> W2;
  laws::randomize(w, 63);
  laws::randomize(b, 64);
  laws::randomize(W1, 65);
  laws::randomize(b1, 66);
  laws::randomize(W2, 67);
  SUBCASE("least squares with weight decay") {
    laws::check_gradients(tl::mean(tl::square(X * w + b - labels)) + 0.01 * tl::sum(tl::square(w)), w, b);
  }
  SUBCASE("logistic regression (binary cross entropy)") {
    auto const p = tl::sigmoid(X * w + b);
    laws::check_gradients(-tl::mean(tl::hadamard(labels, tl::log(p)) + tl::hadamard(1.0 - labels, tl::log(1.0 - p))), w, b);
  }
  SUBCASE("a small MLP") {
    laws::check_gradients(tl::mean(tl::square(tl::tanh(X * W1 + b1) * W2 + b - labels)), W1, b1, W2, b);
  }
  SUBCASE("huber-like and relu networks") {
    laws::check_gradients(tl::mean(tl::sqrt(1.0 + tl::square(tl::relu(X * W1 + b1) * W2 - labels))), W1, b1, W2);
  }
}
