#pragma once
// Many optimizer steps in one launch, for problems too small to fill a GPU
// (the lecture's 3 and 5 rows), where a launch and a copy back per step would
// cost more than the step (`tl::fit` calls it from nvcc translation units).
//
// One warp runs the whole loop. Each step, lane l adds rows l, l + 32, … of
// the pass (the same functor as every pass) into K sums, the warp adds them
// (`cub::WarpReduce`), and lane 0 takes the step (`fit_step`): it reads the
// loss and the gradients from the sums and the parameters, records the loss
// every `record_every` steps and applies the optimizer's update to the
// parameters in shared memory. Nothing returns to the host until the last
// step: then the parameters, the optimizer's buffers and the recorded losses
// come back in three copies.
//
// Everything but the kernel is host code too: `fit_plan` lays out the
// optimizer's state and each step's constants before the launch and writes
// them back after, and `fit_step` is host-device, so the host tests run the
// loop's arithmetic (tests/optim/fit.test.cpp).

#include "../../config.hpp"
#include "../../device.hpp"
#include "../../diff/grad.hpp"
#include "../../eval/evaluate.hpp"
#include "../../optim/optimizer.hpp"
#include "buffer.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__CUDACC__)
#  include <cub/warp/warp_reduce.cuh>
#  include <cuda_runtime_api.h>
#endif

namespace tapeless::detail {

/// Rows up to which `tl::fit` runs every step in one launch on one warp;
/// beyond, each step is one pass over the whole GPU. A design estimate (a
/// launch and copy back cost ~10 µs; a warp adds a few thousand rows in that
/// time), not a measurement.
inline constexpr std::size_t fit_one_launch_rows = 8192;
/// Parameter values up to which it does: lane 0 keeps every gradient on its
/// stack, and the parameters live in shared memory.
inline constexpr std::size_t fit_one_launch_params = 1024;

/// Element `I` of an `expr_list`.
template <std::size_t I, class List>
TAPELESS_HOST_DEVICE TAPELESS_INLINE auto const& list_get(List const& list) {
  if constexpr (I == 0) return list.head;
  else return list_get<I - 1>(list.tail);
}

/// Where the optimizer's parameters `Refs…` are: in the parameter block
/// (`Vars`), and among all their elements (gradients, buffers).
template <class Vars, class... Refs>
struct fit_layout {
  static constexpr std::size_t count = sizeof...(Refs);
  template <std::size_t I>
  using ref = std::tuple_element_t<I, std::tuple<Refs...>>;
  template <std::size_t I>
  static constexpr std::size_t size = shape_of_t<ref<I>>::rows * shape_of_t<ref<I>>::cols;
  template <std::size_t I>
  static constexpr std::size_t block_offset = param_offset<Vars, index_in<Vars, ref<I>>>;
  template <std::size_t I>
  static constexpr std::size_t element_offset = prefix_sum<I, (shape_of_t<Refs>::rows * shape_of_t<Refs>::cols)...>;
  static constexpr std::size_t elements = element_offset<count>;
};

/// What the loop needs besides the program (by value in the launch). The
/// pointers are to device memory in the kernel, to host memory in a host run.
template <class T, class Options, class Constants, std::size_t N, std::size_t B>
struct fit_launch {
  static constexpr std::size_t buffer_count = B;
  std::size_t steps;
  std::size_t record_every;
  bool first_steps;             // the optimizer has taken no step yet: init its buffers
  Options options[N];           // of each parameter's group
  Constants const* constants;   // steps × N: each step's constants of each parameter's group
  T* buffers;                   // the optimizer's buffers: buffer b of parameter I at
                                // elements · b + element_offset<I>
  T* losses;                    // the recorded losses
};

/// Step `step` of the loop, given the parameter block and the pass's sums:
/// records the loss when due, computes every gradient, then updates every
/// parameter in `block` with the optimizer's rule (as `optimizer.step` does).
template <class Rule, class T, class Layout, class Outputs, class Launch, std::size_t... I>
TAPELESS_HOST_DEVICE void fit_step(Outputs const& outputs, T* block, double const* sums, Launch const& args,
                                   std::size_t step, std::index_sequence<I...>) {
  constexpr std::size_t B = Launch::buffer_count;
  expr::context<T> const ctx{block, sums};
  if (step % args.record_every == 0) args.losses[step / args.record_every] = list_get<0>(outputs).template at<T>(0, ctx)[0];
  T grads[Layout::elements];  // every gradient before any parameter changes
  auto gradient = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
    using S = shape_of_t<typename Layout::template ref<J>>;
    auto const& out = list_get<J + 1>(outputs);
    for (std::size_t r = 0; r < S::rows; ++r) {
      auto const v = out.template at<T>(r, ctx);
      for (std::size_t j = 0; j < S::cols; ++j) grads[Layout::template element_offset<J> + r * S::cols + j] = v[j];
    }
  };
  (gradient(std::integral_constant<std::size_t, I>{}), ...);
  auto update = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
    auto const& o = args.options[J];
    auto const& c = args.constants[step * Layout::count + J];
    for (std::size_t e = 0; e < Layout::template size<J>; ++e) {
      optim::detail::slots<T, B> s;
      for (std::size_t b = 0; b < B; ++b)
        s.at[b] = args.buffers + Layout::elements * b + Layout::template element_offset<J> + e;
      T& p = block[Layout::template block_offset<J> + e];
      if (args.first_steps && step == 0) Rule::init(p, s, o);
      Rule::update(p, grads[Layout::template element_offset<J> + e], s, c, o);
    }
  };
  (update(std::integral_constant<std::size_t, I>{}), ...);
}

/// The host side of a run of `steps` steps of the optimizer `opt` (rule
/// `Rule`, parameters `Ps…` of value type `T`, read by a loss whose parameters
/// are `Vars`): each step's constants and the optimizer's buffers laid out for
/// `fit_step` before, the parameters, buffers and step count written back after.
template <class Rule, class T, class Vars, class Optimizer, class... Ps>
struct fit_plan {
  using layout = fit_layout<Vars, ref_t<Ps>...>;
  static constexpr std::size_t N = sizeof...(Ps);
  static constexpr std::size_t B = Rule::buffers.size();
  using launch = fit_launch<T, typename Rule::options, typename Rule::constants, N, B>;
  using access = optim::detail::optimizer_access;

  Optimizer& opt;
  std::size_t steps;
  std::size_t record_every;
  std::vector<typename Rule::constants> constants;
  std::vector<T> buffers;

  fit_plan(Optimizer& o, std::size_t n, std::size_t every)
      : opt(o), steps(n), record_every(every), constants(n * N), buffers(layout::elements * B) {
    auto& options = access::options(opt);
    auto& group_of = access::group_of(opt);
    // Each step's constants, as `step` prepares them: they depend on the step
    // count and the group's state, never on the gradients.
    std::vector<typename Rule::constants> of_group(options.size());
    for (std::size_t s = 0; s < steps; ++s) {
      for (std::size_t g = 0; g < options.size(); ++g)
        of_group[g] = Rule::prepare(options[g], access::steps(opt) + s + 1, access::group_state(opt)[g]);
      for (std::size_t i = 0; i < N; ++i) constants[s * N + i] = of_group[group_of[i]];
    }
    each([&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      for (std::size_t b = 0; b < B; ++b)
        for (std::size_t e = 0; e < layout::template size<J>; ++e)
          buffers[slot<J>(b, e)] = std::get<J>(access::buffers(opt))[b][e];
    });
  }

  /// Losses recorded by a run.
  [[nodiscard]] std::size_t recorded() const { return steps == 0 ? 0 : (steps - 1) / record_every + 1; }

  /// The launch's arguments, with `constants`, `buffers` and `losses` where the loop reads them.
  launch arguments(typename Rule::constants const* c, T* b, T* losses) const {
    launch args{steps, record_every, access::steps(opt) == 0, {}, c, b, losses};
    for (std::size_t i = 0; i < N; ++i) args.options[i] = access::options(opt)[access::group_of(opt)[i]];
    return args;
  }

  /// After the run: the parameters from `block`, the buffers from `buffers`, the step count.
  void finish(T const* block) {
    each([&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      auto& p = *std::get<J>(access::params(opt));
      for (std::size_t e = 0; e < layout::template size<J>; ++e) p[e] = block[layout::template block_offset<J> + e];
      for (std::size_t b = 0; b < B; ++b)
        for (std::size_t e = 0; e < layout::template size<J>; ++e)
          std::get<J>(access::buffers(opt))[b][e] = buffers[slot<J>(b, e)];
    });
    access::steps(opt) += steps;
  }

 private:
  template <std::size_t J>
  static std::size_t slot(std::size_t b, std::size_t e) {
    return layout::elements * b + layout::template element_offset<J> + e;
  }
  template <class F>
  static void each(F f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f(std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<N>{});
  }
};

#if defined(__CUDACC__)

template <class Rule, class T, class Layout, std::size_t P, class Pass, class Outputs, class Launch>
__global__ void __launch_bounds__(32) fit_kernel(Pass pass, Outputs outputs, Launch args, T* parameters_out) {
  constexpr std::size_t K = Pass::sums;
  static_assert(P > 0 && K > 0, "tapeless::fit: a loss that reads no parameter or no rows has nothing to fit");
  __shared__ T block[P];  // the parameters, as the steps change them
  __shared__ double sums[K];
  using warp_reduce = cub::WarpReduce<double>;
  __shared__ typename warp_reduce::TempStorage temp;
  unsigned const lane = threadIdx.x;
  for (std::size_t k = lane; k < P; k += 32) block[k] = pass.params[k];
  __syncwarp();
  for (std::size_t step = 0; step < args.steps; ++step) {
    for (std::size_t k = 0; k < P; ++k) pass.params[k] = block[k];
    double acc[K] = {};
    pass.accumulate_strided(lane, 32, acc);
    for (std::size_t k = 0; k < K; ++k) {
      double const total = warp_reduce(temp).Sum(acc[k]);
      if (lane == 0) sums[k] = total;
      __syncwarp();  // temp is reused by the next sum
    }
    if (lane == 0) fit_step<Rule, T, Layout>(outputs, block, sums, args, step, std::make_index_sequence<Layout::count>{});
    __syncwarp();
  }
  for (std::size_t k = lane; k < P; k += 32) parameters_out[k] = block[k];
}

// The uses of a thread's device workspace (`thread_workspace`) by `fit_cuda`:
// kept from call to call, so that a run allocates and frees nothing.
struct fit_constants;
struct fit_buffers;
struct fit_parameters;
struct fit_losses;

/// Runs `steps` steps of the optimizer `opt` on the program `prog` over rows
/// in device memory, in one launch; returns the recorded losses. The program's
/// parameter block holds the parameters' current values.
template <class Rule, class T, class Vars, class... Ps, class Program, class Optimizer>
std::vector<T> fit_cuda(Program& prog, Optimizer& opt, std::size_t steps, std::size_t record_every) {
  using plan_type = fit_plan<Rule, T, Vars, Optimizer, Ps...>;
  using constants_type = typename Rule::constants;
  constexpr std::size_t P = param_block_size<Vars>;
  using outputs_type = decltype(make_expr_list(prog.outputs));
  using launch_type = typename plan_type::launch;
  static_assert(fits_launch<decltype(prog.pass), outputs_type, launch_type, T*>, TAPELESS_LAUNCH_TOO_LARGE);
  plan_type plan(opt, steps, record_every);
  std::size_t const recorded_count = plan.recorded();
  auto* const constants = thread_workspace<fit_constants, constants_type>(plan.constants.size());
  auto* const buffers = thread_workspace<fit_buffers, T>(plan.buffers.size());
  auto* const parameters = thread_workspace<fit_parameters, T>(P);
  auto* const losses = thread_workspace<fit_losses, T>(recorded_count);
  cuda_copy(constants, plan.constants.data(), plan.constants.size() * sizeof(constants_type), copy_kind::to_device);
  cuda_copy(buffers, plan.buffers.data(), plan.buffers.size() * sizeof(T), copy_kind::to_device);

  fit_kernel<Rule, T, typename plan_type::layout, P>
      <<<1, 32>>>(prog.pass, make_expr_list(prog.outputs), plan.arguments(constants, buffers, losses), parameters);
  check_cuda(cudaGetLastError(), "launching the fit kernel");

  std::vector<T> recorded(recorded_count), block(P);
  cuda_copy(recorded.data(), losses, recorded_count * sizeof(T), copy_kind::to_host);  // waits for the kernel
  cuda_copy(block.data(), parameters, P * sizeof(T), copy_kind::to_host);
  cuda_copy(plan.buffers.data(), buffers, plan.buffers.size() * sizeof(T), copy_kind::to_host);
  plan.finish(block.data());
  return recorded;
}

#endif

}  // namespace tapeless::detail
