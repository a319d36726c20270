// tests for include/tapeless/expr/memo.hpp: numbering of shared subtrees
#include "laws/gradcheck.hpp"

#include <tapeless/expr/memo.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("memo: every row-dependent interior subtree gets its post-order position") {
  tl::tensor<float, dyn, 1> x{{1}, {2}}, y{{3}, {4}};
  tl::param<"w"> w{2.0f};
  auto const loss = tl::mean(tl::square(x * w - y));
  // nodes, post-order: w(0) x(1) mul(2) y(3) sub(4) square(5) mean(6)
  static_assert(tl::detail::node_count<std::remove_cvref_t<decltype(loss)>>() == 7);
  auto const m = tl::detail::memoize(loss);
  using M = std::remove_cvref_t<decltype(m)>;
  using Square = std::remove_cvref_t<decltype(m.arg)>;
  using Sub = std::remove_cvref_t<decltype(m.arg.inner.arg)>;
  using Mul = std::remove_cvref_t<decltype(m.arg.inner.arg.inner.lhs)>;
  static_assert(Square::id == 5 && Sub::id == 4 && Mul::id == 2);
  static_assert(!tl::detail::is_memo<M>);  // the mean is a scalar: nothing to share per row
  // two copies of one tensor type at different positions are different memos
  auto const two = tl::mean(tl::hadamard(x * w, y * w));
  using Two = std::remove_cvref_t<decltype(tl::detail::memoize(two).arg.inner)>;
  static_assert(!std::is_same_v<decltype(std::declval<Two>().lhs), decltype(std::declval<Two>().rhs)>);
  // a memo is the same value and has the same derivative
  CHECK(tl::value(tl::mean(m.arg)) == tl::value(loss));
  CHECK(tl::value(tl::grad(m, w)) == tl::value(tl::grad(loss, w)));
}
