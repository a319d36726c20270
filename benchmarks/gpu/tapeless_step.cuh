#pragma once
// tapeless's training step on rows in device memory, as `tl::value_and_grad(loss, w, b)` +
// `optimizer.step(grads)` will run it once value_and_grad dispatches on where the data are
// (issue 6): the loss `tl::mse_loss(X.matmul(w) + b, Y)` (mean) lowered once to the one-pass
// program value_and_grad builds (memoize, reverse-mode gradients of w and b), then per step:
// gather the parameter values into the pass, `tl::detail::run_pass_cuda` over the rows (one pass
// kernel, one combine kernel, one copy of the K sums to the host), read the loss and gradients
// from the sums as value_and_grad does, and an SGD update of w and b on the host.
//
// `OnDevice = false` runs the same program with the host pass (`tl::detail::run_pass`) over host
// rows: what `bench.gpu.step --cpu-selftest` checks without a GPU.

#include <tapeless/backend/cuda/row_pass.hpp>
#include <tapeless/tapeless.hpp>

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>

namespace gpu_bench {

/// The loss and gradient (w…, b) that one evaluation returns.
template <std::size_t D>
struct tapeless_values {
  float loss;
  std::array<float, D + 1> grad;
};

/// What `with_tapeless` hands its body.
template <std::size_t D, class W, class B, class Evaluate>
struct tapeless_session {
  W& w;
  B& b;
  Evaluate evaluate;  // () -> tapeless_values<D> at the current parameters
  std::size_t sums;   // K, the pass's row sums
  std::size_t rows;

  /// One training step: evaluate, then w ← w − lr·∂w, b ← b − lr·∂b (as torch.optim.SGD).
  float step(float lr) {
    tapeless_values<D> const v = evaluate();
    update(v, lr);
    return v.loss;
  }
  void update(tapeless_values<D> const& v, float lr) {
    for (std::size_t k = 0; k < D; ++k) w[k] = w[k] - lr * v.grad[k];
    b[0] = b[0] - lr * v.grad[D];
  }
  /// Sets w and b (w…, b).
  template <class P>
  void set(P const& p) {
    for (std::size_t k = 0; k < D; ++k) w[k] = p[k];
    b[0] = p[D];
  }
  [[nodiscard]] std::array<float, D + 1> params() const {
    std::array<float, D + 1> p{};
    for (std::size_t k = 0; k < D; ++k) p[k] = w[k];
    p[D] = b[0];
    return p;
  }
};

/// Builds the loss over the n rows at x (n × D, row-major) and y, lowers it, and returns
/// body(session). With OnDevice the rows must be in device memory and this must be an nvcc
/// translation unit.
template <std::size_t D, bool OnDevice, class Body>
auto with_tapeless(float const* x, float const* y, std::size_t n, Body&& body) {
  namespace tl = tapeless;
  tl::param<"w", D, 1> w;
  tl::param<"b"> b;
  tl::tensor_view<float, tl::dyn, D> const X{x, n};
  tl::tensor_view<float, tl::dyn, 1> const Y{y, n};
  auto const cost = tl::detail::as_expr(tl::mse_loss(X.matmul(w) + b, Y));
  using Vars = typename tl::detail::params_of<tl::detail::type_list<>, decltype(cost)>::type;
  auto const m = tl::detail::memoize(cost);
  auto program = [&] {
    if constexpr (tl::detail::reverse_ready<std::remove_cvref_t<decltype(m)>>())
      return tl::detail::lower_program<float, Vars>(
          std::tuple{m, tl::detail::reverse_gradient(m, w), tl::detail::reverse_gradient(m, b)});
    else
      return tl::detail::lower_program<float, Vars>(std::tuple{m, tl::grad(m, w), tl::grad(m, b)});
  }();
  constexpr std::size_t K = std::remove_cvref_t<decltype(program.pass)>::sums;

  auto evaluate = [&]() {
    tl::detail::gather_params<float, Vars>(cost, program.pass.params);
    tl::detail::accumulator<K> acc;
    if constexpr (OnDevice)
      acc = tl::detail::run_pass_cuda<K>(program.pass, n);
    else
      acc = tl::detail::run_pass<K>(program.pass, n);
    tl::expr::context<float> const ctx{program.pass.params, acc.v};
    tapeless_values<D> v{};
    v.loss = std::get<0>(program.outputs).template at<float>(0, ctx)[0];
    for (std::size_t r = 0; r < D; ++r) v.grad[r] = std::get<1>(program.outputs).template at<float>(r, ctx)[0];
    v.grad[D] = std::get<2>(program.outputs).template at<float>(0, ctx)[0];
    return v;
  };
  tapeless_session<D, decltype(w), decltype(b), decltype(evaluate)> session{w, b, evaluate, K, n};
  return body(session);
}

}  // namespace gpu_bench
