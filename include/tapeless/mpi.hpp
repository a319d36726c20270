#pragma once
// tapeless over MPI: data-parallel fitting (the optional component
// `tapeless::mpi`, built with TAPELESS_ENABLE_MPI; docs/mpi.md).
//
// Every rank holds its own rows of the data and the same model. A loss that is
// a sum over rows has a gradient that is a sum over rows too, so one step needs
// the one pass over the local rows and one exchange of its few row sums:
//
//     tl::mpi::environment env{argc, argv};
//     tl::mpi::communicator world;                          // MPI_COMM_WORLD
//     auto [begin, end] = tl::mpi::split_rows(world, n);    // this rank's rows
//     ...                                                   // X, y: rows [begin, end)
//     auto [cost, grads] = tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w) + b, y), w, b);
//     opt.step(grads);                                      // the same on every rank
//
// Each call makes two collectives on the communicator, so every rank must
// call it, in the same order as the others:
//  1. a handshake (MPI_Allgather of 24 bytes per rank): what each rank
//     evaluates (a signature of the loss's type and of its parameters), how
//     many rows it holds and whether it failed its local checks. When the
//     ranks disagree, a second gather of 256 bytes per rank lets every rank
//     throw the same `tapeless::error`, which names the ranks and what they
//     hold: a mismatch is an error on every rank, never a hang.
//  2. the row sums (MPI_Allgather of K doubles per rank, K the sums of the
//     loss and its gradients), which every rank adds in rank order,
//     0, 1, …, P−1, in double. The result is bit-identical on every rank, so
//     optimizers stay in lock-step, and reproducible for a given number of
//     ranks (and of threads per rank: each rank's own pass is deterministic
//     for a given thread count).
// Means over rows divide by the rows of all ranks together.

#include "eval/distributed.hpp"
#include "value_and_grad.hpp"

#include <mpi.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace tapeless::mpi {

namespace detail {

using tapeless::detail::fail;

/// Throws `tapeless::error` naming `call` and MPI's error string unless `rc` is success
/// (seen only when the communicator's error handler returns errors).
inline void check(int rc, char const* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  fail(std::string("tapeless::mpi: ") + call + " failed: " +
       (length > 0 ? std::string(text, static_cast<std::size_t>(length)) : "error " + std::to_string(rc)));
}

/// FNV-1a, 64 bits.
constexpr std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 14695981039346656037ull) {
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

/// The compiler's spelling of `T` (inside the function's signature): equal on
/// ranks that run the same program.
template <class T>
constexpr std::string_view type_spelling() {
#if defined(_MSC_VER) && !defined(__clang__)
  return __FUNCSIG__;
#else
  return __PRETTY_FUNCTION__;
#endif
}

template <class T>
constexpr char const* type_word() {
  return std::is_same_v<T, float> ? "float" : std::is_same_v<T, double> ? "double" : "other";
}

/// "w[3x1 float], b[1x1 float]": the parameters of `E` as a message shows them.
template <class E>
std::string describe_params() {
  using Vars = typename tapeless::detail::params_of<tapeless::detail::type_list<>, E>::type;
  std::string out;
  [&]<class... Refs>(tapeless::detail::type_list<Refs...>*) {
    ((out += (out.empty() ? "" : ", ") + Refs::name.str() + "[" + std::to_string(shape_of_t<Refs>::rows) + "x" +
             std::to_string(shape_of_t<Refs>::cols) + " " + type_word<typename Refs::value_type>() + "]"),
     ...);
  }(static_cast<Vars*>(nullptr));
  return out.empty() ? "no parameters" : "parameters " + out;
}

/// What a rank evaluates, for the handshake: the loss's type, the parameters
/// asked for and their value types. Ranks with equal signatures lower to the
/// same program (same number of row sums).
template <class E, class... Ps>
std::uint64_t signature() {
  static std::uint64_t const value = [] {
    std::uint64_t h = fnv1a(type_spelling<E>());
    ((h = fnv1a(type_spelling<std::remove_cvref_t<Ps>>(), h)), ...);
    return h;
  }();
  return value;
}

/// One rank's part of the handshake.
struct hello {
  std::uint64_t signature;
  std::uint64_t rows;
  std::uint64_t failed;  // 1: this rank's local checks threw
};

/// The text each rank sends when the handshake finds a problem.
inline constexpr std::size_t note_size = 256;

}  // namespace detail

/// A communicator to fit over: a view of an MPI communicator (not owned),
/// `MPI_COMM_WORLD` unless given.
class communicator {
 public:
  /// Throws `tapeless::error` when MPI is not initialised.
  explicit communicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
    int initialised = 0;
    detail::check(MPI_Initialized(&initialised), "MPI_Initialized");
    if (!initialised)
      detail::fail("tapeless::mpi::communicator: MPI is not initialised; call MPI_Init first, or create a "
                   "tl::mpi::environment");
    detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }

  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }
  [[nodiscard]] MPI_Comm native() const noexcept { return comm_; }

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

/// Initialises MPI (funnelled threads: tapeless calls MPI from the calling
/// thread only) and finalises it on destruction; does nothing when MPI is
/// already initialised by someone else.
class environment {
 public:
  environment(int& argc, char**& argv) {
    int initialised = 0;
    detail::check(MPI_Initialized(&initialised), "MPI_Initialized");
    if (initialised) return;
    int provided = 0;
    detail::check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owner_ = true;
  }
  environment(environment const&) = delete;
  environment& operator=(environment const&) = delete;
  ~environment() {
    int finalised = 0;
    if (owner_ && MPI_Finalized(&finalised) == MPI_SUCCESS && !finalised) MPI_Finalize();
  }

 private:
  bool owner_ = false;
};

#if defined(__CUDACC__)
/// Makes the GPU of this rank the current device, in an nvcc translation unit:
/// the ranks on one node (`MPI_COMM_TYPE_SHARED`) take its GPUs in turn, local
/// rank modulo the node's GPU count. Returns the device number. A collective.
/// The pass then runs on that GPU, and its few row sums cross MPI through host
/// memory (docs/mpi.md).
inline int use_local_gpu(communicator const& comm) {
  MPI_Comm node = MPI_COMM_NULL;
  detail::check(MPI_Comm_split_type(comm.native(), MPI_COMM_TYPE_SHARED, comm.rank(), MPI_INFO_NULL, &node),
                "MPI_Comm_split_type");
  int local = 0;
  int const rc = MPI_Comm_rank(node, &local);
  MPI_Comm_free(&node);
  detail::check(rc, "MPI_Comm_rank");
  int count = 0;
  tapeless::detail::check_cuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (count == 0) detail::fail("tapeless::mpi::use_local_gpu: " + cuda_status());
  int const device = local % count;
  tapeless::detail::check_cuda(cudaSetDevice(device), "cudaSetDevice");
  return device;
}
#endif

/// The rows [begin, end) of `n` that a rank holds when they are split into
/// contiguous blocks in rank order, the first n mod P ranks one row more.
struct row_range {
  std::size_t begin;
  std::size_t end;
  [[nodiscard]] constexpr std::size_t size() const noexcept { return end - begin; }
};

/// This rank's rows of `n` (see `row_range`).
[[nodiscard]] inline row_range split_rows(communicator const& comm, std::size_t n) {
  auto const ranks = static_cast<std::size_t>(comm.size()), rank = static_cast<std::size_t>(comm.rank());
  std::size_t const base = n / ranks, extra = n % ranks;
  std::size_t const begin = rank * base + std::min(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

namespace detail {

/// Step 1 of an evaluation (see the top of this file): returns the rows of all
/// ranks. `local_checks()` runs this rank's checks; whatever it throws, or a
/// rank whose signature differs from rank 0's, becomes the same
/// `tapeless::error` on every rank.
template <class LocalChecks>
std::size_t handshake(communicator const& comm, std::uint64_t signature, std::string const& what,
                      LocalChecks local_checks, char const* caller) {
  hello mine{signature, 0, 0};
  std::string failure;
  try {
    mine.rows = local_checks();
  } catch (std::exception const& ex) {
    mine.failed = 1;
    failure = ex.what();
  } catch (...) {
    mine.failed = 1;
    failure = "an exception that is not a std::exception";
  }
  auto const ranks = static_cast<std::size_t>(comm.size());
  thread_local std::vector<hello> all;  // no allocation per step
  all.resize(ranks);
  check(MPI_Allgather(&mine, 3, MPI_UINT64_T, all.data(), 3, MPI_UINT64_T, comm.native()), "MPI_Allgather");

  std::size_t first_failed = ranks, first_different = ranks;
  std::uint64_t total = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    if (all[r].failed && first_failed == ranks) first_failed = r;
    if (all[r].signature != all[0].signature && first_different == ranks) first_different = r;
    total += all[r].rows;
  }
  if (first_failed == ranks && first_different == ranks) return static_cast<std::size_t>(total);

  // Every rank has seen the problem: gather each rank's text and throw the same message everywhere.
  std::string const& note = mine.failed ? failure : what;
  char out[note_size] = {};  // cut to note_size - 1 characters, the cut marked "..."
  std::memcpy(out, note.data(), std::min(note.size(), note_size - 1));
  if (note.size() > note_size - 1) std::memcpy(out + note_size - 4, "...", 3);
  std::vector<char> notes(ranks * note_size);
  check(MPI_Allgather(out, static_cast<int>(note_size), MPI_CHAR, notes.data(), static_cast<int>(note_size),
                      MPI_CHAR, comm.native()),
        "MPI_Allgather");
  auto text = [&](std::size_t r) { return std::string(notes.data() + r * note_size); };
  std::string message = std::string("tapeless::mpi::") + caller + ": ";
  if (first_failed != ranks) {
    std::size_t failed = 0;
    for (auto const& h : all) failed += h.failed;
    message += "rank " + std::to_string(first_failed) + " failed" +
               (failed > 1 ? " (and " + std::to_string(failed - 1) + " other ranks)" : "") + ": " +
               text(first_failed);
  } else {
    std::string const a = text(0), b = text(first_different);
    message += "the ranks evaluate different losses, so their row sums cannot be added: rank 0 has " + a +
               ", rank " + std::to_string(first_different) + " has " + b +
               (a == b ? " (the same parameters in different loss expressions)" : "") +
               "; every rank must build the same model and loss";
  }
  fail(message);
}

/// Step 2: adds the row sums of all ranks, in rank order, into every rank's `acc`.
struct rank_ordered_sums {
  communicator const& comm;

  template <std::size_t K>
  void operator()(tapeless::detail::accumulator<K>& acc) const {
    auto const ranks = static_cast<std::size_t>(comm.size());
    thread_local std::vector<double> all;
    all.resize(ranks * K);
    check(MPI_Allgather(acc.v, static_cast<int>(K), MPI_DOUBLE, all.data(), static_cast<int>(K), MPI_DOUBLE,
                        comm.native()),
          "MPI_Allgather");
    for (std::size_t k = 0; k < K; ++k) {
      double s = 0;
      for (std::size_t r = 0; r < ranks; ++r) s += all[r * K + k];
      acc.v[k] = s;
    }
  }
};

inline namespace TAPELESS_UNIT {
/// The checks of `value_and_grad_of` that could fail on one rank and not on
/// another, made before the handshake: the batch extents, where the data are
/// (one device, which this unit can reach), the parameters passed, and the
/// names of the parameters read. Returns this rank's rows.
template <class E, class... Ps>
std::size_t local_checks(E const& e, Ps const&... ps) {
  using T = value_type_t<E>;
  using Vars = typename tapeless::detail::params_of<tapeless::detail::type_list<>, E>::type;
  std::size_t const rows = tapeless::detail::batch_rows(e);
  tapeless::detail::check_pass_device<E>(tapeless::detail::data_device(e));
  tapeless::detail::check_passed_params(e, ps...);
  T block[tapeless::detail::param_block_size<Vars> > 0 ? tapeless::detail::param_block_size<Vars> : 1];
  tapeless::detail::gather_params<T, Vars>(e, block);
  return rows;
}
}  // namespace TAPELESS_UNIT

/// `e` with its means over rows divided by `rows`; throws the same error on
/// every rank when no rank holds a row (the handshake made `rows` equal everywhere).
template <class E>
auto over_all_rows(E const& e, std::size_t rows, char const* caller) {
  if constexpr (tapeless::detail::has_mean_over_rows<E>())
    if (rows == 0)
      fail(std::string("tapeless::mpi::") + caller +
           ": mean over data with no rows on any rank; pass at least one row");
  return tapeless::detail::divide_means_by{rows}(e);
}

/// What a rank evaluates, in words, for the handshake's messages (built once per type).
template <class E, class... Ps>
std::string const& describe() {
  static std::string const text =
      describe_params<E>() + " (asking for " + std::to_string(sizeof...(Ps)) + " gradients)";
  return text;
}

}  // namespace detail

/// A function that builds an expression: passed instead of the expression,
/// an error while building it (a batch of the wrong size on one rank, say)
/// becomes the same error on every rank too.
template <class F>
concept expression_builder = std::invocable<F const&> && operand<std::invoke_result_t<F const&>>;

namespace detail {

/// The expression type that `x` (an operand, or a function that builds one) stands for.
template <class X>
struct built {
  using type = std::remove_cvref_t<decltype(tapeless::detail::as_expr(std::declval<X const&>()))>;
};
template <expression_builder F>
struct built<F> {
  using type = typename built<std::invoke_result_t<F const&>>::type;
};

/// Builds the expression of `x` into `out`.
template <class X, class E>
void build(X const& x, std::optional<E>& out) {
  if constexpr (expression_builder<X>) out.emplace(tapeless::detail::as_expr(x()));
  else out.emplace(tapeless::detail::as_expr(x));
}

}  // namespace detail

inline namespace TAPELESS_UNIT {  // see config.hpp

/// The loss and its gradients over the rows of every rank of `comm`: each rank
/// passes the loss built on its own rows (or a function that builds it), and
/// every rank gets the result over all rows (means divide by the rows of all
/// ranks), bit-identical on every rank. A collective: every rank of `comm`
/// must call it. Throws the same `tapeless::error` on every rank when the
/// ranks evaluate different losses (other parameter shapes, say) or when one
/// rank's loss is invalid.
///
///     auto [cost, grads] = tl::mpi::value_and_grad(world, tl::mse_loss(X.matmul(w) + b, y), w, b);
///     auto [cost, grads] = tl::mpi::value_and_grad(world, [&] { return tl::mse_loss(X.matmul(w) + b, y); }, w, b);
template <class L, parameter... Ps>
  requires(operand<L> || expression_builder<L>)
auto value_and_grad(communicator const& comm, L const& loss, Ps const&... ps) {
  using E = typename detail::built<L>::type;
  std::optional<E> e;
  std::size_t const rows = detail::handshake(
      comm, detail::signature<E, Ps...>(), detail::describe<E, Ps...>(),
      [&] {
        detail::build(loss, e);
        return detail::local_checks(*e, ps...);
      },
      "value_and_grad");
  auto const global = detail::over_all_rows(*e, rows, "value_and_grad");
  detail::rank_ordered_sums combine{comm};
  return tapeless::detail::value_and_grad_of(global, combine, ps...);
}

/// The same for the parameters of a model: `tl::mpi::value_and_grad(world, cost, model.parameters())`.
template <class L, class... Ps>
  requires(operand<L> || expression_builder<L>)
auto value_and_grad(communicator const& comm, L const& loss, param_list<Ps...> const& ps) {
  return std::apply([&](auto const*... p) { return mpi::value_and_grad(comm, loss, *p...); }, ps.ptrs);
}

/// The value of an expression of static shape over the rows of every rank
/// (`tl::value` over `comm`; or of a function that builds it), the same on
/// every rank. A collective.
template <class X>
  requires(operand<X> || expression_builder<X>)
auto value(communicator const& comm, X const& x) {
  using E = typename detail::built<X>::type;
  std::optional<E> e;
  std::size_t const rows = detail::handshake(
      comm, detail::signature<E>(), detail::describe<E>(),
      [&] {
        detail::build(x, e);
        return detail::local_checks(*e);
      },
      "value");
  auto const global = detail::over_all_rows(*e, rows, "value");
  detail::rank_ordered_sums combine{comm};
  return tapeless::detail::value_of(global, combine);
}

}  // namespace TAPELESS_UNIT

namespace detail {

template <class T>
MPI_Datatype datatype() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "tapeless::mpi: float or double values");
  if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else return MPI_DOUBLE;
}

}  // namespace detail

namespace detail {

/// Whether every rank holds `count` values: the same answer on every rank (a collective).
inline bool same_count(communicator const& comm, std::size_t count) {
  long long const mine[2] = {static_cast<long long>(count), -static_cast<long long>(count)};
  long long most[2] = {};
  check(MPI_Allreduce(mine, most, 2, MPI_LONG_LONG, MPI_MAX, comm.native()), "MPI_Allreduce");
  return most[0] == -most[1];
}

template <class... Ps>
constexpr std::size_t value_count = (std::size_t{0} + ... + Ps::size);

}  // namespace detail

/// Copies the values of the parameters from rank `root` to every rank (to
/// start in lock-step when ranks initialise differently). A collective; throws
/// the same `tapeless::error` on every rank when the ranks' parameters differ in size.
template <class... Ps>
void broadcast(communicator const& comm, param_list<Ps...> const& ps, int root = 0) {
  if (!detail::same_count(comm, detail::value_count<Ps...>))
    detail::fail("tapeless::mpi::broadcast: the ranks hold parameters of different sizes; every rank must build "
                 "the same model");
  std::apply(
      [&](auto*... p) {
        (detail::check(MPI_Bcast(p->data(), static_cast<int>(p->size), detail::datatype<typename Ps::value_type>(),
                                 root, comm.native()),
                       "MPI_Bcast"),
         ...);
      },
      ps.ptrs);
}

/// Whether every rank holds bit-identical values of the parameters: the same
/// answer on every rank (false when their sizes differ). A collective.
template <class... Ps>
[[nodiscard]] bool in_lockstep(communicator const& comm, param_list<Ps...> const& ps) {
  std::vector<unsigned char> mine;
  std::apply(
      [&](auto const*... p) {
        ((mine.insert(mine.end(), reinterpret_cast<unsigned char const*>(p->data()),
                      reinterpret_cast<unsigned char const*>(p->data() + p->size))),
         ...);
      },
      ps.ptrs);
  if (!detail::same_count(comm, mine.size())) return false;
  std::vector<unsigned char> root = mine;
  detail::check(MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_UNSIGNED_CHAR, 0, comm.native()),
                "MPI_Bcast");
  int const same = mine == root ? 1 : 0;
  int all_same = 0;
  detail::check(MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_MIN, comm.native()), "MPI_Allreduce");
  return all_same == 1;
}

}  // namespace tapeless::mpi
