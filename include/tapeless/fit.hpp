#pragma once
// `tl::fit(loss, optimizer, {.steps = n, .record_every = k})`: the lecture's
// training loop as one call.
//
//     auto const log = tl::fit(cost, optimizer, {.steps = 3001, .record_every = 100});
//     for (std::size_t j = 0; j < log.losses.size(); ++j)
//       std::printf("Epoch %4zu cost: %.3f\n", log.step_of(j), log.losses[j]);
//
// Each step is `value_and_grad(loss, params…)` and `optimizer.step(grads)`
// on the optimizer's parameters: on the host, exactly the loop written out
// (the same parameters to the bit). When the loss reads data on cuda in an
// nvcc translation unit, the steps run on the GPU; a problem of at most
// `detail::fit_one_launch_rows` rows with SGD or Adam(W) runs every step in one launch,
// with nothing returning to the host until the last (backend/cuda/fit.hpp),
// since a launch per step would cost more than the step. The loss before
// step i is recorded when i is a multiple of `record_every`.

#include "backend/cuda/fit.hpp"
#include "config.hpp"
#include "eval/evaluate.hpp"
#include "optim/optimizer.hpp"
#include "value_and_grad.hpp"

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace tapeless {

/// How many steps `tl::fit` takes, and how often it records the loss.
struct fit_options {
  std::size_t steps = 0;
  std::size_t record_every = 1;  // the loss before step i is recorded when i % record_every == 0
};

/// What `tl::fit` returns: `losses[j]`, the loss before step `step_of(j)`.
template <class T>
struct fit_log {
  std::vector<T> losses;
  std::size_t record_every = 1;

  [[nodiscard]] std::size_t step_of(std::size_t j) const { return j * record_every; }
};

namespace detail {

/// An optimizer of `tl::optim` that updates each element on its own (sgd, adam, …).
template <class O>
concept elementwise_optimizer = requires { typename O::rule_type; };

/// True when `Rule`'s update also runs on a GPU.
template <class Rule>
constexpr bool device_rule() {
  if constexpr (requires { Rule::device_update; }) return Rule::device_update;
  else return false;
}

inline namespace TAPELESS_UNIT {

/// The loop written out: `value_and_grad` and `step`, `o.steps` times.
template <class E, class Optimizer>
auto fit_steps(E const& loss, Optimizer& optimizer, fit_options const& o) {
  fit_log<value_type_t<E>> log{{}, o.record_every};
  log.losses.reserve(o.steps == 0 ? 0 : (o.steps - 1) / o.record_every + 1);
  auto const& params = optim::detail::optimizer_access::params(optimizer);
  local_sums combine;
  for (std::size_t i = 0; i < o.steps; ++i) {
    auto const result = std::apply([&](auto*... p) { return value_and_grad_of(loss, combine, *p...); }, params);
    if (i % o.record_every == 0) log.losses.push_back(result.value);
    optimizer.step(result.grads);
  }
  return log;
}

}  // namespace TAPELESS_UNIT

}  // namespace detail

inline namespace TAPELESS_UNIT {  // see config.hpp

/// Trains: `o.steps` times `optimizer.step(value_and_grad(loss, params…).grads)`
/// over the optimizer's parameters, recording the loss every `o.record_every`
/// steps. The parameters and the optimizer's state end as that loop leaves
/// them. The loss must read the optimizer's parameters (and may read others,
/// which stay fixed).
template <operand L, detail::elementwise_optimizer Optimizer>
auto fit(L const& loss, Optimizer& optimizer, fit_options const& o) {
  TAPELESS_CHECK(o.record_every >= 1, "tapeless::fit: record_every must be at least 1");
  auto const e = detail::as_expr(loss);
#if defined(__CUDACC__)
  if (detail::data_device(e) == cuda) {
    using E = std::remove_cvref_t<decltype(e)>;
    detail::check_pass_device<E>(cuda);  // what every pass over data on cuda takes, one launch or not
    using T = value_type_t<E>;
    using Rule = typename Optimizer::rule_type;
    using Vars = typename detail::params_of<detail::type_list<>, E>::type;
    auto const& params = optim::detail::optimizer_access::params(optimizer);
    return std::apply(
        [&]<class... Ps>(Ps* const&... p) -> fit_log<T> {
          // An update that runs on a GPU (SGD, Adam), parameters of the loss's value type, all read by the loss,
          // gradients by the backward sweep (whose outputs device code can evaluate), and a parameter
          // block that fits the warp's shared memory and lane 0's registers.
          constexpr bool one_launch =
              detail::device_rule<Rule>() && (std::is_same_v<typename Ps::value_type, T> && ...) &&
              ((detail::index_in<Vars, detail::ref_t<Ps>> < Vars::size) && ...) &&
              detail::reverse_ready<std::remove_cvref_t<decltype(detail::memoize(e))>>() &&
              detail::param_block_size<Vars> <= detail::fit_one_launch_params &&
              std::remove_cvref_t<decltype(detail::gradient_program<T, Vars>(e, *p...))>::pass_type::sums > 0;
          if constexpr (one_launch) {
            detail::check_passed_params(e, *p...);
            auto& program = detail::gradient_program<T, Vars>(e, *p...);
            if (program.pass.n <= detail::fit_one_launch_rows) {
              detail::gather_params<T, Vars>(e, program.pass.params);
              return {detail::fit_cuda<Rule, T, Vars, Ps...>(program, optimizer, o.steps, o.record_every),
                      o.record_every};
            }
          }
          return detail::fit_steps(e, optimizer, o);
        },
        params);
  }
#endif
  return detail::fit_steps(e, optimizer, o);
}

/// L-BFGS and other optimizers that are not elementwise: a clear error.
template <operand L, class Optimizer>
  requires(!detail::elementwise_optimizer<Optimizer>)
auto fit(L const&, Optimizer&, fit_options const&) {
  static_assert(detail::elementwise_optimizer<Optimizer>,
                "tapeless::fit: the optimizer is not an elementwise one of tl::optim (sgd, adam, ...); L-BFGS "
                "evaluates the loss several times per step: call its step(closure) in a loop");
}

}  // namespace TAPELESS_UNIT

}  // namespace tapeless
