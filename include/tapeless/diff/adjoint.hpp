#pragma once
// Reverse mode: the gradient of a scalar loss with respect to a whole parameter
// at once, as one expression shaped like the parameter.
//
// `tl::grad` differentiates element by element (forward mode): a parameter with
// m elements costs m derivative trees, in compile time and in work per row. For
// `value_and_grad`, the adjoint ū of each node — ∂loss/∂node, shaped like the
// node — is pushed from the loss down to the parameters instead, one rule per
// node kind:
//
//     a + b, a − b     ū_a = reduce(ū), ū_b = ±reduce(ū)   (reduce: undo broadcasting)
//     a ⊙ b, a / b     ū_a = reduce(ū ⊙ b), …
//     f(x)             ū_x = ū ⊙ f′(x)                       (`slope`, elementwise.hpp)
//     A·B              ū_A = ū·Bᵀ,  ū_B = Aᵀ·ū             (Σ over rows: `gram`, one pass)
//     sum/mean(X)      ū_X = ū · 1 (/ n)                     (ū is a number: factored out)
//
// Undoing a broadcast over the batch rows (a bias added to every row) and Aᵀ·ū
// for data A are sums over rows: `colsum`, `sum` and `gram` nodes, which the one
// pass accumulates like any other reduction. Each adjoint that flows through a
// shared subterm (a memo of the loss) is itself shared (a memo numbered after
// the loss's own), so the backward sweep is computed once per row for all
// parameters. A loss with a node that has no rule here falls back to `grad`.

#include "../expr/arith.hpp"
#include "../expr/elementwise.hpp"
#include "../expr/leaf.hpp"
#include "../expr/loss_nodes.hpp"
#include "../expr/matmul.hpp"
#include "../expr/memo.hpp"
#include "../expr/node.hpp"
#include "../expr/reduce.hpp"
#include "../eval/lower.hpp"
#include "grad.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace tapeless::detail {

/// True for node kinds with a reverse-mode rule (below).
template <class E>
inline constexpr bool has_adjoint_rule = false;
template <int N>
inline constexpr bool has_adjoint_rule<expr::constant<N>> = true;
template <std::size_t R, std::size_t C, std::size_t I, std::size_t J>
inline constexpr bool has_adjoint_rule<expr::unit<R, C, I, J>> = true;
template <class T>
inline constexpr bool has_adjoint_rule<expr::scalar<T>> = true;
template <class T, std::size_t R, std::size_t C>
inline constexpr bool has_adjoint_rule<expr::data<T, R, C>> = true;
template <fixed_name Name, std::size_t R, std::size_t C, class T>
inline constexpr bool has_adjoint_rule<expr::param_ref<Name, R, C, T>> = true;
template <std::size_t Id, class E>
inline constexpr bool has_adjoint_rule<expr::memo<Id, E>> = true;
template <class L, class R>
inline constexpr bool has_adjoint_rule<expr::add<L, R>> = true;
template <class L, class R>
inline constexpr bool has_adjoint_rule<expr::sub<L, R>> = true;
template <class L, class R>
inline constexpr bool has_adjoint_rule<expr::mul<L, R>> = true;
template <class L, class R>
inline constexpr bool has_adjoint_rule<expr::div<L, R>> = true;
template <class X>
inline constexpr bool has_adjoint_rule<expr::neg<X>> = true;
template <class S, class X>
inline constexpr bool has_adjoint_rule<expr::broadcast_to<S, X>> = true;
template <class L, class R>
inline constexpr bool has_adjoint_rule<expr::matmul<L, R>> = true;
template <std::size_t K, class X>
inline constexpr bool has_adjoint_rule<expr::col<K, X>> = true;
template <class X>
inline constexpr bool has_adjoint_rule<expr::transpose_<X>> = true;
template <class X>
inline constexpr bool has_adjoint_rule<expr::sum<X>> = true;
template <class X>
inline constexpr bool has_adjoint_rule<expr::mean<X>> = true;
template <class X>
inline constexpr bool has_adjoint_rule<expr::rowsum<X>> = true;
template <class X>
inline constexpr bool has_adjoint_rule<expr::logsumexp_<X>> = true;
template <class I, std::size_t R, std::size_t C>
inline constexpr bool has_adjoint_rule<expr::class_one_hot<I, R, C>> = true;

/// True when every node of `E` has a reverse-mode rule.
template <class E>
constexpr bool reverse_ready() {
  if constexpr (!(has_adjoint_rule<E> || expr::has_slope<E>))
    return false;
  else
    return []<class... Cs>(std::type_identity<std::tuple<Cs...>>) {
      return (reverse_ready<std::remove_cvref_t<Cs>>() && ... && true);
    }(std::type_identity<children_t<E>>{});
}

/// True when parameter `P` (a `param_ref` type) occurs in `E`.
template <class P, class E>
inline constexpr bool mentions = [] {
  using Ps = typename params_of<type_list<>, E>::type;
  return index_in<Ps, P> < Ps::size;
}();

/// `u` summed down to shape `S` (undoing a broadcast from S to u's shape).
template <class S, class U>
constexpr auto reduce_to(U const& u) {
  using SU = shape_of_t<U>;
  if constexpr (expr::detail::is_zero<U> || std::is_same_v<S, SU>) return u;
  else if constexpr (S::rows == 1 && S::cols == 1) return expr::build_sum(u);
  else if constexpr (S::rows == 1) return expr::build_colsum(u);
  else return expr::build_rowsum(u);  // S::cols == 1, rows equal
}

/// The adjoint `u` arriving at the shared subterm numbered `Id`, shared in turn
/// when it varies by row (constants and static values need no cache slot).
template <std::size_t Id, class U>
constexpr auto share(U const& u) {
  if constexpr (shape_of_t<U>::rows != dyn || !has_children<U> || expr::detail::is_broadcast<U> || is_memo<U>)
    return u;  // static, a leaf, a broadcast value, or shared already
  else return expr::memo<Id, U>{u};
}

/// The contribution to ∂loss/∂P of node `e` whose adjoint is `u` (shaped like
/// `e`): an expression shaped like P, or `zero`. `Base` numbers shared adjoints
/// after the loss's own shared subterms.
template <class P, std::size_t Base>
struct reverse {
  template <class E, class U>
  constexpr auto operator()(E const& e, U const& u) const {
    if constexpr (expr::detail::is_zero<U> || !mentions<P, E>) return expr::zero{};
    else return rule(e, expr::broadcast_like(e, u));
  }

 private:
  template <class E, class U>
  constexpr auto rule(E const& e, U const& u) const {
    using namespace expr;
    if constexpr (is_param_ref<E>) {
      static_assert(std::is_same_v<E, P> || !(E::name == P::name),
                    "tapeless::grad: two parameters share a name but not a shape; give each parameter its own name");
      if constexpr (std::is_same_v<E, P>) return u;
      else return zero{};
    } else if constexpr (is_memo<E>) {
      auto const shared = share<Base + E::id>(u);
      using Inner = std::remove_cvref_t<decltype(e.inner)>;
      if constexpr (has_slope<Inner>)  // the slope reads the shared value f(x) (memo) itself
        return (*this)(e.inner.arg, build_mul(shared, slope(e.inner, e)));
      else
        return (*this)(e.inner, shared);
    } else if constexpr (has_slope<E>) {
      return (*this)(e.arg, build_mul(u, slope(e, e)));
    } else {
      return node_rule(e, u);
    }
  }

  template <class L, class R, class U>
  constexpr auto node_rule(expr::add<L, R> const& e, U const& u) const {
    return expr::build_add(down(e.lhs, [&] { return u; }), down(e.rhs, [&] { return u; }));
  }
  template <class L, class R, class U>
  constexpr auto node_rule(expr::sub<L, R> const& e, U const& u) const {
    return expr::build_sub(down(e.lhs, [&] { return u; }), down(e.rhs, [&] { return u; }));
  }
  template <class L, class R, class U>
  constexpr auto node_rule(expr::mul<L, R> const& e, U const& u) const {
    return expr::build_add(down(e.lhs, [&] { return expr::build_mul(u, e.rhs); }),
                           down(e.rhs, [&] { return expr::build_mul(u, e.lhs); }));
  }
  template <class L, class R, class U>
  constexpr auto node_rule(expr::div<L, R> const& e, U const& u) const {
    using namespace expr;
    return build_sub(down(e.lhs, [&] { return build_div(u, e.rhs); }),
                     down(e.rhs, [&] { return build_div(build_mul(u, e.lhs), build_mul(e.rhs, e.rhs)); }));
  }
  template <class X, class U>
  constexpr auto node_rule(expr::neg<X> const& e, U const& u) const {
    return expr::build_neg((*this)(e.arg, u));
  }
  template <class S, class X, class U>
  constexpr auto node_rule(expr::broadcast_to<S, X> const& e, U const& u) const {
    return down(e.arg, [&] { return u; });
  }
  // A·B:  ū_A = ū·Bᵀ;  ū_B = Aᵀ·ū, a sum over the rows when A has the batch rows
  template <class L, class R, class U>
  constexpr auto node_rule(expr::matmul<L, R> const& e, U const& u) const {
    using namespace expr;
    return build_add(into(e.lhs, [&] { return build_matmul(u, build_transpose(e.rhs)); }), into(e.rhs, [&] {
                       if constexpr (shape_of_t<L>::rows == dyn) return build_gram(e.lhs, u);
                       else return build_matmul(build_transpose(e.lhs), u);
                     }));
  }
  // column K: ū_X is ū in column K, zero elsewhere
  template <std::size_t K, class X, class U>
  constexpr auto node_rule(expr::col<K, X> const& e, U const& u) const {
    return (*this)(e.arg, expr::build_matmul(u, expr::unit<1, shape_of_t<X>::cols, 0, K>{}));
  }
  template <class X, class U>
  constexpr auto node_rule(expr::transpose_<X> const& e, U const& u) const {
    return (*this)(e.arg, expr::build_transpose(u));
  }
  // Σ and mean: ū is one number, so it multiplies the sweep below instead of
  // entering it (it may itself hold reductions over rows: no nesting)
  template <class X, class U>
  constexpr auto node_rule(expr::sum<X> const& e, U const& u) const {
    return expr::build_mul(u, (*this)(e.arg, expr::one{}));
  }
  template <class X, class U>
  constexpr auto node_rule(expr::mean<X> const& e, U const& u) const {
    auto const per_element = expr::scalar<double>{{}, 1.0 / static_cast<double>(e.count())};
    return expr::build_mul(u, expr::build_mul(per_element, (*this)(e.arg, expr::one{})));
  }
  template <class X, class U>
  constexpr auto node_rule(expr::rowsum<X> const& e, U const& u) const {
    return (*this)(e.arg, u);
  }
  // log Σ eˣ per row:  ū_X = ū ⊙ softmax(X)
  template <class X, class U>
  constexpr auto node_rule(expr::logsumexp_<X> const& e, U const& u) const {
    return (*this)(e.arg, expr::build_mul(u, expr::softmax_<X>{e.arg}));
  }
  // leaves other than parameters
  template <class E, class U>
  constexpr expr::zero node_rule(E const&, U const&) const {
    return {};
  }

  /// Into child `c` with the adjoint `make()` (built only when `c` mentions P).
  template <class C, class Make>
  constexpr auto into(C const& c, Make make) const {
    if constexpr (!mentions<P, C>) return expr::zero{};
    else return (*this)(c, make());
  }
  /// The same for a child of an elementwise node: undo its broadcast first.
  template <class C, class Make>
  constexpr auto down(C const& c, Make make) const {
    return into(c, [&] { return reduce_to<shape_of_t<C>>(make()); });
  }
};

/// ∂loss/∂p for a scalar `loss` whose row-dependent subterms are memoized
/// (`memoize`): one expression shaped like `p`.
template <class Loss, class P>
constexpr auto reverse_gradient(Loss const& loss, P const& p) {
  using Ref = std::remove_cvref_t<decltype(ref_of(p))>;
  auto const g = reverse<Ref, node_count<Loss>()>{}(loss, expr::one{});
  return expr::with_shape<shape_of_t<Ref>>(g, 1);
}

}  // namespace tapeless::detail
