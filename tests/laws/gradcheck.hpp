#pragma once
// The gradient-check harness: every derivative tapeless builds is compared
// with central finite differences in double precision, at seeded random points.
//
//     tl::param<"w", 3, 1, double> w;  laws::randomize(w, 7);
//     auto X = laws::random_tensor<3>(50, 11);
//     laws::check_gradients(tl::mean(tl::square(X * w)), w);
//
// For each parameter it checks value_and_grad's gradient (reverse mode when
// every node has a rule, else the element-by-element derivative, lowered with
// the loss into one pass), element by element, against
// (f(θ + h) − f(θ − h)) / 2h, and the loss value against tl::value(loss).
// (tl::value(tl::grad(loss, p)) evaluates the same derivative trees; the tests
// of tl::grad check it where it matters, which keeps this harness cheap to compile.)

#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace laws {

namespace tl = tapeless;

/// Uniform doubles in [lo, hi) from a fixed seed.
class rng {
 public:
  explicit rng(std::uint64_t seed) : gen_(seed) {}
  double operator()(double lo = -1, double hi = 1) { return gen_.uniform(lo, hi); }

 private:
  tl::nn::splitmix64 gen_;
};

/// A rows × C tensor of doubles uniform in [lo, hi).
template <std::size_t C, std::size_t R = tl::dyn>
tl::tensor<double, R, C> random_tensor(std::size_t rows, std::uint64_t seed, double lo = -1, double hi = 1) {
  tl::tensor<double, R, C> t(rows);
  rng r(seed);
  for (std::size_t i = 0; i < rows * C; ++i) t.data()[i] = r(lo, hi);
  return t;
}

/// Sets every value of `p` uniform in [lo, hi).
template <class P>
void randomize(P& p, std::uint64_t seed, double lo = -1, double hi = 1) {
  rng r(seed);
  for (std::size_t k = 0; k < p.size; ++k) p[k] = static_cast<typename P::value_type>(r(lo, hi));
}

/// |a − b| within `rel` of the larger magnitude (and `abs` near zero).
inline bool close(double a, double b, double rel = 1e-6, double abs = 1e-9) {
  return std::abs(a - b) <= abs + rel * std::max(std::abs(a), std::abs(b));
}

/// Central finite difference of the scalar `loss` along element k of `p`.
template <class Loss, class P>
double finite_difference(Loss const& loss, P& p, std::size_t k) {
  double const x = static_cast<double>(p[k]);
  double const h = 1e-6 * std::max(1.0, std::abs(x));
  p[k] = x + h;
  double const up = static_cast<double>(tl::value(loss));
  p[k] = x - h;
  double const down = static_cast<double>(tl::value(loss));
  p[k] = x;
  return (up - down) / (2 * h);
}

/// Checks the value and every gradient of `loss` against finite differences.
template <class Loss, class... Ps>
void check_gradients(Loss const& loss, Ps&... ps) {
  auto const result = tl::value_and_grad(loss, ps...);
  auto const& grads = result.grads;  // a named variable: clang 14 cannot capture structured bindings
  double const direct = static_cast<double>(tl::value(loss));
  CHECK(std::isfinite(direct));
  CHECK(close(static_cast<double>(result.value), direct, 1e-12, 1e-12));
  auto one = [&](auto& p) {
    for (std::size_t k = 0; k < p.size; ++k) {
      double const fd = finite_difference(loss, p, k);
      double const fused = static_cast<double>(grads[p][k]);
      INFO("parameter " << std::remove_reference_t<decltype(p)>::name.str() << " element " << k << ": fused "
                        << fused << ", finite difference " << fd);
      CHECK(close(fused, fd, 1e-6, 1e-7));
    }
  };
  (one(ps), ...);
}

}  // namespace laws
