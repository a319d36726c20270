#pragma once
// Lowered programs the backend tests run directly (tests/backend on the host,
// tests/cuda on a GPU), built as value_and_grad builds them.
#include <tapeless/tapeless.hpp>

#include <cstddef>
#include <tuple>

namespace laws {

/// The lowered program of Σ (X w + b − y)² and its gradients over the `n` rows at
/// `x` (n × D) and `y`, in host or device memory (lowering reads no data): a sum,
/// so that no rows is a valid pass. Its parameter block holds w and b.
template <std::size_t D>
auto squared_error_program(float const* x, float const* y, std::size_t n, tapeless::param<"w", D, 1> const& w,
                           tapeless::param<"b"> const& b) {
  namespace tl = tapeless;
  tl::tensor_view<float, tl::dyn, D> const X{x, n};
  tl::tensor_view<float, tl::dyn, 1> const Y{y, n};
  auto const cost = tl::detail::as_expr(tl::mse_loss(X.matmul(w) + b, Y, tl::reduction::sum));
  using Vars = typename tl::detail::params_of<tl::detail::type_list<>, decltype(cost)>::type;
  auto const m = tl::detail::memoize(cost);
  auto program = tl::detail::lower_program<float, Vars>(
      std::tuple{m, tl::detail::reverse_gradient(m, w), tl::detail::reverse_gradient(m, b)});
  tl::detail::gather_params<float, Vars>(cost, program.pass.params);
  return program;
}

}  // namespace laws
