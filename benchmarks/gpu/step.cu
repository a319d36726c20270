// bench.gpu.step: the C++ rows of the GPU benchmark (benchmarks/gpu/README.md), one JSON object
// per line: the read floor, the hand-fused CUDA kernel and tapeless, on the big workloads
// (N = 10^8 × D = 3, N = 2·10^7 × D = 16) and the lecture problems (Exercise 1, Quiz 1).
//
//   bench.gpu.step [--out FILE] [--quick] [--steps S] [--reps R] [--workloads a,b] [--seed N]
//   bench.gpu.step --cpu-selftest [--out FILE]
//
// Every method is checked before it is timed: on the big workloads its loss and gradient at the
// check point against a float64 reference drawn again on the host (err > 1e-3: "wrong", not
// timed); on the lecture problems its trained (w, b) against a float64 training. A step is timed
// with CUDA events around it (its copy of the sums to the host and its host update included),
// after warm-up steps, S steps (default 30), the median reported; a lecture problem's whole
// training likewise, R trainings (default 20). Without a GPU it says why and exits 77.
// --cpu-selftest runs, without any CUDA call, the same per-thread arithmetic of the hand kernels
// (for odd grids), tapeless's program with the host pass, the references and the JSON, at the
// --quick sizes: what can be checked on a machine without a GPU.
#include "common.cuh"
#include "kernels.cuh"
#include "tapeless_step.cuh"

#include <tapeless/backend/cuda/buffer.hpp>
#include <tapeless/backend/cuda/row_pass.hpp>
#include <tapeless/device.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <cuda_runtime_api.h>

namespace tl = tapeless;
using namespace gpu_bench;
using tl::detail::check_cuda;
using tl::detail::device_buffer;

namespace {

struct options {
  std::string out = "gpu_step.jsonl";
  bool quick = false;
  bool cpu_selftest = false;
  int steps = 30;   // timed steps per big workload (median)
  int warmup = 5;   // untimed steps first
  int reps = 20;    // timed trainings per lecture problem (median)
  std::vector<std::string> workloads;  // empty: all
  std::uint32_t seed = default_seed;
};

struct row {
  row(workload w, std::string m) : wl(std::move(w)), method(std::move(m)) {}
  workload wl;
  std::string method;
  std::string status = "ok";  // ok | wrong | failed
  double err = NAN;
  double ms_per_step = NAN;
  double training_ms = NAN;  // lecture problems: the whole training
  int steps = 0;             // steps per timed unit (1, or the lecture's)
  int repetitions = 0;
  double extra_bytes = NAN;
  std::string extra_how;
  double memgetinfo_delta = NAN;
  double ref_loss = NAN;
  double loss = NAN;
  std::string note;
};

std::FILE* json_out = nullptr;

void emit(row const& r) {
  std::string s = "{\"source\": \"cpp\", \"workload\": " + quoted(r.wl.name) + ", \"n\": " + std::to_string(r.wl.n) +
                  ", \"d\": " + std::to_string(r.wl.d) + ", \"lecture\": " + (r.wl.lecture ? "true" : "false") +
                  ", \"bytes\": " + number(r.wl.bytes()) + ", \"method\": " + quoted(r.method) +
                  ", \"status\": " + quoted(r.status) + ", \"err\": " + number(r.err, 17) +
                  ", \"ms_per_step\": " + number(r.ms_per_step) + ", \"training_ms\": " + number(r.training_ms) +
                  ", \"steps\": " + std::to_string(r.steps) + ", \"repetitions\": " + std::to_string(r.repetitions) +
                  ", \"extra_bytes\": " + number(r.extra_bytes) + ", \"extra_how\": " + quoted(r.extra_how) +
                  ", \"memgetinfo_delta\": " + number(r.memgetinfo_delta) + ", \"ref_loss\": " + number(r.ref_loss, 17) +
                  ", \"loss\": " + number(r.loss, 17) + ", \"note\": " + quoted(r.note) + "}";
  std::fprintf(json_out, "%s\n", s.c_str());
  std::fflush(json_out);
  std::printf("  %-10s %-14s %-6s err %-9.2e", r.wl.name.c_str(), r.method.c_str(), r.status.c_str(), r.err);
  if (std::isfinite(r.training_ms)) std::printf("  %10.3f ms/training", r.training_ms);
  if (std::isfinite(r.ms_per_step)) std::printf("  %10.4f ms/step", r.ms_per_step);
  if (!r.note.empty()) std::printf("  (%s)", r.note.c_str());
  std::printf("\n");
  std::fflush(stdout);
}

std::vector<workload> workloads(options const& o) {
  std::vector<workload> all;
  if (o.quick || o.cpu_selftest) {
    all.push_back({"lr-1e8x3", 1'000'003, 3});
    all.push_back({"lr-2e7x16", 200'011, 16});
  } else {
    all.push_back({"lr-1e8x3", 100'000'000, 3});
    all.push_back({"lr-2e7x16", 20'000'000, 16});
  }
  all.push_back({"exercise1", 3, 1, true});
  all.push_back({"quiz1", 5, 3, true});
  if (o.workloads.empty()) return all;
  std::vector<workload> picked;
  for (auto const& w : all)
    if (std::find(o.workloads.begin(), o.workloads.end(), w.name) != o.workloads.end()) picked.push_back(w);
  return picked;
}

lecture_problem lecture_of(workload const& w) { return w.name == "exercise1" ? exercise1() : quiz1(); }

/// The loss and gradient from the D + 2 sums {Σe², Σe·x_k…, Σe} over n rows.
loss_and_grad from_sums(double const* s, std::size_t d, std::size_t n) {
  loss_and_grad out;
  double const nn = static_cast<double>(n);
  out.loss = s[0] / nn;
  out.grad.resize(d + 1);
  for (std::size_t k = 0; k < d; ++k) out.grad[k] = 2.0 * s[1 + k] / nn;
  out.grad[d] = 2.0 * s[d + 1] / nn;
  return out;
}

template <std::size_t D>
loss_and_grad from_values(tapeless_values<D> const& v) {
  loss_and_grad out;
  out.loss = v.loss;
  out.grad.assign(v.grad.begin(), v.grad.end());
  return out;
}

// ---------------------------------------------------------------- timing on the device

class event_timer {
 public:
  event_timer() {
    check_cuda(cudaEventCreate(&start_), "cudaEventCreate");
    check_cuda(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  event_timer(event_timer const&) = delete;
  event_timer& operator=(event_timer const&) = delete;
  ~event_timer() {
    (void)cudaEventDestroy(start_);
    (void)cudaEventDestroy(stop_);
  }
  /// Milliseconds between events recorded before and after f() on the default stream.
  template <class F>
  double time(F&& f) {
    check_cuda(cudaEventRecord(start_), "cudaEventRecord");
    f();
    check_cuda(cudaEventRecord(stop_), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(stop_), "cudaEventSynchronize");
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
    return ms;
  }

 private:
  cudaEvent_t start_{}, stop_{};
};

/// Median milliseconds of `count` calls of f after `warmup` untimed ones.
template <class F>
double median_ms(int warmup, int count, F&& f) {
  for (int i = 0; i < warmup; ++i) f();
  check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  event_timer timer;
  std::vector<double> ms;
  for (int i = 0; i < count; ++i) ms.push_back(timer.time(f));
  return median(ms);
}

double free_device_bytes() {
  std::size_t free = 0, total = 0;
  check_cuda(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  return static_cast<double>(free);
}

struct device_info {
  std::string name;
  int sms = 0;
};

device_info query_device() {
  int dev = 0;
  check_cuda(cudaGetDevice(&dev), "cudaGetDevice");
  cudaDeviceProp prop{};
  check_cuda(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties");
  device_info info{prop.name, prop.multiProcessorCount};
  int driver = 0, runtime = 0, mem_khz = 0, bus_bits = 0;
  (void)cudaDriverGetVersion(&driver);
  (void)cudaRuntimeGetVersion(&runtime);
  (void)cudaDeviceGetAttribute(&mem_khz, cudaDevAttrMemoryClockRate, dev);
  (void)cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev);
  (void)cudaGetLastError();
  // Datasheet-style peak: 2 transfers per memory clock (DDR) × bus width.
  double const peak = 2.0 * mem_khz * 1e3 * bus_bits / 8.0;
  std::string s = "{\"context\": {\"source\": \"cpp\", \"device\": " + quoted(prop.name) +
                  ", \"compute_capability\": " + quoted(std::to_string(prop.major) + "." + std::to_string(prop.minor)) +
                  ", \"sms\": " + std::to_string(prop.multiProcessorCount) +
                  ", \"memory_bytes\": " + number(static_cast<double>(prop.totalGlobalMem)) +
                  ", \"l2_bytes\": " + std::to_string(prop.l2CacheSize) + ", \"peak_bandwidth\": " +
                  number(peak > 0 ? peak : NAN) + ", \"cuda_driver\": " + std::to_string(driver) +
                  ", \"cuda_runtime\": " + std::to_string(runtime) + ", \"status\": " + quoted(tl::cuda_status()) + "}}";
  std::fprintf(json_out, "%s\n", s.c_str());
  std::printf("bench.gpu.step: %s, %d SMs\n", prop.name, prop.multiProcessorCount);
  return info;
}

void fill(float* out, std::size_t count, std::uint32_t key, int sms) {
  fill_kernel<<<static_cast<unsigned>(sms) * 8u, 256>>>(out, count, key);
  check_cuda(cudaGetLastError(), "launching fill_kernel");
}

// ---------------------------------------------------------------- big workloads on the device

/// The read floor: Σ X + Σ y with 16-byte loads; the fastest of a few grids (blocks per SM).
row run_floor(workload const& wl, float const* dx, float const* dy, reference_result const& ref, options const& o,
              device_info const& dev) {
  row r{wl, "floor"};
  r.steps = 1;
  r.ref_loss = ref.at_check.loss;
  constexpr unsigned threads = 256;
  double best = INFINITY;
  unsigned best_per_sm = 0;
  double worst_err = 0;
  double const before = free_device_bytes();
  for (unsigned per_sm : {2u, 4u, 8u, 16u}) {
    unsigned const blocks = static_cast<unsigned>(dev.sms) * per_sm;
    device_buffer<float> partials(blocks);
    device_buffer<double> total(1);
    auto once = [&] {
      floor_kernel<threads><<<blocks, threads>>>(dx, wl.n * wl.d, dy, wl.n, partials.data());
      check_cuda(cudaGetLastError(), "launching floor_kernel");
      floor_combine_kernel<<<1, 256>>>(partials.data(), blocks, total.data());
      check_cuda(cudaGetLastError(), "launching floor_combine_kernel");
    };
    once();
    double sum = 0;
    total.copy_to_host(&sum, 1);
    // Catches a kernel that skips or repeats a share of the data; the indexing itself is checked to
    // 1e-7 by --cpu-selftest (one value missed moves this by ~1/Σ|v| only).
    double const err = std::fabs(sum - ref.sum) / ref.sum_abs;
    worst_err = std::max(worst_err, err);
    double const ms = median_ms(o.warmup, o.steps, once);
    if (ms < best) {
      best = ms;
      best_per_sm = per_sm;
    }
  }
  r.memgetinfo_delta = before - free_device_bytes();
  r.err = worst_err;
  r.repetitions = o.steps;
  if (worst_err > wrong_above) {
    r.status = "wrong";
    r.note = "the sum of X and y differs from the host's";
    return r;
  }
  r.ms_per_step = best;
  r.extra_bytes = static_cast<double>(dev.sms) * best_per_sm * sizeof(float) + sizeof(double);
  r.extra_how = "allocated: block partials";
  r.note = "fastest of 2/4/8/16 blocks of 256 per SM: " + std::to_string(best_per_sm) +
           "; kernel + combine, no copy to the host";
  return r;
}

/// The hand-fused kernel's step: one kernel over the rows, one combine, one copy, host update.
template <int D>
row run_hand(workload const& wl, float const* dx, float const* dy, reference_result const& ref,
             std::vector<float> const& check, options const& o, device_info const& dev) {
  constexpr int K = D + 2;
  constexpr unsigned threads = 256;
  row r{wl, "hand"};
  r.steps = 1;
  r.ref_loss = ref.at_check.loss;
  std::size_t const units = std::max<std::size_t>(1, wl.n / 4);
  unsigned const blocks = static_cast<unsigned>(
      std::max<std::size_t>(1, std::min<std::size_t>((units + threads - 1) / threads, dev.sms * 4u)));
  double const before = free_device_bytes();
  device_buffer<double> partials(static_cast<std::size_t>(blocks) * K + K);
  double* const out = partials.data() + static_cast<std::size_t>(blocks) * K;
  hand_params<D> p{};
  for (int k = 0; k < D; ++k) p.w[k] = check[static_cast<std::size_t>(k)];
  p.b = check[D];
  double sums[K];
  auto evaluate = [&] {
    hand_step_kernel<D, threads><<<blocks, threads>>>(dx, dy, wl.n, p, partials.data());
    check_cuda(cudaGetLastError(), "launching hand_step_kernel");
    hand_combine_kernel<K><<<K, 256>>>(partials.data(), blocks, out);
    check_cuda(cudaGetLastError(), "launching hand_combine_kernel");
    check_cuda(cudaMemcpy(sums, out, sizeof sums, cudaMemcpyDeviceToHost), "cudaMemcpy of the sums");
    return from_sums(sums, D, wl.n);
  };
  auto const first = evaluate();
  r.loss = first.loss;
  r.err = error(first, ref.at_check);
  if (!(r.err <= wrong_above)) {
    r.status = "wrong";
    return r;
  }
  auto step = [&] {
    auto const v = evaluate();
    for (int k = 0; k < D; ++k) p.w[k] = p.w[k] - step_lr * static_cast<float>(v.grad[static_cast<std::size_t>(k)]);
    p.b = p.b - step_lr * static_cast<float>(v.grad[D]);
  };
  r.ms_per_step = median_ms(o.warmup, o.steps, step);
  r.repetitions = o.steps;
  r.memgetinfo_delta = before - free_device_bytes();
  r.extra_bytes = static_cast<double>(partials.size() * sizeof(double));
  r.extra_how = "allocated: block partials";
  r.note = std::to_string(blocks) + " blocks of 256, rows in groups of 4 (16-byte loads)";
  return r;
}

/// tapeless's step (tapeless_step.cuh) at the check point, then timed.
template <std::size_t D>
row run_tapeless(workload const& wl, float const* dx, float const* dy, reference_result const& ref,
                 std::vector<float> const& check, options const& o) {
  row r{wl, "tapeless"};
  r.steps = 1;
  r.ref_loss = ref.at_check.loss;
  double const before = free_device_bytes();
  with_tapeless<D, true>(dx, dy, wl.n, [&](auto& s) {
    s.set(check);
    auto const first = from_values<D>(s.evaluate());
    r.loss = first.loss;
    r.err = error(first, ref.at_check);
    if (!(r.err <= wrong_above)) {
      r.status = "wrong";
      return 0;
    }
    r.ms_per_step = median_ms(o.warmup, o.steps, [&] { s.step(step_lr); });
    r.repetitions = o.steps;
    // run_pass_cuda's workspace: the blocks' partial sums and the K totals (row_pass.hpp).
    std::size_t const blocks = tl::detail::pass_blocks(wl.n);
    r.extra_bytes = static_cast<double>((blocks * s.sums + s.sums) * sizeof(double));
    r.extra_how = "allocated: run_pass_cuda's workspace";
    r.note = "K = " + std::to_string(s.sums) + " sums, " + std::to_string(blocks) +
             " blocks; per step: pass + combine kernels, copy of the sums, SGD on the host";
    return 0;
  });
  r.memgetinfo_delta = before - free_device_bytes();
  return r;
}

template <int D>
void run_big(workload const& wl, options const& o, device_info const& dev) {
  std::vector<float> const check = check_point(wl.d, o.seed);
  std::printf("%s: N = %zu, D = %zu, %.2f GB of X and y\n", wl.name.c_str(), wl.n, wl.d, wl.bytes() / 1e9);
  std::vector<row> failed;
  try {
    device_buffer<float> x(wl.n * wl.d), y(wl.n);
    fill(x.data(), wl.n * wl.d, stream_key(o.seed, stream_x), dev.sms);
    fill(y.data(), wl.n, stream_key(o.seed, stream_y), dev.sms);
    check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize after the fill kernels");
    reference_result const ref = reference(wl, check, o.seed);
    using runner = std::function<row()>;
    std::vector<std::pair<std::string, runner>> methods = {
        {"floor", [&] { return run_floor(wl, x.data(), y.data(), ref, o, dev); }},
        {"hand", [&] { return run_hand<D>(wl, x.data(), y.data(), ref, check, o, dev); }},
        {"tapeless", [&] { return run_tapeless<static_cast<std::size_t>(D)>(wl, x.data(), y.data(), ref, check, o); }},
    };
    for (auto& [name, run] : methods) {
      try {
        emit(run());
      } catch (std::exception const& e) {
        row r{wl, name};
        r.status = "failed";
        r.note = e.what();
        emit(r);
      }
    }
  } catch (std::exception const& e) {  // the data could not be made: every method fails
    for (char const* name : {"floor", "hand", "tapeless"}) {
      row r{wl, name};
      r.status = "failed";
      r.note = std::string("data: ") + e.what();
      emit(r);
    }
  }
}

// ---------------------------------------------------------------- lecture problems on the device

/// Times `train` (one whole training, returns the trained w…, b) R times after one untimed run
/// whose result is checked against the float64 training.
template <class Train>
void time_training(row& r, lecture_problem const& lp, options const& o, Train&& train) {
  std::vector<float> const p = train();
  r.err = lecture_error(p, lecture_reference(lp));
  r.steps = lp.steps;
  if (!(r.err <= wrong_above)) {
    r.status = "wrong";
    return;
  }
  r.training_ms = median_ms(0, o.reps, [&] { (void)train(); });
  r.ms_per_step = r.training_ms / lp.steps;
  r.repetitions = o.reps;
}

template <int D>
void run_lecture(workload const& wl, options const& o) {
  lecture_problem const lp = lecture_of(wl);
  int const n = static_cast<int>(lp.y.size());
  std::printf("%s: %d rows, D = %d, %d steps, lr %g\n", wl.name.c_str(), n, D, lp.steps, static_cast<double>(lp.lr));
  auto guarded = [&](char const* name, auto&& body) {
    row r{wl, name};
    try {
      body(r);
    } catch (std::exception const& e) {
      r.status = "failed";
      r.note = e.what();
    }
    emit(r);
  };
  std::optional<device_buffer<float>> x, y;
  try {
    x.emplace(lp.x.size());
    y.emplace(lp.y.size());
    x->copy_from_host(lp.x.data(), lp.x.size());
    y->copy_from_host(lp.y.data(), lp.y.size());
  } catch (std::exception const& e) {  // the data could not be copied: every method fails
    for (char const* name : {"hand", "hand-1launch", "tapeless"}) {
      row r{wl, name};
      r.status = "failed";
      r.note = std::string("data: ") + e.what();
      emit(r);
    }
    return;
  }

  guarded("hand", [&](row& r) {
    constexpr int K = D + 2;
    device_buffer<double> partials(K + K);
    time_training(r, lp, o, [&] {
      hand_params<D> p{};
      double sums[K];
      for (int s = 0; s < lp.steps; ++s) {
        hand_step_kernel<D, 256><<<1, 256>>>(x->data(), y->data(), lp.y.size(), p, partials.data());
        check_cuda(cudaGetLastError(), "launching hand_step_kernel");
        hand_combine_kernel<K><<<K, 256>>>(partials.data(), 1, partials.data() + K);
        check_cuda(cudaGetLastError(), "launching hand_combine_kernel");
        check_cuda(cudaMemcpy(sums, partials.data() + K, sizeof sums, cudaMemcpyDeviceToHost), "cudaMemcpy");
        auto const v = from_sums(sums, D, lp.y.size());
        for (int k = 0; k < D; ++k) p.w[k] = p.w[k] - lp.lr * static_cast<float>(v.grad[static_cast<std::size_t>(k)]);
        p.b = p.b - lp.lr * static_cast<float>(v.grad[D]);
      }
      std::vector<float> out(p.w, p.w + D);
      out.push_back(p.b);
      return out;
    });
    r.extra_bytes = static_cast<double>(partials.size() * sizeof(double));
    r.extra_how = "allocated: block partials";
    r.note = "per step: a launch of the hand kernel + combine + copy, SGD on the host";
  });

  guarded("hand-1launch", [&](row& r) {
    device_buffer<float> out(D + 2);
    time_training(r, lp, o, [&] {
      lecture_train_kernel<D><<<1, 32>>>(x->data(), y->data(), n, lp.lr, lp.steps, out.data());
      check_cuda(cudaGetLastError(), "launching lecture_train_kernel");
      std::vector<float> p(D + 2);
      out.copy_to_host(p.data(), p.size());
      r.loss = p[D + 1];
      p.pop_back();
      return p;
    });
    r.extra_bytes = static_cast<double>((D + 2) * sizeof(float));
    r.extra_how = "allocated: the result";
    r.note = "the whole training in one launch of one warp (the bound for tapeless-fit), copy of the result included";
  });

  guarded("tapeless", [&](row& r) {
    with_tapeless<static_cast<std::size_t>(D), true>(x->data(), y->data(), lp.y.size(), [&](auto& s) {
      time_training(r, lp, o, [&] {
        s.set(std::array<float, D + 1>{});
        for (int step = 0; step < lp.steps; ++step) r.loss = s.step(lp.lr);
        auto const p = s.params();
        return std::vector<float>(p.begin(), p.end());
      });
      std::size_t const blocks = tl::detail::pass_blocks(lp.y.size());
      r.extra_bytes = static_cast<double>((blocks * s.sums + s.sums) * sizeof(double));
      r.extra_how = "allocated: run_pass_cuda's workspace";
      r.note = "per step: run_pass_cuda (a launch + combine + copy), SGD on the host (the lecture's loop)";
      return 0;
    });
  });

  guarded("tapeless-fit", [&](row& r) {
    time_training(r, lp, o, [&] {
      tl::param<"w", D, 1> w;  // zeros, as the other methods start
      tl::param<"b"> b;
      tl::tensor_view<float, tl::dyn, D> const X{x->data(), lp.y.size(), tl::cuda};
      tl::tensor_view<float, tl::dyn, 1> const Y{y->data(), lp.y.size(), tl::cuda};
      tl::optim::sgd optimizer{tl::params(w, b), {.lr = static_cast<double>(lp.lr)}};
      auto const log = tl::fit(tl::mse_loss(X.matmul(w) + b, Y), optimizer,
                               {.steps = static_cast<std::size_t>(lp.steps), .record_every = 100});
      r.loss = log.losses.back();
      std::vector<float> p(D + 1);
      for (int k = 0; k < D; ++k) p[static_cast<std::size_t>(k)] = w[static_cast<std::size_t>(k)];
      p[D] = b.item();
      return p;
    });
    r.extra_how = "allocated: per-step constants, optimizer buffers, parameters, recorded losses";
    double const steps = lp.steps, recorded = (lp.steps - 1) / 100 + 1;
    r.extra_bytes = steps * 2 * sizeof(tl::optim::detail::sgd_rule::constants) + 2.0 * (D + 1) * sizeof(float) +
                    recorded * sizeof(float);
    r.note = "tl::fit: every SGD step in one launch of one warp, the loss recorded every 100 steps, "
             "parameters and losses copied back once";
  });
}

// ---------------------------------------------------------------- the CPU self-test (no CUDA call)

/// Emulates a grid of `blocks` × `threads` threads of a per-thread share function on the host.
template <std::size_t K, class Share>
std::array<double, K> emulate_grid(std::size_t blocks, std::size_t threads, Share&& share) {
  std::array<double, K> total{};
  std::size_t const stride = blocks * threads;
  for (std::size_t t = 0; t < stride; ++t) {
    std::array<double, K> acc{};
    share(t, stride, acc.data());
    for (std::size_t k = 0; k < K; ++k) total[k] += acc[k];
  }
  return total;
}

template <int D>
void selftest_big(workload const& wl, options const& o, int& failures) {
  std::vector<float> x(wl.n * wl.d), y(wl.n);
  std::uint32_t const kx = stream_key(o.seed, stream_x), ky = stream_key(o.seed, stream_y);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = uniform_value(kx, i);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = uniform_value(ky, i);
  std::vector<float> const check = check_point(wl.d, o.seed);
  reference_result const ref = reference(wl, check, o.seed);
  // The emulations sum in double (the hand kernel in float within a group of 4 rows): a value
  // missed or read twice moves them by more than 1e-7, far less than the contract's 1e-3 would see.
  auto report = [&](row r, double bound = wrong_above) {
    r.ref_loss = ref.at_check.loss;
    if (!(r.err <= bound)) r.status = "wrong";
    if (r.status != "ok") ++failures;
    emit(r);
  };
  // The floor's shares, for grids that leave threads idle and that split the tail.
  for (std::size_t threads : {std::size_t{1}, std::size_t{3}, std::size_t{256}}) {
    auto const s = emulate_grid<1>(7, threads, [&](std::size_t t, std::size_t stride, double* acc) {
      acc[0] = floor_share(x.data(), x.size(), t, stride) + floor_share(y.data(), y.size(), t, stride);
    });
    row r{wl, "floor (host emulation, 7 x " + std::to_string(threads) + " threads)"};
    r.err = std::fabs(s[0] - ref.sum) / ref.sum_abs;
    report(r, 1e-7);
  }
  hand_params<D> p{};
  for (int k = 0; k < D; ++k) p.w[k] = check[static_cast<std::size_t>(k)];
  p.b = check[D];
  for (std::size_t threads : {std::size_t{1}, std::size_t{5}, std::size_t{256}}) {
    auto const s = emulate_grid<D + 2>(3, threads, [&](std::size_t t, std::size_t stride, double* acc) {
      hand_share<D>(x.data(), y.data(), wl.n, p, t, stride, acc);
    });
    auto const v = from_sums(s.data(), D, wl.n);
    row r{wl, "hand (host emulation, 3 x " + std::to_string(threads) + " threads)"};
    r.loss = v.loss;
    r.err = error(v, ref.at_check);
    report(r, 1e-7);
  }
  {
    row r{wl, "tapeless (host pass)"};
    with_tapeless<static_cast<std::size_t>(D), false>(x.data(), y.data(), wl.n, [&](auto& s) {
      s.set(check);
      auto const v = from_values<D>(s.evaluate());
      r.loss = v.loss;
      r.err = error(v, ref.at_check);
      for (int i = 0; i < 3; ++i) s.step(step_lr);  // the update runs; the loss must go down
      float const after = s.evaluate().loss;
      if (!(after < v.loss)) r.note = "the loss did not decrease after 3 SGD steps";
      r.note += "K = " + std::to_string(s.sums);
      return 0;
    });
    if (r.note.find("did not") != std::string::npos) r.status = "wrong";
    report(r);
  }
}

template <int D>
void selftest_lecture(workload const& wl, int& failures) {
  lecture_problem const lp = lecture_of(wl);
  std::vector<double> const ref = lecture_reference(lp);
  int const n = static_cast<int>(lp.y.size());
  auto report = [&](row r, std::vector<float> const& p) {
    r.err = lecture_error(p, ref);
    r.steps = lp.steps;
    if (!(r.err <= wrong_above)) r.status = "wrong";
    if (r.status != "ok") ++failures;
    emit(r);
  };
  {  // the hand kernel, one block of 256 threads per step
    hand_params<D> p{};
    for (int s = 0; s < lp.steps; ++s) {
      auto const sums = emulate_grid<D + 2>(1, 256, [&](std::size_t t, std::size_t stride, double* acc) {
        hand_share<D>(lp.x.data(), lp.y.data(), lp.y.size(), p, t, stride, acc);
      });
      auto const v = from_sums(sums.data(), D, lp.y.size());
      for (int k = 0; k < D; ++k) p.w[k] = p.w[k] - lp.lr * static_cast<float>(v.grad[static_cast<std::size_t>(k)]);
      p.b = p.b - lp.lr * static_cast<float>(v.grad[D]);
    }
    std::vector<float> out(p.w, p.w + D);
    out.push_back(p.b);
    report(row{wl, "hand (host emulation)"}, out);
  }
  {  // the one-launch kernel: 32 lanes' terms, summed in lane order
    float w[D] = {}, b = 0;
    for (int s = 0; s < lp.steps; ++s) {
      float t[D + 2] = {};
      for (int lane = 0; lane < 32; ++lane) {
        bool const has = lane < n;
        float xr[D] = {};
        for (int k = 0; k < D; ++k) xr[k] = has ? lp.x[static_cast<std::size_t>(lane * D + k)] : 0.0f;
        float const yr = has ? lp.y[static_cast<std::size_t>(lane)] : 0.0f;
        float mine[D + 2];
        lecture_terms<D>(xr, yr, has, w, b, mine);
        for (int k = 0; k < D + 2; ++k) t[k] += mine[k];
      }
      (void)lecture_update<D>(t, n, lp.lr, w, b);
    }
    std::vector<float> out(w, w + D);
    out.push_back(b);
    report(row{wl, "hand-1launch (host emulation)"}, out);
  }
  {
    std::vector<float> out;
    with_tapeless<static_cast<std::size_t>(D), false>(lp.x.data(), lp.y.data(), lp.y.size(), [&](auto& s) {
      for (int step = 0; step < lp.steps; ++step) s.step(lp.lr);
      auto const p = s.params();
      out.assign(p.begin(), p.end());
      return 0;
    });
    report(row{wl, "tapeless (host pass)"}, out);
  }
  {  // tl::fit over host rows: the loop written out, the same program as on the device
    tl::param<"w", D, 1> w;
    tl::param<"b"> b;
    tl::tensor_view<float, tl::dyn, D> const X{lp.x.data(), lp.y.size()};
    tl::tensor_view<float, tl::dyn, 1> const Y{lp.y.data(), lp.y.size()};
    tl::optim::sgd optimizer{tl::params(w, b), {.lr = static_cast<double>(lp.lr)}};
    (void)tl::fit(tl::mse_loss(X.matmul(w) + b, Y), optimizer, {.steps = static_cast<std::size_t>(lp.steps)});
    std::vector<float> out(D + 1);
    for (int k = 0; k < D; ++k) out[static_cast<std::size_t>(k)] = w[static_cast<std::size_t>(k)];
    out[D] = b.item();
    report(row{wl, "tapeless-fit (host)"}, out);
  }
}

int cpu_selftest(options const& o) {
  std::printf("bench.gpu.step --cpu-selftest: the kernels' per-thread arithmetic and tapeless's program on the "
              "host, at the --quick sizes (no CUDA call)\n");
  int failures = 0;
  for (auto const& wl : workloads(o)) {
    if (wl.name == "lr-1e8x3") selftest_big<3>(wl, o, failures);
    else if (wl.name == "lr-2e7x16") selftest_big<16>(wl, o, failures);
    else if (wl.name == "exercise1") selftest_lecture<1>(wl, failures);
    else if (wl.name == "quiz1") selftest_lecture<3>(wl, failures);
  }
  std::printf("bench.gpu.step --cpu-selftest: %s\n", failures == 0 ? "all checks passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}

[[noreturn]] void usage(int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: bench.gpu.step [--out FILE] [--quick] [--steps S] [--reps R] [--warmup W] "
               "[--workloads lr-1e8x3,lr-2e7x16,exercise1,quiz1] [--seed N] [--cpu-selftest]\n");
  std::exit(rc);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--out") o.out = value();
    else if (a == "--quick") o.quick = true;
    else if (a == "--cpu-selftest") o.cpu_selftest = true;
    else if (a == "--steps") o.steps = std::max(1, std::atoi(value().c_str()));
    else if (a == "--reps") o.reps = std::max(1, std::atoi(value().c_str()));
    else if (a == "--warmup") o.warmup = std::max(0, std::atoi(value().c_str()));
    else if (a == "--seed") o.seed = static_cast<std::uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    else if (a == "--workloads") {
      std::string const list = value();
      std::size_t start = 0;
      while (start <= list.size()) {
        std::size_t const comma = std::min(list.find(',', start), list.size());
        if (comma > start) o.workloads.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (a == "-h" || a == "--help") usage(0);
    else usage(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  options const o = parse(argc, argv);
  json_out = std::fopen(o.out.c_str(), "w");
  if (json_out == nullptr) {
    std::fprintf(stderr, "bench.gpu.step: cannot write %s\n", o.out.c_str());
    return 2;
  }
  if (o.cpu_selftest) return cpu_selftest(o);
  if (!tl::cuda_available()) {
    std::string const why = tl::cuda_status();
    std::fprintf(stderr, "bench.gpu.step: cannot run: %s. It times kernels and needs a GPU (scripts/gpu-check runs "
                         "it on one); --cpu-selftest checks its host-side logic without one.\n", why.c_str());
    std::fprintf(json_out, "{\"error\": %s}\n", quoted("bench.gpu.step did not run: " + why).c_str());
    return 77;
  }
  try {
    device_info const dev = query_device();
    for (auto const& wl : workloads(o)) {
      if (wl.name == "lr-1e8x3") run_big<3>(wl, o, dev);
      else if (wl.name == "lr-2e7x16") run_big<16>(wl, o, dev);
      else if (wl.name == "exercise1") run_lecture<1>(wl, o);
      else if (wl.name == "quiz1") run_lecture<3>(wl, o);
    }
  } catch (std::exception const& e) {
    std::fprintf(stderr, "bench.gpu.step: %s\n", e.what());
    std::fprintf(json_out, "{\"error\": %s}\n", quoted(std::string("bench.gpu.step stopped: ") + e.what()).c_str());
    return 1;
  }
  std::fclose(json_out);
  return 0;
}
