// tests for include/tapeless/expr/leaf.hpp and operand.hpp: leaves and what converts to them
#include <tapeless/expr/leaf.hpp>
#include <tapeless/expr/operand.hpp>
#include <tapeless/param.hpp>
#include <tapeless/tensor.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

static_assert(tl::expression<tl::expr::constant<2>>);
static_assert(tl::expression<tl::expr::data<float, dyn, 3>>);
static_assert(!tl::expression<tl::param<"w">>);  // a parameter converts, it is not a node
static_assert(tl::operand<tl::param<"w">>);
static_assert(tl::operand<tl::tensor<float, dyn, 3>>);
static_assert(tl::operand<double>);
static_assert(!tl::operand<int*>);
static_assert(!tl::operand_pair<int, double>);
static_assert(std::is_same_v<tl::as_expr_t<double>, tl::expr::scalar<double>>);
static_assert(std::is_same_v<tl::as_expr_t<tl::tensor<float, dyn, 3>>, tl::expr::data<float, dyn, 3>>);
static_assert(std::is_same_v<tl::value_type_t<tl::expr::constant<1>>, float>);
static_assert(std::is_same_v<tl::value_type_t<tl::expr::data<double, dyn, 3>>, double>);
static_assert(std::is_trivially_copyable_v<tl::expr::data<float, dyn, 3>>);

TEST_CASE("leaf: each leaf evaluates to its value") {
  tl::expr::context<double> const ctx{};
  CHECK(tl::expr::constant<7>{}.at<double>(0, ctx)[0] == 7);
  CHECK(tl::expr::scalar<int>{{}, 3}.at<double>(0, ctx)[0] == 3);
  auto const u = tl::expr::unit<2, 2, 1, 0>{};
  CHECK(u.at<double>(1, ctx)[0] == 1);
  CHECK(u.at<double>(1, ctx)[1] == 0);
  CHECK(u.at<double>(0, ctx)[0] == 0);
  tl::tensor<float, dyn, 2> t{{1, 2}, {3, 4}};
  CHECK(t.expr().at<double>(1, ctx)[1] == 4);
  CHECK(t.expr().rows() == 2);
  tl::param<"w", 1, 2> w{{5, 6}};
  CHECK(w.expr().at<double>(0, ctx)[1] == 6);
  w(0, 1) = 8;  // the leaf reads the parameter's current values
  CHECK(w.expr().at<double>(0, ctx)[1] == 8);
}
