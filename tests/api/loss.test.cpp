// tests for include/tapeless/loss.hpp: mse_loss in its functional and object forms
#include "laws/gradcheck.hpp"

#include <tapeless/loss.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("mse_loss: reductions none, mean and sum") {
  tl::tensor<double, dyn, 1> pred{{1}, {2}, {4}}, y{{1}, {0}, {1}};
  CHECK(tl::value(tl::mse_loss(pred, y)) == doctest::Approx(13.0 / 3));
  CHECK(tl::value(tl::mse_loss(pred, y, tl::reduction::mean)) == doctest::Approx(13.0 / 3));
  CHECK(tl::value(tl::mse_loss(pred, y, tl::reduction::sum)) == 13.0);
  tl::tensor<double, dyn, 1> each{tl::mse_loss(pred, y, tl::reduction::none)};
  CHECK(each(2, 0) == 9.0);
}

TEST_CASE("mse_loss: the object form is the same expression") {
  tl::tensor<float, dyn, 1> pred(3), y(3);
  tl::nn::mse_loss loss;
  static_assert(std::is_same_v<decltype(loss(pred, y)), decltype(tl::mse_loss(pred, y))>);
  tl::nn::mse_loss summed{tl::reduction::sum};
  static_assert(std::is_same_v<decltype(summed(pred, y)), decltype(tl::mse_loss(pred, y, tl::reduction::sum))>);
}

TEST_CASE("mse_loss: different batch extents are an error naming mse_loss") {
  tl::tensor<float, dyn, 1> pred(5), y(4);
  CHECK_THROWS_WITH_AS((void)tl::mse_loss(pred, y),
                       "tapeless::mse_loss: operands have 5 and 4 rows; the batch (dyn) extents must be equal", tl::error);
}

TEST_CASE("mse_loss: gradients match finite differences") {
  auto const X = laws::random_tensor<3>(30, 81);
  auto const y = laws::random_tensor<1>(30, 82);
  tl::param<"w", 3, 1, double> w;
  tl::param<"b", 1, 1, double> b;
  laws::randomize(w, 83);
  laws::randomize(b, 84);
  laws::check_gradients(tl::mse_loss(X * w + b, y), w, b);
  laws::check_gradients(tl::mse_loss(X * w + b, y, tl::reduction::sum), w, b);
}
