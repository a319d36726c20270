#pragma once
// What a data-parallel evaluation needs from the core (tapeless/mpi.hpp is
// one): every process holds some of the rows and runs the one pass over them;
// the processes then add their row sums (the `combine` step of
// `detail::value_and_grad_of`) before the outputs read them. A mean over rows
// must divide by the rows of all processes, not by its own: `divide_means_by`
// writes that count into the loss before it is differentiated, so the
// gradients divide by it too. Nothing here depends on a transport.

#include "../expr/arith.hpp"
#include "../expr/leaf.hpp"
#include "../expr/node.hpp"
#include "../expr/reduce.hpp"
#include "lower.hpp"

#include <cstddef>
#include <type_traits>

namespace tapeless::detail {

/// The rows of the batch (`dyn`-row) leaves of `e`, 0 when it reads none;
/// throws `tapeless::error` when two of them differ (as the pass would).
template <class E>
std::size_t batch_rows(E const& e) {
  std::size_t n = 0;
  bool seen = false;
  auto visit = [&]<class Leaf>(Leaf const& leaf) {
    if constexpr (shape_of_t<Leaf>::rows == dyn) note_batch_rows(n, seen, rows_of(leaf));
  };
  for_each_leaf(e, visit);
  return n;
}

template <class E>
inline constexpr bool is_mean_over_rows = false;
template <class X>
inline constexpr bool is_mean_over_rows<expr::mean<X>> = shape_of_t<X>::rows == dyn;

/// Whether `E` holds a mean over rows.
template <class E>
struct is_mean_over_rows_node : std::bool_constant<is_mean_over_rows<E>> {};
template <class E>
constexpr bool has_mean_over_rows() {
  return any_node<is_mean_over_rows_node, E>();
}

/// Rewrites every mean over rows, `mean(x)`, as `sum(x) · 1/(rows · C)` for
/// `rows` the row count of all processes together (C the columns of x); keeps
/// every other node, means over parameters included. Call it with rows > 0
/// when the loss has a mean over rows.
struct divide_means_by {
  std::size_t rows;

  template <class E>
  constexpr auto operator()(E const& e) {
    if constexpr (is_mean_over_rows<E>) {
      using X = std::remove_cvref_t<decltype(e.arg)>;
      double const count = static_cast<double>(rows) * static_cast<double>(shape_of_t<X>::cols);
      return expr::build_mul(expr::scalar<double>{{}, 1.0 / count}, expr::sum<X>{e.arg});
    } else if constexpr (has_children<E>) {
      return e.map(*this);
    } else {
      return e;
    }
  }
};

}  // namespace tapeless::detail
