#pragma once
// tapeless's training step on rows in device memory: `tl::value_and_grad(loss, w, b)` over views
// of device memory (`tl::tensor_view(ptr, n, tl::cuda)`), which in this nvcc translation unit
// runs the pass on the GPU (one pass kernel, one combine kernel, one copy of the K sums to the
// host) and reads the loss and gradients from the sums; then an SGD update of w and b on the
// host, as torch.optim.SGD.
//
// `OnDevice = false` runs the same call over host rows (views marked tl::cpu): the host pass,
// what `bench.gpu.step --cpu-selftest` checks without a GPU.

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
  tl::device const where = OnDevice ? tl::cuda : tl::cpu;
  tl::tensor_view<float, tl::dyn, D> const X{x, n, where};
  tl::tensor_view<float, tl::dyn, 1> const Y{y, n, where};
  auto const cost = tl::mse_loss(X.matmul(w) + b, Y);
  // K, the pass's row sums, for the report: the type of the program value_and_grad lowers.
  auto const e = tl::detail::as_expr(cost);
  using Vars = typename tl::detail::params_of<tl::detail::type_list<>, decltype(e)>::type;
  using M = decltype(tl::detail::memoize(e));
  using Program = decltype(tl::detail::lower_program<float, Vars>(
      std::tuple{std::declval<M const&>(), tl::detail::reverse_gradient(std::declval<M const&>(), w),
                 tl::detail::reverse_gradient(std::declval<M const&>(), b)}));
  constexpr std::size_t K = std::remove_cvref_t<decltype(std::declval<Program&>().pass)>::sums;

  auto evaluate = [&]() {
    auto const [value, grads] = tl::value_and_grad(cost, w, b);
    tapeless_values<D> v{};
    v.loss = value;
    for (std::size_t r = 0; r < D; ++r) v.grad[r] = grads[w][r];
    v.grad[D] = grads[b].item();
    return v;
  };
  tapeless_session<D, decltype(w), decltype(b), decltype(evaluate)> session{w, b, evaluate, K, n};
  return body(session);
}

}  // namespace gpu_bench
