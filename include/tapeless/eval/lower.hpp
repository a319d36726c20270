#pragma once
// Lowering: from expression trees to one pass over the rows.
//
// A scalar loss is *row-separable* when every place it touches the batch
// (`dyn` rows) is inside a reduction `sum`/`mean`. The loss and all of its
// derivative trees are then scalar functions of (a) the parameters and (b) a
// fixed number K of row sums Σᵣ termₖ(r). Lowering
//   1. collects those K row terms, in depth-first order, as one `expr_list`,
//      and the subterms they share (memos, see expr/memo.hpp) as another that
//      fills a per-row cache first: the residual is computed once per row;
//   2. replaces each reduction in the output trees by `reduced{k, scale}` and
//      each parameter by a `param_slot` into one by-value block of values,
//      so nothing a kernel sees carries a name or a pointer to host memory.
// The backend sums the K terms over all rows in one pass; the host then
// evaluates the output trees, which read the K sums.

#include "../expr/leaf.hpp"
#include "../expr/memo.hpp"
#include "../expr/node.hpp"
#include "../expr/reduce.hpp"
#include "../param.hpp"

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tapeless::detail {

// ---- type lists ------------------------------------------------------------

template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

template <class List, class T>
struct push_unique;
template <class... Ts, class T>
struct push_unique<type_list<Ts...>, T> {
  using type = std::conditional_t<(std::is_same_v<Ts, T> || ...), type_list<Ts...>, type_list<Ts..., T>>;
};

/// Position of the first `true` in `flags` (its size when none is).
template <std::size_t N>
constexpr std::size_t first_true(bool const (&flags)[N]) {
  std::size_t i = 0;
  while (i < N && !flags[i]) ++i;
  return i;
}

/// Position of `T` in the list `List`.
template <class List, class T>
inline constexpr std::size_t index_in = 0;
template <class T, class... Ts>
inline constexpr std::size_t index_in<type_list<Ts...>, T> = [] {
  bool const flags[] = {std::is_same_v<Ts, T>..., true};
  return first_true(flags);
}();

// ---- what a tree contains --------------------------------------------------

template <class E>
inline constexpr bool is_row_reduction = false;
template <class X>
inline constexpr bool is_row_reduction<expr::sum<X>> = shape_of_t<X>::rows == dyn;
template <class X>
inline constexpr bool is_row_reduction<expr::mean<X>> = shape_of_t<X>::rows == dyn;
template <class X>
inline constexpr bool is_row_reduction<expr::colsum<X>> = shape_of_t<X>::rows == dyn;
template <class A, class B>
inline constexpr bool is_row_reduction<expr::gram<A, B>> = shape_of_t<A>::rows == dyn;

/// Row reductions whose result is a matrix (one sum per element) rather than one number.
template <class E>
inline constexpr bool keeps_elements = expr::detail::is_colsum<E> || expr::detail::is_gram<E>;

template <class E>
using children_t = decltype(children_of(std::declval<E const&>()));

/// Whether `test(std::type_identity<C>{})` holds for a child `C` of `E`: the
/// step of every walk below.
template <class E, class Test>
constexpr bool any_child(Test test) {
  return [&]<class... Cs>(std::type_identity<std::tuple<Cs...>>) {
    return (test(std::type_identity<std::remove_cvref_t<Cs>>{}) || ... || false);
  }(std::type_identity<children_t<E>>{});
}

/// Whether `E` or a node inside it satisfies `Pick` (`Pick<N>::value`).
template <template <class> class Pick, class E>
constexpr bool any_node() {
  if constexpr (Pick<E>::value) return true;
  else return any_child<E>([]<class C>(std::type_identity<C>) { return any_node<Pick, C>(); });
}

template <class E>
struct is_row_reduction_node : std::bool_constant<is_row_reduction<E>> {};

template <class E>
constexpr bool contains_row_reduction() {
  return any_node<is_row_reduction_node, E>();
}

/// Whether `E` reads rows (a data leaf, class indices) outside every reduction
/// over rows: such a leaf stays in the outer trees, which the host evaluates
/// after the pass (data with rows fixed at compile time, say).
template <class E>
constexpr bool reads_rows_outside_pass() {
  if constexpr (is_row_reduction<E>) return false;
  else if constexpr (is_row_source<E>) return true;
  else return any_child<E>([]<class C>(std::type_identity<C>) { return reads_rows_outside_pass<C>(); });
}

/// True when a row reduction sits inside another (two passes would be needed).
template <class E>
constexpr bool has_nested_row_reduction() {
  if constexpr (is_row_reduction<E>)
    return any_child<E>([]<class C>(std::type_identity<C>) { return contains_row_reduction<C>(); });
  else return any_child<E>([]<class C>(std::type_identity<C>) { return has_nested_row_reduction<C>(); });
}

/// A scalar expression that one pass over the rows can evaluate, with its gradients.
template <class E>
inline constexpr bool row_separable = shape_of_t<E>::rows != dyn && !has_nested_row_reduction<E>();

/// The distinct nodes of `E` that satisfy `Pick`, appended to `List` in
/// post-order (a node after the nodes inside it).
template <template <class> class Pick, class List, class E>
struct collect_distinct;
template <template <class> class Pick, class List, class Tuple>
struct collect_distinct_tuple {
  using type = List;
};
template <template <class> class Pick, class List, class C, class... Cs>
struct collect_distinct_tuple<Pick, List, std::tuple<C, Cs...>> {
  using type = typename collect_distinct_tuple<
      Pick, typename collect_distinct<Pick, List, std::remove_cvref_t<C>>::type, std::tuple<Cs...>>::type;
};
template <template <class> class Pick, class List, class E>
struct collect_distinct {
  using inner = typename collect_distinct_tuple<Pick, List, children_t<E>>::type;
  using type = std::conditional_t<Pick<E>::value, typename push_unique<inner, E>::type, inner>;
};

template <class E>
struct is_param_node : std::bool_constant<is_param_ref<E>> {};

/// The distinct parameter leaves of `E`, appended to `List`.
template <class List, class E>
using params_of = collect_distinct<is_param_node, List, E>;

/// Offset of each parameter in the by-value parameter block, and its size.
template <class Vars, std::size_t I>
inline constexpr std::size_t param_offset = 0;
template <class... Vs, std::size_t I>
inline constexpr std::size_t param_offset<type_list<Vs...>, I> =
    prefix_sum<I, shape_of_t<Vs>::rows * shape_of_t<Vs>::cols...>;
template <class Vars>
inline constexpr std::size_t param_block_size = param_offset<Vars, Vars::size>;

/// Calls `f(leaf)` for every leaf of `e`, left to right.
template <class E, class F>
constexpr void for_each_leaf(E const& e, F& f) {
  if constexpr (has_children<E>) std::apply([&f](auto const&... c) { (for_each_leaf(c, f), ...); }, e.children());
  else f(e);
}

// ---- the two rewrites ------------------------------------------------------

/// Index of the first sum of a row term that comes after `k` sums. A term summed
/// element by element starts at an even index: its pairs of doubles are then
/// 16-byte aligned, and vectorised adds to them ran 1.6× faster (D = 16) than
/// misaligned ones.
TAPELESS_HOST_DEVICE constexpr std::size_t first_sum(bool elementwise, std::size_t k) {
  return elementwise ? (k + 1) / 2 * 2 : k;
}

/// Replaces parameters by slots of the block `Vars` and, unless `Terms`, each
/// row reduction by the next `reduced` slot.
template <class T, class Vars>
struct lowering {
  std::size_t next = 0;

  template <class E>
  constexpr auto operator()(E const& e) {
    if constexpr (is_param_ref<E>) {
      // Plain integers: nvcc re-emits template arguments as written, and an
      // expression naming a parameter (a class NTTP) must not reach a kernel's type.
      constexpr std::size_t offset = param_offset<Vars, index_in<Vars, E>>;
      constexpr std::size_t rows = shape_of_t<E>::rows, cols = shape_of_t<E>::cols;
      return expr::param_slot<offset, rows, cols, T>{};
    } else if constexpr (is_row_reduction<E>) {
      static_assert(!has_nested_row_reduction<E>(),
                    "tapeless::value_and_grad: the loss is not row-separable (a reduction over rows sits inside "
                    "another); it would need two passes over the data");
      if constexpr (keeps_elements<E>) {
        constexpr std::size_t rows = shape_of_t<E>::rows, cols = shape_of_t<E>::cols;
        expr::reduced<T, rows, cols> const slot{{}, first_sum(true, next), 1.0};
        next = slot.index + rows * cols;
        return slot;
      } else if constexpr (std::is_same_v<E, expr::mean<std::remove_cvref_t<decltype(e.arg)>>>) {
        std::size_t const n = e.count();
        if (n == 0) fail("tapeless::value_and_grad: mean over data with no rows; pass at least one row");
        return expr::reduced<T>{{}, next++, 1.0 / static_cast<double>(n)};
      } else {
        return expr::reduced<T>{{}, next++, 1.0};
      }
    } else if constexpr (has_children<E>) {
      return e.map(*this);
    } else {
      return e;
    }
  }
};

/// A row term whose values are summed one by one (a reduction that keeps a
/// matrix), not added together into one sum.
template <class X>
struct elementwise_term : expr::node<elementwise_term<X>> {
  using shape_type = shape_of_t<X>;
  X arg;

  constexpr explicit elementwise_term(X x) : arg(x) {}
  [[nodiscard]] TAPELESS_HOST_DEVICE constexpr std::size_t rows() const { return arg.rows(); }
  [[nodiscard]] constexpr auto children() const { return std::tie(arg); }
  template <class F>
  constexpr auto map(F& f) const {
    return elementwise_term<decltype(apply_child<0>(f, arg))>{apply_child<0>(f, arg)};
  }
  template <class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE expr::row<T, shape_type::cols> at(std::size_t r, Ctx const& ctx) const {
    return arg.template at<T>(r, ctx);
  }
};
template <class E>
inline constexpr bool is_elementwise_term = false;
template <class X>
inline constexpr bool is_elementwise_term<elementwise_term<X>> = true;

/// Number of sums a row term adds to.
template <class E>
inline constexpr std::size_t term_width = is_elementwise_term<E> ? shape_of_t<E>::cols : 1;

/// Number of sums (with alignment gaps) of the row terms `Ts…`, after `k` sums.
template <class... Ts>
constexpr std::size_t sums_after(std::size_t k) {
  ((k = first_sum(is_elementwise_term<Ts>, k) + term_width<Ts>), ...);
  return k;
}

/// The lowered per-row terms of every row reduction of `e`, depth-first.
template <class T, class Vars, class E>
constexpr auto row_terms(E const& e) {
  if constexpr (is_row_reduction<E>) {
    lowering<T, Vars> params_only;
    if constexpr (keeps_elements<E>) {
      auto const term = e.term(params_only);
      return std::tuple{elementwise_term<std::remove_cvref_t<decltype(term)>>{term}};
    } else {
      return std::tuple{params_only(e.arg)};
    }
  } else if constexpr (has_children<E>) {
    return std::apply([](auto const&... c) { return std::tuple_cat(row_terms<T, Vars>(c)...); }, e.children());
  } else {
    return std::tuple<>{};
  }
}

/// The most columns of any node of `E`: how wide its rows get.
template <class E>
constexpr std::size_t widest_row() {
  return []<class... Cs>(std::type_identity<std::tuple<Cs...>>) {
    std::size_t widest = shape_of_t<E>::cols;
    ((widest = widest < widest_row<std::remove_cvref_t<Cs>>() ? widest_row<std::remove_cvref_t<Cs>>() : widest),
     ...);
    return widest;
  }(std::type_identity<decltype(children_of(std::declval<E const&>()))>{});
}

/// A list of lowered row expressions with the two per-row jobs of the pass:
/// `accumulate` adds each one's row value to its sum (the K row terms), `fill`
/// writes each one's row into the cache (the shared subterms, in order, each
/// reading the slots written before it).
template <class... Es>
struct expr_list;
template <>
struct expr_list<> {
  static constexpr std::size_t widest = 0;
  template <std::size_t K, class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE void accumulate(std::size_t, double*, Ctx const&) const {}
  template <std::size_t K, class T, std::size_t L, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE void accumulate_lane(std::size_t, double (*)[L], std::size_t,
                                                           Ctx const&) const {}
  template <std::size_t Offset, class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE void fill(std::size_t, T*, Ctx const&) const {}
};
template <class E, class... Es>
struct expr_list<E, Es...> {
  /// The most columns of any node of the list.
  static constexpr std::size_t widest =
      widest_row<E>() < expr_list<Es...>::widest ? expr_list<Es...>::widest : widest_row<E>();
  E head;
  expr_list<Es...> tail;

  template <std::size_t K, class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE void accumulate(std::size_t r, double* acc, Ctx const& ctx) const {
    auto const v = head.template at<T>(r, ctx);
    constexpr std::size_t first = first_sum(is_elementwise_term<E>, K);
    if constexpr (is_elementwise_term<E>) {
      for (std::size_t j = 0; j < shape_of_t<E>::cols; ++j) acc[first + j] += static_cast<double>(v[j]);
    } else {
      double s = static_cast<double>(v[0]);
      for (std::size_t j = 1; j < shape_of_t<E>::cols; ++j) s += static_cast<double>(v[j]);
      acc[first] += s;
    }
    tail.template accumulate<first + term_width<E>, T>(r, acc, ctx);
  }
  /// As `accumulate`, into lane `l` of `L` running sums per term (`acc[k][l]`):
  /// a loop over the lanes of consecutive rows has no dependence between its
  /// iterations, so the compiler can vectorise it without reordering a sum.
  template <std::size_t K, class T, std::size_t L, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE void accumulate_lane(std::size_t r, double (*acc)[L], std::size_t l,
                                                           Ctx const& ctx) const {
    auto const v = head.template at<T>(r, ctx);
    constexpr std::size_t first = first_sum(is_elementwise_term<E>, K);
    if constexpr (is_elementwise_term<E>) {
      for (std::size_t j = 0; j < shape_of_t<E>::cols; ++j) acc[first + j][l] += static_cast<double>(v[j]);
    } else {
      double s = static_cast<double>(v[0]);
      for (std::size_t j = 1; j < shape_of_t<E>::cols; ++j) s += static_cast<double>(v[j]);
      acc[first][l] += s;
    }
    tail.template accumulate_lane<first + term_width<E>, T, L>(r, acc, l, ctx);
  }
  template <std::size_t Offset, class T, class Ctx>
  TAPELESS_HOST_DEVICE TAPELESS_INLINE void fill(std::size_t r, T* cache, Ctx const& ctx) const {
    auto const v = head.template at<T>(r, ctx);
    for (std::size_t j = 0; j < shape_of_t<E>::cols; ++j) cache[Offset + j] = v[j];
    tail.template fill<Offset + shape_of_t<E>::cols, T>(r, cache, ctx);
  }
};

constexpr expr_list<> build_expr_list() { return {}; }
template <class E, class... Es>
constexpr expr_list<E, Es...> build_expr_list(E const& e, Es const&... es) {
  return {e, build_expr_list(es...)};
}
template <class... Es>
constexpr expr_list<Es...> make_expr_list(std::tuple<Es...> const& t) {
  return std::apply([](auto const&... e) { return build_expr_list(e...); }, t);
}

// ---- shared subterms: each memo evaluated once per row ------------------------

template <class E>
inline constexpr bool is_memo = false;
template <std::size_t Id, class E>
inline constexpr bool is_memo<expr::memo<Id, E>> = true;

template <class E>
struct is_memo_node : std::bool_constant<is_memo<E>> {};

/// The distinct memo nodes of the trees in `Tuple`, appended to `List` in
/// post-order: a memo's inner memos come before it, so filling the cache in
/// list order is valid.
template <class List, class Tuple>
using memos_of_tuple = collect_distinct_tuple<is_memo_node, List, Tuple>;

/// Offset of memo `I` of `Memos` in the per-row cache, and the cache's size.
template <class Memos, std::size_t I>
inline constexpr std::size_t cache_offset = 0;
template <class... Ms, std::size_t I>
inline constexpr std::size_t cache_offset<type_list<Ms...>, I> = prefix_sum<I, shape_of_t<Ms>::cols...>;
template <class Memos>
inline constexpr std::size_t cache_size = cache_offset<Memos, Memos::size>;

/// Replaces each memo of `Memos` by a read of its cache slot.
template <class Memos>
struct binding {
  std::size_t n;
  template <class E>
  constexpr auto operator()(E const& e) {
    if constexpr (is_memo<E>) {
      constexpr std::size_t offset = cache_offset<Memos, index_in<Memos, E>>;
      constexpr std::size_t cols = shape_of_t<E>::cols;
      return expr::cached<offset, cols>{{}, n};
    } else if constexpr (has_children<E>) {
      return e.map(*this);
    } else {
      return e;
    }
  }
};

/// The first node of type `M` in `e` (nullptr when none).
template <class M, class E>
constexpr M const* find_node(E const& e) {
  if constexpr (std::is_same_v<E, M>) {
    return &e;
  } else if constexpr (has_children<E>) {
    M const* found = nullptr;
    std::apply([&](auto const&... c) { ((found = found ? found : find_node<M>(c)), ...); }, e.children());
    return found;
  } else {
    return nullptr;
  }
}

/// The shared-subterm program of `terms` (an `expr_list` to `fill`, memos bound to
/// cache reads) and the terms bound likewise.
template <class Memos, class Terms>
struct shared_program;
template <class... Ms, class Terms>
struct shared_program<type_list<Ms...>, Terms> {
  static auto make(Terms const& terms, std::size_t n) {
    binding<type_list<Ms...>> bind{n};
    [[maybe_unused]] auto first = [&]<class M>(std::type_identity<M>) -> M const& {
      M const* found = nullptr;
      std::apply([&](auto const&... t) { ((found = found ? found : find_node<M>(t)), ...); }, terms);
      return *found;  // M was collected from these terms
    };
    auto list = build_expr_list(bind(first(std::type_identity<Ms>{}).inner)...);
    auto bound = std::apply([&](auto const&... t) { return std::tuple{bind(t)...}; }, terms);
    return std::pair{list, bound};
  }
};

/// Records `r` as the batch extent of a loss whose extent so far is `n` (when
/// `seen`): every batch (dyn) extent in one loss must be equal.
inline void note_batch_rows(std::size_t& n, bool& seen, std::size_t r) {
  if (seen && r != n)
    fail("tapeless::value_and_grad: the loss's reductions run over " + std::to_string(n) + " and " +
         std::to_string(r) + " rows; every batch (dyn) extent in one loss must be equal");
  n = r;
  seen = true;
}

/// Number of rows the pass runs over: the batch extent shared by every term.
template <class Tuple>
std::size_t pass_rows(Tuple const& terms) {
  std::size_t n = 0;
  bool seen = false;
  std::apply([&](auto const&... t) { (note_batch_rows(n, seen, rows_of(t)), ...); }, terms);
  return n;
}

}  // namespace tapeless::detail
