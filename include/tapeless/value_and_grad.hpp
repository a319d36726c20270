#pragma once
// `tl::value_and_grad(loss, params…)` and `tl::value(e)`: evaluation in one
// pass over the data.

#include "backend/thrust/row_pass.hpp"
#include "diff/adjoint.hpp"
#include "diff/grad.hpp"
#include "eval/evaluate.hpp"
#include "eval/lower.hpp"
#include "expr/memo.hpp"
#include "expr/node.hpp"
#include "expr/operand.hpp"
#include "matrix.hpp"
#include "param.hpp"

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tapeless {

/// Gradients keyed by parameter: `grads[w]` is a `tl::matrix` shaped like `w`.
/// A parameter matches by name, shape and value type, and must be the object the
/// gradients were computed for (else `tapeless::error`): an optimizer can never
/// apply one layer's gradient to another layer of the same name.
template <class... Refs>
class gradients {
  template <class P>
  using ref_t = std::remove_cvref_t<decltype(detail::ref_of(std::declval<P const&>()))>;

 public:
  template <class P>
  static constexpr bool holds = (std::is_same_v<ref_t<P>, Refs> || ...);

  /// The gradient of parameter `p`.
  template <parameter P>
  [[nodiscard]] constexpr auto& operator[](P const& p) {
    static_assert(holds<P>, "tapeless::gradients: no gradient for this parameter; pass it to value_and_grad");
    check_source(p);
    return std::get<index<P>()>(values_);
  }
  template <parameter P>
  [[nodiscard]] constexpr auto const& operator[](P const& p) const {
    static_assert(holds<P>, "tapeless::gradients: no gradient for this parameter; pass it to value_and_grad");
    check_source(p);
    return std::get<index<P>()>(values_);
  }
  /// The gradient of the parameter named `Name`.
  template <fixed_name Name>
  [[nodiscard]] constexpr auto const& get() const {
    constexpr std::size_t i = [] {
      bool const flags[] = {Refs::name == Name..., true};
      return detail::first_true(flags);
    }();
    static_assert(i < sizeof...(Refs), "tapeless::gradients::get: no parameter of that name");
    return std::get<i>(values_);
  }

  std::tuple<matrix<typename Refs::value_type, shape_of_t<Refs>::rows, shape_of_t<Refs>::cols>...> values_;
  void const* sources_[sizeof...(Refs) + 1];  // the values each gradient was computed for

 private:
  template <class P>
  static constexpr std::size_t index() {
    bool const flags[] = {std::is_same_v<ref_t<P>, Refs>..., true};
    return detail::first_true(flags);
  }
  template <class P>
  constexpr void check_source(P const& p) const {
    if (sources_[index<P>()] != static_cast<void const*>(detail::ref_of(p).values))
      detail::fail("tapeless::gradients: these gradients were computed for another parameter named '" +
                   ref_t<P>::name.str() + "'; give each parameter its own name");
  }
};

/// What `value_and_grad` returns: `auto [value, grads] = tl::value_and_grad(loss, w, b);`
template <class T, class... Refs>
struct value_and_grad_result {
  T value;
  gradients<Refs...> grads;
};

namespace detail {

/// The row sums of one process, as they are: nothing to combine them with.
struct local_sums {
  template <std::size_t K>
  constexpr void operator()(accumulator<K>&) const noexcept {}
};

inline namespace TAPELESS_UNIT {

/// The values of the outputs of `prog` (expressions of static shape whose
/// parameters are `Vars`, read from `root`), from one pass over the rows, as
/// `tl::matrix`es. `combine(acc)` sees the pass's row sums before the outputs
/// read them (a data-parallel run adds the other processes' sums there).
template <class T, class Vars, class Program, class Root, class Combine>
auto evaluate(Program& prog, Root const& root, Combine& combine) {
  auto run = run_program<T, Vars>(prog, root);
  combine(run.acc);
  auto const ctx = run.context();
  return std::apply(
      [&](auto const&... o) {
        return std::tuple{[&]<class O>(O const& out) {
          matrix<T, shape_of_t<O>::rows, shape_of_t<O>::cols> m;
          for (std::size_t r = 0; r < shape_of_t<O>::rows; ++r) {
            auto const v = out.template at<T>(r, ctx);
            for (std::size_t j = 0; j < shape_of_t<O>::cols; ++j) m(r, j) = v[j];
          }
          return m;
        }(o)...};
      },
      run.outputs);
}

}  // namespace TAPELESS_UNIT

/// The program that evaluates `make_outputs()` (outputs of the expression `e`),
/// from this thread's cache when `e` is the expression it was built for.
template <class T, class Vars, class E, class MakeOutputs>
auto& cached_program(E const& e, MakeOutputs make_outputs) {
  using Program = decltype(lower_program<T, Vars>(make_outputs()));
  return cache_for<E, Program>().get(e, [&] { return lower_program<T, Vars>(make_outputs()); });
}

template <class To, class From, std::size_t R, std::size_t C>
constexpr matrix<To, R, C> convert(matrix<From, R, C> const& m) {
  if constexpr (std::is_same_v<To, From>) {
    return m;
  } else {
    matrix<To, R, C> out;
    for (std::size_t k = 0; k < R * C; ++k) out[k] = static_cast<To>(m[k]);
    return out;
  }
}

}  // namespace detail

namespace detail {

/// Throws unless every parameter in `ps` is the object of that name that `e` reads.
template <class E, parameter... Ps>
void check_passed_params(E const& e, Ps const&... ps) {
  [[maybe_unused]] auto check = [&]<class P>(P const& p) {
    auto const ref = ref_of(p);
    using Ref = std::remove_cvref_t<decltype(ref)>;
    bool clash = false;
    auto find = [&]<class Leaf>(Leaf const& leaf) {
      if constexpr (is_param_ref<Leaf>) {
        if constexpr (Leaf::name == Ref::name)
        clash = clash || static_cast<void const*>(leaf.values) != static_cast<void const*>(ref.values);
      }
    };
    for_each_leaf(e, find);
    if (clash)
      fail("tapeless::value_and_grad: the parameter '" + Ref::name.str() +
           "' passed is not the one the loss uses (same name, another object); pass the loss's own parameter");
  };
  (check(ps), ...);
}

/// The lowered program of the scalar `e` and its gradients with respect to
/// `ps…` (outputs in that order), from this thread's cache.
template <class T, class Vars, class E, parameter... Ps>
auto& gradient_program(E const& e, Ps const&... ps) {
  // Number the loss's row-dependent subtrees first, so the loss and its
  // gradients share them in the pass (the residual is computed once per row).
  // Derived and lowered once per loss: see detail::program_cache.
  return cached_program<T, Vars>(e, [&] {
    auto const m = memoize(e);
    if constexpr (reverse_ready<std::remove_cvref_t<decltype(m)>>())
      return std::tuple{m, reverse_gradient(m, ps)...};  // one backward sweep per row
    else
      return std::tuple{m, grad(m, ps)...};  // element by element
  });
}

inline namespace TAPELESS_UNIT {

/// `value_and_grad` of the expression `e`, with `combine` applied to the row sums.
template <class E, class Combine, parameter... Ps>
auto value_and_grad_of(E const& e, Combine& combine, Ps const&... ps) {
  static_assert(shape_of_t<E>::scalar,
                "tapeless::value_and_grad: the loss must be a scalar (1x1); reduce it with sum or mean first");
  static_assert(!shape_of_t<E>::scalar || row_separable<E>,
                "tapeless::value_and_grad: the loss is not row-separable (a reduction over rows sits inside "
                "another); it would need two passes over the data");
  if constexpr (shape_of_t<E>::scalar && row_separable<E>) {
    using T = value_type_t<E>;
    using Vars = typename params_of<type_list<>, E>::type;
    check_passed_params(e, ps...);
    auto& program = gradient_program<T, Vars>(e, ps...);
    auto const values = evaluate<T, Vars>(program, e, combine);
    return std::apply(
        [&](auto const& v, auto const&... g) {
          return value_and_grad_result<T, std::remove_cvref_t<decltype(ref_of(std::declval<Ps const&>()))>...>{
              v.item(),
              {{convert<typename Ps::value_type>(g)...}, {static_cast<void const*>(ref_of(ps).values)..., nullptr}}};
        },
        values);
  }
}

/// `value` of the expression `x`, with `combine` applied to the row sums.
template <class E, class Combine>
auto value_of(E const& e, Combine& combine) {
  static_assert(shape_of_t<E>::rows != dyn,
                "tapeless::value: the expression has dyn rows; reduce it with sum or mean, or build a tl::tensor "
                "from it");
  static_assert(shape_of_t<E>::rows == dyn || row_separable<E>,
                "tapeless::value: the expression is not row-separable (a reduction over rows sits inside "
                "another); it would need two passes over the data");
  if constexpr (row_separable<E>) {
    using T = value_type_t<E>;
    using Vars = typename params_of<type_list<>, E>::type;
    auto& program = cached_program<T, Vars>(e, [&] { return std::tuple{e}; });
    auto const m = std::get<0>(evaluate<T, Vars>(program, e, combine));
    if constexpr (shape_of_t<E>::scalar) return m.item();
    else return m;
  }
}

}  // namespace TAPELESS_UNIT

}  // namespace detail

inline namespace TAPELESS_UNIT {  // see config.hpp

/// The loss and its gradient with respect to each parameter, from one pass
/// over the data.
///
///     auto [value, grads] = tl::value_and_grad(tl::mean(tl::square(X * w + b - y)), w, b);
///     opt.step(grads);                       // grads[w], grads[b]
template <operand L, parameter... Ps>
auto value_and_grad(L const& loss, Ps const&... ps) {
  detail::local_sums combine;
  return detail::value_and_grad_of(detail::as_expr(loss), combine, ps...);
}

/// The same for the parameters of a model: `tl::value_and_grad(cost, model.parameters())`.
template <operand L, class... Ps>
auto value_and_grad(L const& loss, param_list<Ps...> const& ps) {
  return std::apply([&](auto const*... p) { return value_and_grad(loss, *p...); }, ps.ptrs);
}

/// The value of an expression of static shape, from one pass over the data:
/// a number for a scalar, else a `tl::matrix`.
template <operand X>
auto value(X const& x) {
  detail::local_sums combine;
  return detail::value_of(detail::as_expr(x), combine);
}

}  // namespace TAPELESS_UNIT

}  // namespace tapeless
