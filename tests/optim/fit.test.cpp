// tests for include/tapeless/fit.hpp: tl::fit against the loop written out
// (value_and_grad, then step). On the host the two are the same to the bit; the
// GPU tests include this file with FIT_DEVICE tapeless::cuda
// (tests/cuda/fit.gpu.cu), where the data live on the GPU, SGD and Adam run every
// step in one launch, RMSprop a pass per step, and the results agree within
// float tolerance.
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#ifndef FIT_DEVICE
#  define FIT_DEVICE tapeless::cpu
#endif

namespace {
namespace tl = tapeless;
using tl::dyn;

constexpr tl::device fit_device = FIT_DEVICE;

/// Equal on the host; within float tolerance on a device (another summation order).
bool same(double a, double b) {
  if (fit_device == tl::cpu) return a == b;
  return std::abs(a - b) <= 2e-5 * std::fmax(1.0, std::fmax(std::abs(a), std::abs(b)));
}

/// The lecture's Exercise 1 data, and a five-row, three-feature problem (Quiz 1, scaled).
struct exercise1_data {
  tl::tensor<float, dyn, 1> x{{0}, {1}, {1}};
  tl::tensor<float, dyn, 1> y{{0}, {1}, {2}};
};
struct quiz1_data {
  tl::tensor<float, dyn, 3> x{
      {.73f, .80f, .75f}, {.93f, .88f, .93f}, {.89f, .91f, .90f}, {.96f, .98f, 1.0f}, {.73f, .66f, .70f}};
  tl::tensor<float, dyn, 1> y{{1.52f}, {1.85f}, {1.80f}, {1.96f}, {1.42f}};
};

/// The loop `tl::fit` stands for, on the host data.
template <class Loss, class Optimizer, class... Ps>
std::vector<float> written_out(Loss const& loss, Optimizer& optimizer, std::size_t steps, std::size_t every,
                               Ps&... ps) {
  std::vector<float> losses;
  for (std::size_t i = 0; i < steps; ++i) {
    auto [value, grads] = tl::value_and_grad(loss, ps...);
    if (i % every == 0) losses.push_back(value);
    optimizer.step(grads);
  }
  return losses;
}

void check_same(std::vector<float> const& got, std::vector<float> const& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t j = 0; j < got.size(); ++j) {
    CAPTURE(j);
    CHECK(same(got[j], expected[j]));
  }
}
}  // namespace

TEST_CASE("fit: Exercise 1, 3001 SGD steps, is the lecture's loop: same losses every 100 steps, same w and b") {
  exercise1_data host;
  auto const x = host.x.to(fit_device);
  auto const y = host.y.to(fit_device);
  tl::param<"w"> w, w_loop;
  tl::param<"b"> b, b_loop;
  tl::optim::sgd optimizer{tl::params(w, b), {.lr = 0.01}};
  tl::optim::sgd loop{tl::params(w_loop, b_loop), {.lr = 0.01}};

  auto const log = tl::fit(tl::mean(tl::square(x * w + b - y)), optimizer, {.steps = 3001, .record_every = 100});
  auto const expected = written_out(tl::mean(tl::square(host.x * w_loop + b_loop - host.y)), loop, 3001, 100, w_loop,
                                    b_loop);
  CHECK(log.losses.size() == 31);
  CHECK(log.step_of(30) == 3000);
  check_same(log.losses, expected);
  CHECK(same(w.item(), w_loop.item()));
  CHECK(same(b.item(), b_loop.item()));
  CHECK(optimizer.steps() == 3001);
  CHECK(std::abs(w.item() - 1.5f) < 0.001f);  // the lecture's log ends w:1.500 b:0.000
  CHECK(std::abs(b.item()) < 0.001f);
}

TEST_CASE("fit: SGD with momentum and weight decay, in two calls, continues as one loop (the buffers carry over)") {
  quiz1_data host;
  auto const x = host.x.to(fit_device);
  auto const y = host.y.to(fit_device);
  tl::param<"w", 3, 1> w, w_loop;
  tl::param<"b"> b, b_loop;
  tl::optim::sgd_options const settings{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true};
  tl::optim::sgd optimizer{tl::params(w, b), settings};
  tl::optim::sgd loop{tl::params(w_loop, b_loop), settings};

  auto const cost = tl::mse_loss(x.matmul(w) + b, y);
  auto const first = tl::fit(cost, optimizer, {.steps = 150, .record_every = 7});
  auto const second = tl::fit(cost, optimizer, {.steps = 50, .record_every = 1});
  auto const loop_cost = tl::mse_loss(host.x.matmul(w_loop) + b_loop, host.y);
  check_same(first.losses, written_out(loop_cost, loop, 150, 7, w_loop, b_loop));
  check_same(second.losses, written_out(loop_cost, loop, 50, 1, w_loop, b_loop));
  for (std::size_t k = 0; k < 3; ++k) CHECK(same(w[k], w_loop[k]));
  CHECK(same(b.item(), b_loop.item()));
  for (std::size_t k = 0; k < 3; ++k)
    CHECK(same(optimizer.state(w, "momentum_buffer")[k], loop.state(w_loop, "momentum_buffer")[k]));
  CHECK(second.losses.back() < first.losses.front() / 10);
}

TEST_CASE("fit: Adam over a model's parameters, with a parameter the optimizer does not move") {
  quiz1_data host;
  auto const x = host.x.to(fit_device);
  auto const y = host.y.to(fit_device);
  tl::nn::linear<3, 1> model{/*seed=*/3}, model_loop{/*seed=*/3};
  tl::param<"scale"> scale{2.0f}, scale_loop{2.0f};  // read by the loss, fixed
  tl::optim::adam optimizer{model.parameters(), {.lr = 0.01}};
  tl::optim::adam loop{model_loop.parameters(), {.lr = 0.01}};
  auto const log = tl::fit(tl::mse_loss(scale * model(x), y), optimizer, {.steps = 200, .record_every = 50});
  auto const expected = std::apply(
      [&](auto*... p) {
        return written_out(tl::mse_loss(scale_loop * model_loop(host.x), host.y), loop, 200, 50, *p...);
      },
      model_loop.parameters().ptrs);
  check_same(log.losses, expected);
  CHECK(log.losses.size() == 4);
  CHECK(scale.item() == 2.0f);
}

TEST_CASE("fit: RMSprop (no device update: on a GPU, a pass per step) is the loop too") {
  quiz1_data host;
  auto const x = host.x.to(fit_device);
  auto const y = host.y.to(fit_device);
  tl::param<"w", 3, 1> w, w_loop;
  tl::param<"b"> b, b_loop;
  tl::optim::rmsprop_options const settings{.lr = 0.01, .momentum = 0.5, .centered = true};
  tl::optim::rmsprop optimizer{tl::params(w, b), settings};
  tl::optim::rmsprop loop{tl::params(w_loop, b_loop), settings};
  auto const log = tl::fit(tl::mse_loss(x.matmul(w) + b, y), optimizer, {.steps = 60, .record_every = 20});
  auto const loop_cost = tl::mse_loss(host.x.matmul(w_loop) + b_loop, host.y);
  check_same(log.losses, written_out(loop_cost, loop, 60, 20, w_loop, b_loop));
  for (std::size_t k = 0; k < 3; ++k) CHECK(same(w[k], w_loop[k]));
  CHECK(same(b.item(), b_loop.item()));
  CHECK(optimizer.steps() == 60);
}

TEST_CASE("fit: no steps leave everything as it was; record_every 0 is an error") {
  exercise1_data host;
  auto const x = host.x.to(fit_device);
  auto const y = host.y.to(fit_device);
  tl::param<"w"> w{0.5f};
  tl::optim::sgd optimizer{tl::params(w), {.lr = 0.1}};
  auto const cost = tl::mse_loss(x * w, y);
  CHECK(tl::fit(cost, optimizer, {.steps = 0}).losses.empty());
  CHECK(w.item() == 0.5f);
  CHECK(optimizer.steps() == 0);
  CHECK_THROWS_WITH_AS((void)tl::fit(cost, optimizer, {.steps = 10, .record_every = 0}),
                       "tapeless::fit: record_every must be at least 1", tl::error);
  CHECK(w.item() == 0.5f);
}

namespace {
/// tl::fit's one-launch loop as the kernel runs it (its plan, then `fit_step` each step), with the
/// pass on the host: what the kernel computes besides the warp's sums, checked where no GPU is.
template <class Loss, class Optimizer, class... Ps>
std::vector<float> one_launch_loop_on_host(Loss const& loss, Optimizer& optimizer, std::size_t steps,
                                           std::size_t every, Ps&... ps) {
  namespace d = tl::detail;
  auto const e = d::as_expr(loss);
  using Vars = typename d::params_of<d::type_list<>, std::remove_cvref_t<decltype(e)>>::type;
  using Rule = typename Optimizer::rule_type;
  auto program = d::gradient_program<float, Vars>(e, ps...);
  d::gather_params<float, Vars>(e, program.pass.params);
  d::fit_plan<Rule, float, Vars, Optimizer, Ps...> plan(optimizer, steps, every);
  std::vector<float> losses(plan.recorded());
  auto const args = plan.arguments(plan.constants.data(), plan.buffers.data(), losses.data());
  auto const outputs = d::make_expr_list(program.outputs);
  using Layout = typename decltype(plan)::layout;
  constexpr std::size_t K = decltype(program.pass)::sums;
  for (std::size_t step = 0; step < steps; ++step) {
    auto const sums = d::run_pass<K>(program.pass, program.pass.n);
    d::fit_step<Rule, float, Layout>(outputs, program.pass.params, sums.v, args, step,
                                     std::make_index_sequence<sizeof...(Ps)>{});
  }
  plan.finish(program.pass.params);
  return losses;
}
}  // namespace

TEST_CASE("fit: the one-launch loop's plan and step (the GPU kernel's arithmetic) are the loop, to the bit") {
  quiz1_data host;
  tl::param<"w", 3, 1> w, w_loop;
  tl::param<"b"> b, b_loop;
  auto settings = [](auto& ww, auto& bb) {  // two groups: SGD with Nesterov momentum and weight decay
    return tl::optim::groups(tl::optim::group{tl::params(ww), {.lr = 0.05}},
                             tl::optim::group{tl::params(bb), {.lr = 0.02, .momentum = 0.5}});
  };
  tl::optim::sgd optimizer{settings(w, b), {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true}};
  tl::optim::sgd loop{settings(w_loop, b_loop), {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true}};
  auto const cost = tl::mse_loss(host.x.matmul(w) + b, host.y);
  auto const loop_cost = tl::mse_loss(host.x.matmul(w_loop) + b_loop, host.y);
  for (std::size_t run : {std::size_t{0}, std::size_t{1}}) {  // the second run continues the first
    CAPTURE(run);
    std::size_t const steps = run == 0 ? 120 : 45, every = run == 0 ? 11 : 1;
    auto const losses = one_launch_loop_on_host(cost, optimizer, steps, every, w, b);
    auto const expected = written_out(loop_cost, loop, steps, every, w_loop, b_loop);
    REQUIRE(losses.size() == expected.size());
    for (std::size_t j = 0; j < losses.size(); ++j) CHECK(losses[j] == expected[j]);
    for (std::size_t k = 0; k < 3; ++k) CHECK(w[k] == w_loop[k]);
    CHECK(b.item() == b_loop.item());
    for (std::size_t k = 0; k < 3; ++k)
      CHECK(optimizer.state(w, "momentum_buffer")[k] == loop.state(w_loop, "momentum_buffer")[k]);
    CHECK(optimizer.state(b, "momentum_buffer")[0] == loop.state(b_loop, "momentum_buffer")[0]);
    CHECK(optimizer.steps() == loop.steps());
  }
}

TEST_CASE("fit: the one-launch loop with Adam and AdamW (amsgrad, weight decay, groups) is the loop, to the bit") {
  quiz1_data host;
  auto const loop_cost = [&](auto& ww, auto& bb) { return tl::mse_loss(host.x.matmul(ww) + bb, host.y); };
  auto check_rule = [&]<class Options>(Options settings, auto make) {
    tl::param<"w", 3, 1> w, w_loop;
    tl::param<"b"> b, b_loop;
    auto optimizer = make(w, b, settings);
    auto loop = make(w_loop, b_loop, settings);
    for (std::size_t run : {std::size_t{0}, std::size_t{1}}) {  // the second run continues the first
      CAPTURE(run);
      std::size_t const steps = run == 0 ? 90 : 30, every = run == 0 ? 9 : 1;
      auto const losses = one_launch_loop_on_host(loop_cost(w, b), optimizer, steps, every, w, b);
      auto const expected = written_out(loop_cost(w_loop, b_loop), loop, steps, every, w_loop, b_loop);
      REQUIRE(losses.size() == expected.size());
      for (std::size_t j = 0; j < losses.size(); ++j) CHECK(losses[j] == expected[j]);
      for (std::size_t k = 0; k < 3; ++k) CHECK(w[k] == w_loop[k]);
      CHECK(b.item() == b_loop.item());
      for (auto const* buffer : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
        CAPTURE(buffer);
        for (std::size_t k = 0; k < 3; ++k) CHECK(optimizer.state(w, buffer)[k] == loop.state(w_loop, buffer)[k]);
        CHECK(optimizer.state(b, buffer)[0] == loop.state(b_loop, buffer)[0]);
      }
      CHECK(optimizer.steps() == loop.steps());
    }
    CHECK(std::abs(b.item()) > 0.01f);  // it moved
  };
  auto make_adam = [](auto& ww, auto& bb, tl::optim::adam_options o) {  // two groups, other betas for b
    return tl::optim::adam{tl::optim::groups(tl::optim::group{tl::params(ww), {.lr = 0.05}},
                                             tl::optim::group{tl::params(bb), {.betas = {0.8, 0.99}}}),
                           o};
  };
  auto make_adamw = [](auto& ww, auto& bb, tl::optim::adamw_options o) {
    return tl::optim::adamw{tl::params(ww, bb), o};
  };
  SUBCASE("adam, amsgrad and weight decay") {
    check_rule(tl::optim::adam_options{.lr = 0.02, .weight_decay = 1e-2, .amsgrad = true}, make_adam);
  }
  SUBCASE("adam, maximize") {
    check_rule(tl::optim::adam_options{.lr = 0.02, .betas = {0.5, 0.9}, .maximize = true}, make_adam);
  }
  SUBCASE("adamw, amsgrad") { check_rule(tl::optim::adamw_options{.lr = 0.03, .amsgrad = true}, make_adamw); }
}
