// Compiled by nvcc (-std=c++20 -arch=sm_90) in CI, never run there: every public
// header must stay nvcc-clean, and the lecture's loss must instantiate the whole
// pipeline (build → grad → lower → the Thrust pass) in a CUDA translation unit.
#include <tapeless/backend/cuda/buffer.hpp>
#include <tapeless/backend/cuda/row_pass.hpp>
#include <tapeless/backend/thrust/row_pass.hpp>
#include <tapeless/config.hpp>
#include <tapeless/device.hpp>
#include <tapeless/diff/grad.hpp>
#include <tapeless/eval/distributed.hpp>
#include <tapeless/eval/lower.hpp>
#include <tapeless/expr/arith.hpp>
#include <tapeless/expr/base.hpp>
#include <tapeless/expr/elementwise.hpp>
#include <tapeless/expr/leaf.hpp>
#include <tapeless/expr/matmul.hpp>
#include <tapeless/expr/node.hpp>
#include <tapeless/expr/operand.hpp>
#include <tapeless/expr/reduce.hpp>
#include <tapeless/fixed_name.hpp>
#include <tapeless/loss.hpp>
#include <tapeless/matrix.hpp>
#include <tapeless/nn/linear.hpp>
#include <tapeless/optim/sgd.hpp>
#include <tapeless/param.hpp>
#include <tapeless/shape.hpp>
#include <tapeless/tapeless.hpp>
#include <tapeless/tensor.hpp>
#include <tapeless/value_and_grad.hpp>

#include <cstdio>

namespace tl = tapeless;

/// The one-pass functor value_and_grad builds for `cost` and its gradients.
template <class Cost, class W, class B>
auto lowered_pass(Cost const& cost, W const& w, B const& b) {
  using Vars = typename tl::detail::params_of<tl::detail::type_list<>, Cost>::type;
  auto const m = tl::detail::memoize(cost);
  return tl::detail::make_pass<float, Vars>(std::tuple{m, tl::grad(m, w), tl::grad(m, b)});
}

int main() {
  tl::tensor<float, tl::dyn, 3> x_train{{73, 80, 75}, {93, 88, 93}, {89, 91, 90}, {96, 98, 100}, {73, 66, 70}};
  tl::tensor<float, tl::dyn, 1> y_train{{152}, {185}, {180}, {196}, {142}};
  tl::param<"w", 3, 1> w;
  tl::param<"b"> b;
  tl::optim::sgd optimizer{tl::params(w, b), {.lr = 1e-5}};

  auto cost = tl::mse_loss(x_train.matmul(w) + b, y_train);
  auto [value, grads] = tl::value_and_grad(cost, w, b);
  optimizer.step(grads);

  // The data-parallel seam (tapeless/mpi.hpp builds on it): means over the rows of all processes,
  // and a combine step on the row sums, here the one process's own.
  auto const over_all = tl::detail::divide_means_by{tl::detail::batch_rows(cost)}(cost);
  tl::detail::local_sums combine;
  auto const again = tl::detail::value_and_grad_of(over_all, combine, w, b);

  auto pass = lowered_pass(cost, w, b);
  static_assert(std::is_trivially_copyable_v<decltype(pass)>);
  if (tl::cuda_available()) {
    // The pass kernel, instantiated for the lecture's loss (it would read x_train on the host
    // here: device rows come with tests/cuda/row_pass.gpu.cu; this unit is only compiled).
    constexpr std::size_t K = decltype(pass)::sums;
    if (x_train.rows() == 0) (void)tl::detail::run_pass_cuda<K>(pass, 0);
  }
  std::printf("%s %f %f\n", (tl::cuda_available() ? tl::cuda : tl::cpu).name().data(), static_cast<double>(value),
              static_cast<double>(again.value));
  return 0;
}
