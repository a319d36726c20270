// tests for include/tapeless/tensor.hpp
#include <tapeless/tensor.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <sstream>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("tensor: built like torch.FloatTensor, indexed row-major") {
  tl::tensor<float, dyn, 3> x{{73, 80, 75}, {93, 88, 93}};
  CHECK(x.rows() == 2);
  CHECK(x(1, 2) == 93);
  CHECK(x.data()[3] == 93);
  x(0, 0) = 1;
  CHECK(x(0, 0) == 1);
  tl::tensor<float, 2, 2> fixed{{1, 2}, {3, 4}};
  CHECK(fixed.rows() == 2);
}

TEST_CASE("tensor: views and copies of caller memory") {
  std::vector<double> mem{1, 2, 3, 4, 5, 6};
  tl::tensor_view<double, dyn, 2> v(mem.data(), 3);
  CHECK(v(2, 1) == 6);
  tl::tensor<double, dyn, 2> copy(mem.data(), 3);
  mem[5] = 60;
  CHECK(v(2, 1) == 60);
  CHECK(copy(2, 1) == 6);
  tl::param<"w", 2, 1, double> w{{1}, {1}};
  CHECK(tl::value(tl::sum(v * w)) == 1 + 2 + 3 + 4 + 5 + 60);
}

TEST_CASE("tensor: bad shapes and data are errors, not undefined behaviour") {
  using T3 = tl::tensor<float, dyn, 3>;
  CHECK_THROWS_WITH_AS(T3({{1, 2, 3}, {4, 5}}), "tapeless::tensor: row 1 has 2 values, the tensor has 3 columns", tl::error);
  CHECK_THROWS_WITH_AS((tl::tensor<float, 2, 1>{{1}, {2}, {3}}),
                       "tapeless::tensor: expected 2 rows, got 3; the row extent is static", tl::error);
  CHECK_THROWS_AS((tl::tensor_view<float, dyn, 3>(nullptr, 4)), tl::error);
  CHECK_NOTHROW((tl::tensor_view<float, dyn, 3>(nullptr, 0)));
}

TEST_CASE("tensor: column statistics as x.mean(dim=0), x.std(dim=0)") {
  tl::tensor<float, dyn, 3> x{{73, 80, 75}, {93, 88, 93}, {89, 91, 90}, {96, 98, 100}, {73, 66, 70}};
  auto const mu = x.mean(0);
  auto const sigma = x.std(0);
  CHECK(mu(0, 0) == doctest::Approx(84.8));
  CHECK(mu(0, 2) == doctest::Approx(85.6));
  CHECK(sigma(0, 0) == doctest::Approx(11.0544));  // torch: 11.0544
  CHECK(sigma(0, 1) == doctest::Approx(12.2393));  // unbiased (n − 1), torch: 12.2393
  CHECK_THROWS_AS((void)x.mean(1), tl::error);
  tl::tensor<float, dyn, 3> one_row{{1, 2, 3}};
  CHECK_THROWS_WITH_AS((void)one_row.std(0), "tapeless::tensor::std: the unbiased deviation needs at least two rows",
                       tl::error);
}

TEST_CASE("tensor: built from an expression, printed like torch") {
  tl::tensor<float, dyn, 2> x{{1, -2}, {3, 4}};
  tl::tensor<float, dyn, 2> y{x * 2.0f + 0.5f};
  CHECK(y(0, 1) == -3.5f);
  std::ostringstream os;
  os << y;
  CHECK(os.str() == "tensor([[ 2.5000, -3.5000],\n        [ 6.5000,  8.5000]])");
}

TEST_CASE("tensor: reductions inside an expression are computed once, over every row") {
  tl::tensor<double, dyn, 2> x{{1, 10}, {3, 20}, {5, 60}};
  tl::tensor centred{x - tl::mean(x)};  // deduced: tensor<double, dyn, 2>
  static_assert(std::is_same_v<decltype(centred), tl::tensor<double, dyn, 2>>);
  CHECK(centred(0, 0) == doctest::Approx(1 - 99.0 / 6));
  CHECK(centred(2, 1) == doctest::Approx(60 - 99.0 / 6));
  tl::tensor<double, dyn, 1> empty(0);
  CHECK_THROWS_WITH_AS((tl::tensor<double, 1, 1>{tl::mean(empty) + tl::lit<0>}),
                       "tapeless::value_and_grad: mean over data with no rows; pass at least one row", tl::error);
}

TEST_CASE("tensor: integer data is computed in float") {
  tl::tensor<int, dyn, 1> counts{{1}, {2}};
  CHECK(tl::value(tl::mean(counts)) == 1.5f);
  CHECK(tl::value(tl::mean(counts * 0.5)) == 0.75f);
}

TEST_CASE("tensor: a folded zero keeps the shape of what it multiplies") {
  tl::tensor<float, dyn, 3> x{{1, 2, 3}, {4, 5, 6}};
  CHECK(tl::value(tl::sum(tl::lit<0> * x + tl::lit<1>)) == 6.0f);
  CHECK(tl::value(tl::sum(x * tl::lit<0>)) == 0.0f);
  tl::tensor<float, dyn, 3> zeros{tl::lit<0> * x};
  CHECK(zeros.rows() == 2);
}
