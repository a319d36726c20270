// tests for include/tapeless/param.hpp, matrix.hpp and fixed_name.hpp
#include <tapeless/fixed_name.hpp>
#include <tapeless/matrix.hpp>
#include <tapeless/param.hpp>

#include <doctest/doctest.h>

#include <sstream>
#include <type_traits>

namespace tl = tapeless;

static_assert(tl::fixed_name("w") == tl::fixed_name("w"));
static_assert(!(tl::fixed_name("w") == tl::fixed_name("b")));
static_assert(tl::fixed_name("fc1").size() == 3);
static_assert(tl::fixed_name("fc1") + tl::fixed_name(".weight") == tl::fixed_name("fc1.weight"));
static_assert(tl::fixed_name("0123456789abcdef0123456789abcdef").size() == 32);
static_assert(!std::is_same_v<tl::param<"w">, tl::param<"b">>);
static_assert(std::is_same_v<tl::param<"w">, tl::param<"w", 1, 1, float>>);

TEST_CASE("fixed_name: round trip to text") {
  CHECK(tl::fixed_name("linear.weight").str() == "linear.weight");
  CHECK(tl::fixed_name("").str().empty());
}

TEST_CASE("param: zero-initialised, set from values, indexed") {
  tl::param<"w", 3, 1> w;
  for (std::size_t k = 0; k < 3; ++k) CHECK(w[k] == 0.0f);
  tl::param<"b"> b{0.5f};
  CHECK(b.item() == 0.5f);
  tl::param<"W", 2, 2, double> W{{1, 2}, {3, 4}};
  CHECK(W(1, 0) == 3);
  W(1, 0) = 7;
  CHECK(W.value()(1, 0) == 7);
  CHECK(W.expr().values == W.data());
  std::ostringstream os;
  os << W;
  CHECK(os.str() == "[[1, 2], [7, 4]]");
}

TEST_CASE("param: initial values of the wrong shape are an error") {
  CHECK_THROWS_WITH_AS((tl::param<"w", 2, 1>{{1.0f}, {2.0f}, {3.0f}}),
                       "tapeless::param: wrong number of rows in the initial values", tl::error);
  CHECK_THROWS_WITH_AS((tl::param<"w", 2, 2>{{1.0f, 2.0f}, {3.0f}}),
                       "tapeless::param: wrong number of columns in the initial values", tl::error);
}

TEST_CASE("matrix: a small static matrix") {
  tl::matrix<float, 2, 3> m;
  for (float v : m) CHECK(v == 0.0f);
  m(1, 2) = 5;
  CHECK(m[5] == 5);
  CHECK(m.size == 6);
  tl::matrix<float, 1, 1> s{{2.5f}};
  CHECK(s.item() == 2.5f);
  std::ostringstream os;
  os << tl::matrix<int, 1, 3>{{1, 2, 3}};
  CHECK(os.str() == "[1, 2, 3]");
}
