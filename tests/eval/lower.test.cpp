// tests for include/tapeless/eval/lower.hpp: which row sums a loss needs, and
// the run-time checks of lowering.
#include "laws/gradcheck.hpp"

#include <tapeless/eval/lower.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

TEST_CASE("lower: the lecture's loss and its gradients need 1 + 3 + 1 row sums") {
  tl::tensor<float, dyn, 3> X(5);
  tl::tensor<float, dyn, 1> y(5);
  tl::param<"w", 3, 1> w;
  tl::param<"b"> b;
  auto const cost = tl::mean(tl::square(X * w + b - y));
  using Vars = tl::detail::params_of<tl::detail::type_list<>, decltype(cost)>::type;
  static_assert(std::is_same_v<Vars, tl::detail::type_list<tl::param<"w", 3, 1>::ref_type, tl::param<"b">::ref_type>>);
  static_assert(tl::detail::param_block_size<Vars> == 4);
  static_assert(tl::detail::param_offset<Vars, 1> == 3);
  auto const outputs = std::tuple{cost, tl::grad(cost, w), tl::grad(cost, b)};
  auto const terms = std::apply([](auto const&... o) { return std::tuple_cat(tl::detail::row_terms<float, Vars>(o)...); }, outputs);
  static_assert(std::tuple_size_v<std::remove_cvref_t<decltype(terms)>> == 5);
  // the lowered terms carry no names and no host pointers to parameters
  using First = std::tuple_element_t<0, std::remove_cvref_t<decltype(terms)>>;
  static_assert(std::is_same_v<First, decltype(tl::square(tl::expr::matmul<tl::expr::data<float, dyn, 3>, tl::expr::param_slot<0, 3, 1, float>>{
                                                              X.expr(), {}} + tl::expr::param_slot<3, 1, 1, float>{} - y))>);
  CHECK(tl::detail::pass_rows(terms) == 5);
}

TEST_CASE("lower: row-separability") {
  tl::tensor<float, dyn, 1> x(3);
  tl::param<"w"> w;
  static_assert(tl::detail::contains_row_reduction<decltype(tl::mean(x * w))>());
  static_assert(!tl::detail::contains_row_reduction<decltype(tl::sum(tl::square(w)))>());
  static_assert(tl::detail::is_row_reduction<decltype(tl::sum(x))>);
  static_assert(!tl::detail::is_row_reduction<decltype(tl::sum(w))>);
}

TEST_CASE("lower: reductions over different batch extents in one loss are an error") {
  tl::tensor<float, dyn, 1> a{{1}, {2}, {3}}, b{{1}, {2}};
  tl::param<"w"> w;
  CHECK_THROWS_WITH_AS(tl::value_and_grad(tl::mean(a * w) + tl::mean(b * w), w),
                       "tapeless::value_and_grad: the loss's reductions run over 3 and 2 rows; every batch (dyn) "
                       "extent in one loss must be equal",
                       tl::error);
}

TEST_CASE("lower: mean over no rows is an error, sum over no rows is 0") {
  tl::tensor<float, dyn, 1> empty(0);
  tl::param<"w"> w{1.0f};
  CHECK_THROWS_WITH_AS(tl::value_and_grad(tl::mean(empty * w), w),
                       "tapeless::value_and_grad: mean over data with no rows; pass at least one row", tl::error);
  auto const [value, grads] = tl::value_and_grad(tl::sum(empty * w), w);
  CHECK(value == 0.0f);
  CHECK(grads[w].item() == 0.0f);
}

TEST_CASE("lower: one name, two parameters is an error") {
  tl::tensor<float, dyn, 1> x{{1}, {2}};
  tl::param<"w"> w1{1.0f}, w2{2.0f};
  CHECK_THROWS_WITH_AS(tl::value(tl::mean(x * w1 + x * w2)),
                       "tapeless::value_and_grad: two different parameters are named 'w'; give each parameter its own name",
                       tl::error);
  CHECK_THROWS_WITH_AS(tl::value_and_grad(tl::mean(x * w1), w2),
                       "tapeless::value_and_grad: the parameter 'w' passed is not the one the loss uses (same name, "
                       "another object); pass the loss's own parameter",
                       tl::error);
}

TEST_CASE("lower: the residual is computed once per row for the loss and every gradient") {
  tl::tensor<float, dyn, 3> X{{1, 2, 3}, {4, 5, 6}};
  tl::tensor<float, dyn, 1> y{{1}, {2}};
  tl::param<"w", 3, 1> w{{0.5f}, {-1.0f}, {0.25f}};
  tl::param<"b"> b{0.125f};
  auto const cost = tl::mean(tl::square(X * w + b - y));
  auto const m = tl::detail::memoize(cost);
  using Vars = tl::detail::params_of<tl::detail::type_list<>, decltype(cost)>::type;
  auto const pass = tl::detail::make_pass<float, Vars>(std::tuple{m, tl::grad(m, w), tl::grad(m, b)});
  CHECK(pass.n == 2);
  static_assert(decltype(pass)::sums == 5);
  // shared per row: X·w, X·w + b, the residual r, and r², and the rows of the narrow batches X
  // and y (read from memory once) — 4 + 3 + 1 values in the row cache
  using Terms = decltype(std::tuple_cat(tl::detail::row_terms<float, Vars>(m), tl::detail::row_terms<float, Vars>(tl::grad(m, w)),
                                        tl::detail::row_terms<float, Vars>(tl::grad(m, b))));
  using Memos = tl::detail::memos_of_tuple<tl::detail::type_list<>, Terms>::type;
  static_assert(Memos::size == 6);
  static_assert(tl::detail::cache_size<Memos> == 8);
  // memo ids are positions in the loss: the same subtree in two gradient terms is one value
  using G = decltype(tl::grad(m, b));  // 2 * mean(memo<residual>)
  static_assert(tl::detail::is_memo<std::remove_cvref_t<decltype(std::declval<G>().rhs.arg)>>);
  // and the values are those of the un-memoized loss
  auto const shared = tl::value_and_grad(cost, w, b);
  CHECK(shared.value == doctest::Approx(tl::value(cost)));
  CHECK(shared.grads[b].item() == doctest::Approx(tl::value(tl::grad(cost, b))));
}

// The program cache (eval/evaluate.hpp): a loss evaluated again reuses its
// lowered program; anything the program depends on must rebuild it.
TEST_CASE("lower: a cached program sees new data, new rows, new scalars and new parameter values") {
  std::vector<float> xs{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  std::vector<float> ys{2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22};
  tl::param<"w"> w{0.5f};
  tl::param<"b"> b{0.25f};
  // Σ (w x + b − y)² / n and its gradient by w, in double.
  auto reference = [&](std::size_t n, double scale) {
    double loss = 0, gw = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double const r = static_cast<double>(w.item()) * xs[i] + b.item() - ys[i];
      loss += scale * r * r / static_cast<double>(n);
      gw += scale * 2 * r * xs[i] / static_cast<double>(n);
    }
    return std::pair{loss, gw};
  };
  auto evaluate = [&](std::size_t n, float scale) {
    // rebuilt on every call, at the same place: only its contents differ
    tl::tensor_view<float, dyn, 1> const x(xs.data(), n), y(ys.data(), n);
    auto const cost = tl::mean(tl::square(x * w + b - y)) * scale;
    auto const [value, grads] = tl::value_and_grad(cost, w, b);
    auto const [loss, gw] = reference(n, scale);
    CHECK(laws::close(value, loss, 1e-6));
    CHECK(laws::close(tl::value(cost), loss, 1e-6));
    CHECK(laws::close(grads[w].item(), gw, 1e-6));
  };
  evaluate(11, 1);
  evaluate(11, 1);  // cached
  evaluate(3, 1);   // fewer rows: the mean divides by 3
  evaluate(11, 2);  // another scalar
  xs[0] = -5;       // same memory, new contents
  evaluate(11, 2);
  w.value()[0] = 1.5f;  // new parameter values
  evaluate(11, 2);
  std::vector<float> other(xs.rbegin(), xs.rend());
  xs.swap(other);  // another buffer
  evaluate(11, 2);
}

TEST_CASE("lower: a cached program is per thread and per set of gradients") {
  tl::tensor<float, dyn, 1> x{{1}, {2}, {3}};
  tl::tensor<float, dyn, 1> y{{1}, {3}, {5}};
  tl::param<"w"> w{0.5f};
  tl::param<"b"> b{0.25f};
  auto const cost = tl::mean(tl::square(x * w + b - y));
  auto const both = tl::value_and_grad(cost, w, b);
  auto const swapped = tl::value_and_grad(cost, b, w);
  auto const only_b = tl::value_and_grad(cost, b);
  CHECK(both.grads[w].item() == swapped.grads[w].item());
  CHECK(both.grads[b].item() == swapped.grads[b].item());
  CHECK(both.grads[b].item() == only_b.grads[b].item());
  float from_thread = 0;
  std::thread([&] { from_thread = tl::value_and_grad(cost, w, b).grads[w].item(); }).join();
  CHECK(from_thread == both.grads[w].item());
}

TEST_CASE("lower: the lecture's losses have no padding bytes, so equal losses have equal bytes") {
  // The program cache compares an expression's bytes; padding (uninitialised)
  // would make every call a miss. No float members here, so no padding means
  // a unique object representation.
  tl::tensor<float, dyn, 3> X(5);
  tl::tensor<float, dyn, 1> x(5), y(5);
  tl::param<"w", 3, 1> w;
  tl::param<"v"> v;
  tl::param<"b"> b;
  auto const quiz1 = tl::detail::as_expr(tl::mse_loss(X.matmul(w) + b, y));
  auto const exercise1 = tl::detail::as_expr(tl::mean(tl::square(x * v + b - y)));
  static_assert(std::has_unique_object_representations_v<std::remove_cvref_t<decltype(quiz1)>>);
  static_assert(std::has_unique_object_representations_v<std::remove_cvref_t<decltype(exercise1)>>);
  // data (pointer, rows, device) twice and two parameters (pointer): nothing else
  CHECK(sizeof(quiz1) == 2 * 24 + 2 * 8);
  CHECK(sizeof(exercise1) == 2 * 24 + 2 * 8);
}
