// Strong scaling of one training step over MPI (benchmarks/mpi/run runs it on 1, 2 and 4
// processes; README.md, "Strong scaling over MPI").
//
// The problem is fixed, N rows × D = 16 float features in total (default N = 10^7), and split over
// the P processes with tl::mpi::split_rows. Each rank draws only its own rows, from the global row
// index (splitmix64), so the data are the same for every P. One training step is
//
//     auto [cost, grads] = tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w) + b, y), w, b);
//     opt.step(grads);                                              // tl::optim::sgd, lr 0.01
//
// What it measures (one JSON line per measurement on stdout, or appended to --jsonl FILE):
//   check    the loss and gradients of the first tl::mpi step, at a fixed check point, against a
//            double-precision reference: each rank sums its own rows in double, MPI_Allreduce adds
//            them. err = max(|L − Lref| / |Lref|, max_k |g_k − gref_k| / max_k |gref_k|). The MPI
//            calls that one tl::mpi::value_and_grad makes are recorded (PMPI interposition, below):
//            K, the row sums it gathers, is read from them.
//   step     method "mpi": the step above; method "local": the same step with the plain
//            tl::value_and_grad on this rank's rows alone (no collective; own copy of w and b), so
//            at P = 1 it is the single-process step and at P > 1 the compute part of a step.
//            Warm-up steps, then R repetitions of: MPI_Barrier, t0 = MPI_Wtime(), one step,
//            MPI_Wtime() − t0, MPI_Allreduce MAX over ranks (a step is as slow as its slowest
//            rank). The two methods alternate within each repetition. Median, min and mean.
//   comm     the two collectives of one tl::mpi::value_and_grad alone, made as mpi.hpp makes them:
//            MPI_Allgather of 3 uint64 per rank (the handshake), then MPI_Allgather of K doubles
//            per rank (the row sums); also each alone. Per-iteration times after warm-up; each
//            rank's median, the largest over ranks reported (also the mean).
//   timer    the same per-iteration timing of an empty iteration (two MPI_Wtime calls and a
//            std::function call): the floor under every comm and overhead figure; and MPI_Wtick.
//   overhead tl::mpi::value_and_grad (and the plain tl::value_and_grad) on 1 row per rank: what a
//            call costs besides its pass over the rows. Timed like comm.
// The program exits with 1 when the check fails (err > 1e-5), when the parameters are not
// bit-identical on every rank after the timed steps (tl::mpi::in_lockstep), or when
// tl::mpi::value_and_grad makes other MPI calls than the two gathers measured under comm.
//
// Usage: bench.mpi.strong_scaling [--n N] [--reps R] [--warmup W] [--iters I] [--jsonl FILE]
//   --n N       rows in total (default 10000000; 1e7 is accepted)
//   --reps R    timed steps per method (default 20)
//   --warmup W  untimed steps per method first (default 3)
//   --iters I   iterations of each comm / overhead timing (default 10000; fewer when 10000 would
//               take more than about 5 s, e.g. oversubscribed; the count used is reported)
#include <tapeless/mpi.hpp>
#include <tapeless/tapeless.hpp>

#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tl = tapeless;

namespace {

constexpr std::size_t D = 16;
constexpr std::uint64_t data_seed = 0x5eed'0005ULL;

// ---- the MPI calls that tapeless makes, recorded while `recording` (PMPI interposition) ----

struct mpi_call {
  std::string what;
  int count;      // elements sent per rank
  int type_size;  // bytes per element
};
bool recording = false;
std::vector<mpi_call> recorded;

void note(char const* what, int count, MPI_Datatype type) {
  if (!recording) return;
  int size = 0;
  PMPI_Type_size(type, &size);
  recorded.push_back({what, count, size});
}

}  // namespace

// The program's own definitions of these MPI functions come before libmpi's: each notes the call
// and forwards it to the PMPI entry point, as MPI's profiling interface allows.
extern "C" int MPI_Allgather(void const* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                             int recvcount, MPI_Datatype recvtype, MPI_Comm comm) {
  note("MPI_Allgather", sendcount, sendtype);
  return PMPI_Allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
}
extern "C" int MPI_Allreduce(void const* sendbuf, void* recvbuf, int count, MPI_Datatype type, MPI_Op op,
                             MPI_Comm comm) {
  note("MPI_Allreduce", count, type);
  return PMPI_Allreduce(sendbuf, recvbuf, count, type, op, comm);
}
extern "C" int MPI_Bcast(void* buffer, int count, MPI_Datatype type, int root, MPI_Comm comm) {
  note("MPI_Bcast", count, type);
  return PMPI_Bcast(buffer, count, type, root, comm);
}
extern "C" int MPI_Barrier(MPI_Comm comm) {
  note("MPI_Barrier", 0, MPI_BYTE);
  return PMPI_Barrier(comm);
}

namespace {

// ---- options ----

struct options {
  std::size_t n = 10'000'000;
  int reps = 20;
  int warmup = 3;
  int iters = 10'000;
  std::string jsonl;  // empty: stdout
};

[[noreturn]] void usage(char const* problem) {
  throw std::runtime_error(std::string(problem) +
                           "\nusage: bench.mpi.strong_scaling [--n N] [--reps R] [--warmup W] [--iters I] "
                           "[--jsonl FILE]");
}

/// A whole number ≥ `least`, also written as 1e7.
std::size_t count_arg(char const* text, double least = 1) {
  char* end = nullptr;
  double const v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= least) || v > 1e12 || v != std::floor(v))
    usage((std::string("not a whole number >= ") + std::to_string(static_cast<int>(least)) + ": " + text).c_str());
  return static_cast<std::size_t>(v);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    char const* v = argv[++i];
    if (a == "--n") o.n = count_arg(v);
    else if (a == "--reps") o.reps = static_cast<int>(count_arg(v));
    else if (a == "--warmup") o.warmup = static_cast<int>(count_arg(v, 0));
    else if (a == "--iters") o.iters = static_cast<int>(count_arg(v));
    else if (a == "--jsonl") o.jsonl = v;
    else usage(("unknown option " + a).c_str());
  }
  return o;
}

// ---- data: row i of the global problem, drawn from i alone ----

/// Uniform in [-1, 1), the k-th draw of row `row`.
struct row_draws {
  tl::nn::splitmix64 gen;
  explicit row_draws(std::uint64_t row) : gen(tl::nn::splitmix64(data_seed ^ (row * 0x9e3779b97f4a7c15ULL))()) {}
  double next() { return gen.uniform(-1, 1); }
};

/// The rows [begin, end) of the global problem: x (row-major, D per row) and y.
struct local_data {
  std::vector<float> x, y;
  std::size_t rows;
  local_data(std::size_t begin, std::size_t end) : x((end - begin) * D), y(end - begin), rows(end - begin) {
#pragma omp parallel for schedule(static)
    for (std::size_t r = 0; r < rows; ++r) {
      row_draws draw(begin + r);
      double t = 0.3;
      for (std::size_t j = 0; j < D; ++j) {
        x[r * D + j] = static_cast<float>(draw.next());
        t += (static_cast<double>(j + 1) / D - 0.5) * static_cast<double>(x[r * D + j]);
      }
      y[r] = static_cast<float>(t + 0.1 * draw.next());
    }
  }
};

/// The check point: w_k = 0.5·u(−1, 1) from a fixed seed, b = 0.25.
void check_point(tl::param<"w", D, 1>& w, tl::param<"b">& b) {
  tl::nn::splitmix64 gen(2024);
  for (std::size_t k = 0; k < D; ++k) w[k] = static_cast<float>(0.5 * gen.uniform(-1, 1));
  b[0] = 0.25f;
}

/// The double-precision loss and gradients (index 0: loss, 1..D: dL/dw, D+1: dL/db) over all
/// ranks' rows: each rank sums its own rows, MPI_Allreduce adds the sums.
std::vector<double> reference(tl::mpi::communicator const& world, local_data const& data,
                              tl::param<"w", D, 1> const& w, tl::param<"b"> const& b, std::size_t n) {
  std::vector<double> s(D + 2, 0.0), all(D + 2, 0.0);
  for (std::size_t r = 0; r < data.rows; ++r) {
    double res = static_cast<double>(b[0]) - static_cast<double>(data.y[r]);
    for (std::size_t j = 0; j < D; ++j) res += static_cast<double>(data.x[r * D + j]) * static_cast<double>(w[j]);
    s[0] += res * res;
    for (std::size_t j = 0; j < D; ++j) s[1 + j] += res * static_cast<double>(data.x[r * D + j]);
    s[D + 1] += res;
  }
  MPI_Allreduce(s.data(), all.data(), static_cast<int>(D + 2), MPI_DOUBLE, MPI_SUM, world.native());
  auto const nn = static_cast<double>(n);
  all[0] /= nn;
  for (std::size_t k = 1; k < D + 2; ++k) all[k] *= 2 / nn;
  return all;
}

/// err of a result against the reference (see the top of this file).
template <class Result, class W, class B>
double error_of(Result const& got, std::vector<double> const& ref, W const& w, B const& b) {
  double const loss_err = std::abs(static_cast<double>(got.value) - ref[0]) / std::abs(ref[0]);
  double gmax = 0, gerr = 0;
  for (std::size_t k = 1; k < D + 2; ++k) gmax = std::max(gmax, std::abs(ref[k]));
  for (std::size_t j = 0; j < D; ++j) gerr = std::max(gerr, std::abs(static_cast<double>(got.grads[w][j]) - ref[1 + j]));
  gerr = std::max(gerr, std::abs(static_cast<double>(got.grads[b][0]) - ref[D + 1]));
  return std::max(loss_err, gerr / gmax);
}

// ---- timing ----

struct summary {
  double median, min, mean;
};

summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t const n = v.size();
  double const median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  double sum = 0;
  for (double t : v) sum += t;
  return {median, v.front(), sum / static_cast<double>(n)};
}

/// One timed repetition of `f`: barrier, time, the slowest rank's time (seconds), the same on every rank.
double timed(tl::mpi::communicator const& world, std::function<void()> const& f) {
  MPI_Barrier(world.native());
  double const t0 = MPI_Wtime();
  f();
  double const t = MPI_Wtime() - t0;
  double slowest = 0;
  MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, world.native());
  return slowest;
}

struct latency {
  int iters;
  double median_us, mean_us;  // the largest over ranks of each rank's median and mean
};

/// `f` (a collective, or a local call) `iters` times back to back, each iteration timed on its own
/// rank; fewer iterations when `iters` would take longer than `budget_s` (decided on rank 0's estimate).
latency per_iteration(tl::mpi::communicator const& world, int iters, std::function<void()> const& f,
                      double budget_s = 5.0) {
  int const warm = std::min(200, iters);
  MPI_Barrier(world.native());
  double const w0 = MPI_Wtime();
  for (int i = 0; i < warm; ++i) f();
  double per = (MPI_Wtime() - w0) / warm, slowest = 0;
  MPI_Allreduce(&per, &slowest, 1, MPI_DOUBLE, MPI_MAX, world.native());
  int n = iters;
  if (slowest * n > budget_s) n = std::max(100, static_cast<int>(budget_s / slowest));
  MPI_Bcast(&n, 1, MPI_INT, 0, world.native());

  std::vector<double> t(static_cast<std::size_t>(n));
  MPI_Barrier(world.native());
  for (auto& ti : t) {
    double const t0 = MPI_Wtime();
    f();
    ti = MPI_Wtime() - t0;
  }
  summary const s = summarize(t);
  double const mine[2] = {s.median, s.mean};
  double most[2] = {};
  MPI_Allreduce(mine, most, 2, MPI_DOUBLE, MPI_MAX, world.native());
  return {n, most[0] * 1e6, most[1] * 1e6};
}

// ---- output ----

class reporter {
 public:
  reporter(std::string const& path, bool root) : root_(root) {
    if (!root_) return;
    out_ = path.empty() ? stdout : std::fopen(path.c_str(), "a");
    if (!out_) throw std::runtime_error("cannot open " + path);
  }
  reporter(reporter const&) = delete;
  reporter& operator=(reporter const&) = delete;
  ~reporter() {
    if (out_ && out_ != stdout) std::fclose(out_);
  }
  /// One JSON object per line: `fields` is its body without braces.
  void line(std::string const& fields) {
    if (!root_) return;
    std::fprintf(out_, "{%s}\n", fields.c_str());
    std::fflush(out_);
  }

 private:
  bool root_;
  std::FILE* out_ = nullptr;
};

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
std::string fixed(double v, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string str(std::string const& s) { return "\"" + s + "\""; }

int run(int argc, char** argv) {
  options const opt = parse(argc, argv);
  tl::mpi::communicator world;
  bool const root = world.rank() == 0;
  int const P = world.size();
  int const threads = omp_get_max_threads();
  reporter out(opt.jsonl, root);
  auto say = [&](std::string const& text) {
    if (root) std::fprintf(stderr, "strong_scaling P=%d threads=%d: %s\n", P, threads, text.c_str());
  };
  std::string const common = "\"P\":" + std::to_string(P) + ",\"threads\":" + std::to_string(threads) +
                             ",\"N\":" + std::to_string(opt.n) + ",\"D\":" + std::to_string(D);

  // This rank's rows.
  auto const mine = tl::mpi::split_rows(world, opt.n);
  double const g0 = MPI_Wtime();
  local_data const data(mine.begin, mine.end);
  MPI_Barrier(world.native());
  say("data drawn in " + fixed(MPI_Wtime() - g0, 2) + " s (" + std::to_string(mine.size()) + " rows on rank 0)");
  tl::tensor_view<float, tl::dyn, D> const X{data.x.data(), data.rows};
  tl::tensor_view<float, tl::dyn, 1> const y{data.y.data(), data.rows};

  // The model trained over MPI (w, b) and a copy trained on this rank's rows alone (wl, bl).
  tl::param<"w", D, 1> w, wl;
  tl::param<"b"> b, bl;
  check_point(w, b);
  check_point(wl, bl);
  tl::optim::sgd opt_mpi{tl::params(w, b), {.lr = 0.01}};
  tl::optim::sgd opt_local{tl::params(wl, bl), {.lr = 0.01}};

  // ---- the check, and what one call sends ----
  std::vector<double> const ref = reference(world, data, w, b, opt.n);
  recorded.clear();
  recording = true;
  auto const first = tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w) + b, y), w, b);
  recording = false;
  std::vector<mpi_call> const calls = recorded;
  double const err = error_of(first, ref, w, b);
  bool const pattern = calls.size() == 2 && calls[0].what == "MPI_Allgather" && calls[0].count == 3 &&
                       calls[0].type_size == 8 && calls[1].what == "MPI_Allgather" && calls[1].type_size == 8;
  int const K = calls.size() == 2 ? calls[1].count : 0;
  std::string seen;
  for (auto const& c : calls)
    seen += (seen.empty() ? "" : ", ") + c.what + " " + std::to_string(c.count) + " x " + std::to_string(c.type_size) + " B";
  double err_local = -1;
  if (P == 1) err_local = error_of(tl::value_and_grad(tl::mse_loss(X.matmul(wl) + bl, y), wl, bl), ref, wl, bl);
  out.line("\"kind\":\"check\"," + common + ",\"loss\":" + num(static_cast<double>(first.value)) +
           ",\"loss_ref\":" + num(ref[0]) + ",\"err\":" + num(err) +
           (P == 1 ? ",\"err_local\":" + num(err_local) : "") + ",\"K\":" + std::to_string(K) +
           ",\"calls\":" + str(seen) + ",\"calls_as_expected\":" + (pattern ? "true" : "false"));
  say("loss " + num(static_cast<double>(first.value)) + ", err " + num(err) + " vs the double reference; one call: " + seen);
  bool ok = err <= 1e-5 && pattern && (P > 1 || err_local <= 1e-5);

  // ---- steps ----
  auto mpi_step = [&] {
    auto [cost, grads] = tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w) + b, y), w, b);
    opt_mpi.step(grads);
    static_cast<void>(cost);
  };
  auto local_step = [&] {
    auto [cost, grads] = tl::value_and_grad(tl::mse_loss(X.matmul(wl) + bl, y), wl, bl);
    opt_local.step(grads);
    static_cast<void>(cost);
  };
  for (int i = 0; i < opt.warmup; ++i) {
    timed(world, mpi_step);
    timed(world, local_step);
  }
  std::vector<double> t_mpi, t_local;
  for (int i = 0; i < opt.reps; ++i) {
    t_mpi.push_back(timed(world, mpi_step));
    t_local.push_back(timed(world, local_step));
  }
  bool const lockstep = tl::mpi::in_lockstep(world, tl::params(w, b));
  ok = ok && lockstep;
  std::vector<std::pair<char const*, std::vector<double> const*>> const steps{{"mpi", &t_mpi}, {"local", &t_local}};
  for (auto const& [method, times] : steps) {
    summary const s = summarize(*times);
    out.line("\"kind\":\"step\"," + common + ",\"method\":" + str(method) + ",\"reps\":" + std::to_string(opt.reps) +
             ",\"warmup\":" + std::to_string(opt.warmup) + ",\"median_ms\":" + fixed(s.median * 1e3, 4) +
             ",\"min_ms\":" + fixed(s.min * 1e3, 4) + ",\"mean_ms\":" + fixed(s.mean * 1e3, 4) +
             ",\"loss\":" + num(static_cast<double>(first.value)) +
             (std::string(method) == "mpi" ? std::string(",\"lockstep\":") + (lockstep ? "true" : "false") : ""));
    say(std::string(method) + " step: median " + fixed(s.median * 1e3, 2) + " ms, min " + fixed(s.min * 1e3, 2) + " ms");
  }

  // ---- the two collectives alone, as mpi.hpp makes them ----
  if (K > 0) {
    auto const ranks = static_cast<std::size_t>(P);
    std::uint64_t hello[3] = {0x1234, static_cast<std::uint64_t>(data.rows), 0};
    std::vector<std::uint64_t> hellos(3 * ranks);
    std::vector<double> sums(static_cast<std::size_t>(K), 1.0), all(ranks * static_cast<std::size_t>(K));
    auto handshake = [&] {
      MPI_Allgather(hello, 3, MPI_UINT64_T, hellos.data(), 3, MPI_UINT64_T, world.native());
    };
    auto row_sums = [&] {
      MPI_Allgather(sums.data(), K, MPI_DOUBLE, all.data(), K, MPI_DOUBLE, world.native());
    };
    auto both = [&] {
      handshake();
      row_sums();
    };
    std::vector<std::pair<char const*, std::function<void()>>> const variants{
        {"handshake+sums", both}, {"handshake", handshake}, {"sums", row_sums}};
    for (auto const& [what, f] : variants) {
      latency const l = per_iteration(world, opt.iters, f);
      out.line("\"kind\":\"comm\"," + common + ",\"what\":" + str(what) + ",\"K\":" + std::to_string(K) +
               ",\"iters\":" + std::to_string(l.iters) + ",\"median_us\":" + fixed(l.median_us, 3) +
               ",\"mean_us\":" + fixed(l.mean_us, 3));
      say(std::string("comm ") + what + ": median " + fixed(l.median_us, 2) + " us over " + std::to_string(l.iters) +
          " iterations");
    }
  }

  // ---- what the per-iteration timing itself costs: an empty iteration ----
  {
    latency const l = per_iteration(world, opt.iters, [] {});
    out.line("\"kind\":\"timer\"," + common + ",\"what\":\"empty iteration\",\"wtick_s\":" + num(MPI_Wtick()) +
             ",\"iters\":" + std::to_string(l.iters) + ",\"median_us\":" + fixed(l.median_us, 3) +
             ",\"mean_us\":" + fixed(l.mean_us, 3));
  }

  // ---- a call on 1 row per rank: what it costs besides the pass ----
  {
    local_data const one(static_cast<std::size_t>(world.rank()), static_cast<std::size_t>(world.rank()) + 1);
    tl::tensor_view<float, tl::dyn, D> const X1{one.x.data(), 1};
    tl::tensor_view<float, tl::dyn, 1> const y1{one.y.data(), 1};
    tl::param<"w", D, 1> w1;
    tl::param<"b"> b1;
    check_point(w1, b1);
    float sink = 0;
    auto over_mpi = [&] { sink += tl::mpi::value_and_grad(world, tl::mse_loss(X1.matmul(w1) + b1, y1), w1, b1).value; };
    auto alone = [&] { sink += tl::value_and_grad(tl::mse_loss(X1.matmul(w1) + b1, y1), w1, b1).value; };
    std::vector<std::pair<char const*, std::function<void()>>> const methods{{"mpi", over_mpi}, {"local", alone}};
    for (auto const& [method, f] : methods) {
      latency const l = per_iteration(world, opt.iters, f);
      out.line("\"kind\":\"overhead\"," + common + ",\"method\":" + str(method) + ",\"rows_per_rank\":1" +
               ",\"iters\":" + std::to_string(l.iters) + ",\"median_us\":" + fixed(l.median_us, 3) +
               ",\"mean_us\":" + fixed(l.mean_us, 3));
      say(std::string("1 row per rank, ") + method + " value_and_grad: median " + fixed(l.median_us, 2) + " us");
    }
    if (!std::isfinite(sink)) ok = false;
  }

  int const mine_ok = ok ? 1 : 0;
  int all_ok = 0;
  MPI_Allreduce(&mine_ok, &all_ok, 1, MPI_INT, MPI_MIN, world.native());
  if (!all_ok) {
    say(std::string("FAILED: ") + (err > 1e-5 ? "err above 1e-5; " : "") + (!lockstep ? "ranks not in lockstep; " : "") +
        (!pattern ? "unexpected MPI calls in tl::mpi::value_and_grad; " : ""));
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tl::mpi::environment env{argc, argv};
  try {
    return run(argc, argv);
  } catch (std::exception const& ex) {
    std::fprintf(stderr, "bench.mpi.strong_scaling: %s\n", ex.what());
    return 2;
  }
}
