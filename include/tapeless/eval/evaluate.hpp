#pragma once
// Running a lowered expression: gather the parameter block, run the one pass over
// the rows, rewrite the output trees to read the pass's sums. Shared by
// value_and_grad (static-shape outputs) and by building a tensor from an
// expression with `dyn` rows (each row of the lowered tree, after the pass).

#include "../backend/thrust/row_pass.hpp"
#include "../expr/node.hpp"
#include "../param.hpp"
#include "lower.hpp"

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>

namespace tapeless::detail {

/// The parameter values, the K row sums and the lowered outputs of one pass.
template <class T, std::size_t P, std::size_t K, class Lowered>
struct pass_result {
  T block[P > 0 ? P : 1];
  accumulator<K> acc;
  Lowered outputs;

  /// What the lowered outputs read (points into this object: keep it alive).
  [[nodiscard]] expr::context<T> context() const { return {block, acc.v}; }
};

/// The one-pass functor for `outputs` (a tuple of expressions whose parameters
/// are `Vars`, all found in `root`): every row term of every output, the subterms
/// they share, and the parameter values, by value. `n` is set to the rows to run.
template <class T, class Vars, class Outputs, class Root>
auto make_pass(Outputs const& outputs, Root const& root, std::size_t& n) {
  // One block of parameter values, read through the root's parameter leaves.
  constexpr std::size_t P = param_block_size<Vars>;
  T block[P > 0 ? P : 1] = {};
  void const* seen[Vars::size + 1] = {};
  auto gather = [&]<class Leaf>(Leaf const& leaf) {
    if constexpr (is_param_ref<Leaf>) {
      constexpr std::size_t i = index_in<Vars, Leaf>;
      if (seen[i] != nullptr && seen[i] != leaf.values)
        fail("tapeless::value_and_grad: two different parameters are named '" + Leaf::name.str() +
             "'; give each parameter its own name");
      seen[i] = leaf.values;
      constexpr std::size_t off = param_offset<Vars, i>;
      for (std::size_t k = 0; k < shape_of_t<Leaf>::rows * shape_of_t<Leaf>::cols; ++k)
        block[off + k] = static_cast<T>(leaf.values[k]);
    }
  };
  for_each_leaf(root, gather);

  auto const terms = std::apply([](auto const&... o) { return std::tuple_cat(row_terms<T, Vars>(o)...); }, outputs);
  using Terms = std::remove_cvref_t<decltype(terms)>;
  constexpr std::size_t K = []<class... Ts>(std::type_identity<std::tuple<Ts...>>) {
    return sums_after<Ts...>(0);
  }(std::type_identity<Terms>{});
  n = pass_rows(terms);
  // Subterms shared by several terms (memos) are computed once per row.
  using Memos = typename memos_of_tuple<type_list<>, Terms>::type;
  auto const program = shared_program<Memos, Terms>::make(terms, n);
  auto const list = make_expr_list(program.second);
  using Shared = std::remove_cvref_t<decltype(program.first)>;
  block_pass<T, P, K, cache_size<Memos>, Shared, std::remove_cvref_t<decltype(list)>> pass{
      program.first, list, {}, n, rows_per_block};
  for (std::size_t k = 0; k < P; ++k) pass.params[k] = block[k];
  return pass;
}

/// Lowers `outputs` and runs the one pass over the rows.
template <class T, class Vars, class Outputs, class Root>
auto lower_and_pass(Outputs const& outputs, Root const& root) {
  std::size_t n = 0;
  auto const pass = make_pass<T, Vars>(outputs, root, n);
  constexpr std::size_t P = param_block_size<Vars>;
  constexpr std::size_t K = decltype(pass)::sums;

  // The outer trees, with reductions read from the pass (lowered before the pass
  // runs, so a mean over no rows is reported before any work).
  lowering<T, Vars> lower;
  auto lowered = std::apply([&](auto const&... o) { return std::tuple{lower(o)...}; }, outputs);
  pass_result<T, P, K, decltype(lowered)> result{{}, run_pass<K>(pass, n), lowered};
  for (std::size_t k = 0; k < P; ++k) result.block[k] = pass.params[k];
  return result;
}

/// Writes the rows of `e` (any shape, rows `dyn` allowed) to `out`, row-major,
/// with every reduction over rows computed once, in one pass.
template <class U, class E>
void evaluate_rows(E const& e, U* out) {
  using T = value_type_t<E>;
  using Vars = typename params_of<type_list<>, E>::type;
  auto const run = lower_and_pass<T, Vars>(std::tuple{e}, e);
  auto const ctx = run.context();
  auto const& lowered = std::get<0>(run.outputs);
  constexpr std::size_t C = shape_of_t<E>::cols;
  std::size_t const n = rows_of(e);
  for (std::size_t r = 0; r < n; ++r) {
    auto const v = lowered.template at<T>(r, ctx);
    for (std::size_t j = 0; j < C; ++j) out[r * C + j] = static_cast<U>(v[j]);
  }
}

}  // namespace tapeless::detail
