#pragma once
// Running a lowered expression: gather the parameter block, run the one pass over
// the rows, rewrite the output trees to read the pass's sums. Shared by
// value_and_grad (static-shape outputs) and by building a tensor from an
// expression with `dyn` rows (each row of the lowered tree, after the pass).

#include "../backend/cuda/buffer.hpp"
#include "../backend/cuda/row_pass.hpp"
#include "../backend/thrust/row_pass.hpp"
#include "../device.hpp"
#include "../expr/node.hpp"
#include "../param.hpp"
#include "lower.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

namespace tapeless::detail {

/// The parameter values, the K row sums and the lowered outputs of one pass.
template <class T, std::size_t P, std::size_t K, class Lowered>
struct pass_result {
  T block[P > 0 ? P : 1];
  accumulator<K> acc;
  Lowered const& outputs;  // the program's

  /// What the lowered outputs read (points into this object: keep it alive).
  [[nodiscard]] expr::context<T> context() const { return {block, acc.v}; }
};

/// Copies the values of the parameters `root` reads into `block`, laid out as `Vars`.
template <class T, class Vars, class Root>
void gather_params(Root const& root, T* block) {
  void const* seen[Vars::size + 1] = {};
  auto gather = [&]<class Leaf>(Leaf const& leaf) {
    if constexpr (is_param_ref<Leaf>) {
      constexpr std::size_t i = index_in<Vars, Leaf>;
      if (seen[i] != nullptr && seen[i] != leaf.values)
        fail("tapeless::value_and_grad: two different parameters are named '" + Leaf::name.str() +
             "'; give each parameter its own name");
      seen[i] = leaf.values;
      constexpr std::size_t off = param_offset<Vars, i>;
      for (std::size_t k = 0; k < shape_of_t<Leaf>::rows * shape_of_t<Leaf>::cols; ++k)
        block[off + k] = static_cast<T>(leaf.values[k]);
    }
  };
  for_each_leaf(root, gather);
}

/// The one-pass functor for `outputs` (a tuple of expressions whose parameters
/// are `Vars`): every row term of every output and the subterms they share.
/// Its parameter values are filled by `run_program`.
template <class T, class Vars, class Outputs>
auto make_pass(Outputs const& outputs) {
  constexpr std::size_t P = param_block_size<Vars>;
  auto const terms = std::apply([](auto const&... o) { return std::tuple_cat(row_terms<T, Vars>(o)...); }, outputs);
  using Terms = std::remove_cvref_t<decltype(terms)>;
  constexpr std::size_t K = []<class... Ts>(std::type_identity<std::tuple<Ts...>>) {
    return sums_after<Ts...>(0);
  }(std::type_identity<Terms>{});
  std::size_t const n = pass_rows(terms);
  // Subterms shared by several terms (memos) are computed once per row.
  using Memos = typename memos_of_tuple<type_list<>, Terms>::type;
  auto const program = shared_program<Memos, Terms>::make(terms, n);
  auto const list = make_expr_list(program.second);
  using Shared = std::remove_cvref_t<decltype(program.first)>;
  return block_pass<T, P, K, cache_size<Memos>, Shared, std::remove_cvref_t<decltype(list)>>{
      program.first, list, {}, n, rows_per_block};
}

/// Where the rows that `roots…` read are: cpu when they read none. Throws when
/// they are on more than one device.
template <class... Roots>
device data_device(Roots const&... roots) {
  device where = cpu;
  bool seen = false, mixed = false;
  auto visit = [&]<class Leaf>(Leaf const& leaf) {
    if constexpr (is_row_source<Leaf>) {
      mixed = mixed || (seen && leaf.where != where);
      where = leaf.where;
      seen = true;
    }
  };
  (for_each_leaf(roots, visit), ...);
  if (mixed)
    fail("tapeless::value_and_grad: the loss reads data on cpu and on cuda; move them to one device "
         "(.to(device)) first");
  return where;
}

/// What a set of outputs lowers to, independent of the parameter values: the
/// one-pass functor and the outer trees, with reductions read from the pass,
/// and where the rows are (their device is part of the data leaves, so a
/// cached program's is its expression's).
template <class Pass, class Lowered>
struct program {
  using pass_type = Pass;
  Pass pass;
  Lowered outputs;
  device where;
};

/// Lowers `outputs` (a mean over no rows, or data on two devices, is reported
/// here, before any work).
template <class T, class Vars, class Outputs>
auto lower_program(Outputs const& outputs) {
  device const where = std::apply([](auto const&... o) { return data_device(o...); }, outputs);
  auto pass = make_pass<T, Vars>(outputs);
  lowering<T, Vars> lower;
  auto lowered = std::apply([&](auto const&... o) { return std::tuple{lower(o)...}; }, outputs);
  return program<decltype(pass), decltype(lowered)>{pass, lowered, where};
}

/// Runs `prog` once over the rows with the current values of the parameters of
/// `root`; `run(pass, n)` runs the pass where the rows are.
template <class T, class Vars, class Pass, class Lowered, class Root, class Run>
auto run_program_with(program<Pass, Lowered>& prog, Root const& root, Run run) {
  constexpr std::size_t P = param_block_size<Vars>;
  gather_params<T, Vars>(root, prog.pass.params);
  pass_result<T, P, Pass::sums, Lowered> result{{}, run(prog.pass, prog.pass.n), prog.outputs};
  if constexpr (P > 0)
    for (std::size_t k = 0; k < P; ++k) result.block[k] = prog.pass.params[k];
  return result;
}

/// The host pass (`run_pass`), as `run_program_with` takes it.
struct host_pass {
  template <class Pass>
  accumulator<Pass::sums> operator()(Pass const& pass, std::size_t n) const {
    return run_pass<Pass::sums>(pass, n);
  }
};

inline namespace TAPELESS_UNIT {

/// Throws unless this kind of translation unit can run the pass of `E` over
/// rows on `where`: a host unit cannot over rows on cuda, and on cuda every
/// row `E` reads must be inside a reduction over rows (read by the pass; the
/// rest of the tree is evaluated on the host).
template <class E>
void check_pass_device(device where) {
  if (where == cpu) return;
#if !defined(__CUDACC__)
  fail("tapeless::value_and_grad: the data are on cuda, and this file was not compiled by nvcc; compile the "
       "files that evaluate losses over device data with nvcc (TAPELESS_ENABLE_CUDA)");
#else
  if constexpr (reads_rows_outside_pass<E>())
    fail("tapeless::value_and_grad: the loss reads data on cuda outside a reduction over rows of dynamic extent "
         "(rows fixed at compile time, for instance), which is evaluated on the host; give the data tl::dyn rows, "
         "or keep them on the host (.to(tl::cpu))");
#endif
}

/// Runs `prog` once over the rows, on the device that holds them: the host, or
/// in an nvcc translation unit a CUDA device (backend/cuda/row_pass.hpp).
template <class T, class Vars, class Pass, class Lowered, class Root>
auto run_program(program<Pass, Lowered>& prog, Root const& root) {
  check_pass_device<Root>(prog.where);
#if defined(__CUDACC__)
  if (prog.where == cuda)
    return run_program_with<T, Vars>(
        prog, root, [](Pass const& pass, std::size_t n) { return run_pass_cuda<Pass::sums>(pass, n); });
#endif
  return run_program_with<T, Vars>(prog, root, host_pass{});
}

}  // namespace TAPELESS_UNIT

/// The program of `E` built last on this thread, and the bytes of the
/// expression it was built for. Every run-time input of a lowering (data
/// pointers and row counts, scalars, where parameters live) is a member of
/// the expression, so equal bytes mean an equal program: a training loop that
/// evaluates the same loss again reuses it, and any change (another batch,
/// another tensor) rebuilds it. Parameter values are read on every run.
template <class E, class Program>
struct program_cache {
  alignas(E) unsigned char key[sizeof(E)];
  std::optional<Program> program;

  /// The cached program, rebuilt by `build()` unless it was built for `e`.
  template <class Build>
  Program& get(E const& e, Build build) {
    if (!program || !same_bytes(e)) {
      program.emplace(build());
      std::memcpy(key, &e, sizeof(E));
    }
    return *program;
  }

 private:
  /// `memcmp(key, &e, sizeof(E)) == 0`, inlined: the library call was a fifth
  /// of a step of a three-row problem in a profile.
  bool same_bytes(E const& e) const {
    unsigned char const* bytes = reinterpret_cast<unsigned char const*>(&e);
    std::uint64_t diff = 0;
    std::size_t i = 0;
    for (; i + 8 <= sizeof(E); i += 8) {
      std::uint64_t a, b;
      std::memcpy(&a, key + i, 8);
      std::memcpy(&b, bytes + i, 8);
      diff |= a ^ b;
    }
    for (; i < sizeof(E); ++i) diff |= static_cast<std::uint64_t>(key[i] ^ bytes[i]);
    return diff == 0;
  }
};

/// This thread's program cache for expressions of type `E`.
template <class E, class Program>
program_cache<E, Program>& cache_for() {
  thread_local program_cache<E, Program> cache;
  return cache;
}

/// Writes the rows of `e` (any shape, rows `dyn` allowed, data on the host) to
/// `out` in host memory, row-major, with every reduction over rows computed
/// once, in one pass.
template <class U, class E>
void evaluate_rows(E const& e, U* out) {
  using T = value_type_t<E>;
  using Vars = typename params_of<type_list<>, E>::type;
  auto prog = lower_program<T, Vars>(std::tuple{e});
  auto const run = run_program_with<T, Vars>(prog, e, host_pass{});
  auto const ctx = run.context();
  auto const& lowered = std::get<0>(run.outputs);
  constexpr std::size_t C = shape_of_t<E>::cols;
  std::size_t const n = rows_of(e);
  for (std::size_t r = 0; r < n; ++r) {
    auto const v = lowered.template at<T>(r, ctx);
    for (std::size_t j = 0; j < C; ++j) out[r * C + j] = static_cast<U>(v[j]);
  }
}

#if defined(__CUDACC__)
/// What a lowered row tree reads besides its data: the parameter values and
/// the pass's row sums, by value in a launch.
template <class T, std::size_t P, std::size_t K>
struct pass_values {
  T block[P > 0 ? P : 1];
  accumulator<K> acc;
};

template <std::size_t C, class T, class U, class Lowered, class Values>
__global__ void evaluate_rows_kernel(Lowered lowered, Values values, std::size_t n, U* out) {
  expr::context<T> const ctx{values.block, values.acc.v};
  std::size_t const stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t r = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < n; r += stride) {
    auto const v = lowered.template at<T>(r, ctx);
    for (std::size_t j = 0; j < C; ++j) out[r * C + j] = static_cast<U>(v[j]);
  }
}

/// `evaluate_rows` with the data and `out` in the current CUDA device's memory:
/// the pass on the GPU for the reductions over rows, then one thread per row.
template <class U, class E>
void evaluate_rows_cuda(E const& e, U* out) {
  using T = value_type_t<E>;
  using Vars = typename params_of<type_list<>, E>::type;
  constexpr std::size_t P = param_block_size<Vars>;
  auto prog = lower_program<T, Vars>(std::tuple{e});
  auto const run = run_program_with<T, Vars>(
      prog, e, [](auto const& pass, std::size_t n) {
        return run_pass_cuda<std::remove_cvref_t<decltype(pass)>::sums>(pass, n);
      });
  pass_values<T, P, std::remove_cvref_t<decltype(prog.pass)>::sums> values{};
  std::memcpy(values.block, run.block, sizeof values.block);  // the same size, P or 1
  values.acc = run.acc;
  std::size_t const n = rows_of(e);
  using Output = std::tuple_element_t<0, std::remove_cvref_t<decltype(run.outputs)>>;
  static_assert(fits_launch<Output, decltype(values), std::size_t, U*>, TAPELESS_LAUNCH_TOO_LARGE);
  if (n == 0) return;
  unsigned const blocks = pass_blocks(n);
  evaluate_rows_kernel<shape_of_t<E>::cols, T>
      <<<blocks, pass_block_threads>>>(std::get<0>(run.outputs), values, n, out);
  check_cuda(cudaGetLastError(), "launching the kernel that builds a tensor");
  check_cuda(cudaDeviceSynchronize(), "building a tensor on the device");
}
/// The C column sums, in double, of the rows of `x` (an expression of C
/// columns whose data are on the current CUDA device): one pass on the GPU.
template <class X>
accumulator<shape_of_t<X>::cols> column_sums_cuda(X const& x) {
  using T = value_type_t<X>;
  using Vars = typename params_of<type_list<>, X>::type;
  auto prog = lower_program<T, Vars>(std::tuple{expr::colsum<X>{x}});
  static_assert(decltype(prog.pass)::sums == shape_of_t<X>::cols, "one sum per column");
  return run_program_with<T, Vars>(prog, x, [](auto const& pass, std::size_t n) {
           return run_pass_cuda<shape_of_t<X>::cols>(pass, n);
         }).acc;
}
#endif

inline namespace TAPELESS_UNIT {

/// What this kind of translation unit can do with devices. It is a different
/// type in host and nvcc units (see TAPELESS_UNIT), so a template that takes
/// it as a default argument (`tensor::to`, the tensor's constructor from an
/// expression) has distinct specialisations in the two, and each calls the
/// operations its unit has: CUDA in an nvcc unit, a `tl::error` in a host one.
struct unit {
  /// `bytes` bytes of memory on `where` (not cpu).
  static device_memory allocate(device where, std::size_t bytes, char const* api) {
#if defined(__CUDACC__)
    (void)where, (void)api;
    return device_memory(bytes, cuda_memory);
#else
    (void)bytes;
    not_nvcc(where, api);
#endif
  }
  /// Copies `bytes` bytes between memory of `where` (not cpu) and the host, or
  /// within it, as `kind` says.
  static void copy(device where, void* to, void const* from, std::size_t bytes, copy_kind kind, char const* api) {
#if defined(__CUDACC__)
    (void)where, (void)api;
    if (bytes > 0) cuda_copy(to, from, bytes, kind);
#else
    (void)to, (void)from, (void)bytes, (void)kind;
    not_nvcc(where, api);
#endif
  }
  /// `evaluate_rows` of `e`, whose data are on `where` (not cpu), into `out` there.
  template <class U, class E>
  static void evaluate_rows(device where, E const& e, U* out, char const* api) {
#if defined(__CUDACC__)
    (void)where, (void)api;
    evaluate_rows_cuda(e, out);
#else
    (void)e, (void)out;
    not_nvcc(where, api);
#endif
  }
  /// The column sums, in double, of `x`, whose data are on `where` (not cpu).
  template <class X>
  static accumulator<shape_of_t<X>::cols> column_sums(device where, X const& x, char const* api) {
#if defined(__CUDACC__)
    (void)where, (void)api;
    return column_sums_cuda(x);
#else
    (void)x;
    not_nvcc(where, api);
#endif
  }

 private:
  [[noreturn]] static void not_nvcc(device where, char const* api) {
    fail(std::string("tapeless::") + api + ": this file was not compiled by nvcc, so it cannot reach data on " +
         std::string(where.name()) + "; compile the files that move data to and from the GPU with nvcc "
         "(TAPELESS_ENABLE_CUDA)");
  }
};

}  // namespace TAPELESS_UNIT

}  // namespace tapeless::detail
