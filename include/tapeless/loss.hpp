#pragma once
// Losses in PyTorch's vocabulary: `tl::mse_loss(input, target, reduction)`
// (torch.nn.functional.mse_loss) and `tl::nn::mse_loss` (torch.nn.MSELoss),
// and likewise l1, smooth_l1, huber, binary_cross_entropy (with logits) and
// cross_entropy. Each is an ordinary expression (elementwise terms, then the
// reduction), so value_and_grad evaluates it, with its gradients, in one pass.

#include "eval/evaluate.hpp"
#include "expr/arith.hpp"
#include "expr/elementwise.hpp"
#include "expr/loss_nodes.hpp"
#include "expr/matmul.hpp"
#include "expr/operand.hpp"
#include "expr/reduce.hpp"

#include <concepts>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace tapeless {

/// How a loss reduces its elementwise terms, as torch's `reduction=`.
namespace reduction {
struct none_t {};
struct mean_t {};
struct sum_t {};
/// Keep one term per element (not a scalar: reduce it before value_and_grad).
inline constexpr none_t none{};
/// Average of the terms (the default).
inline constexpr mean_t mean{};
/// Sum of the terms.
inline constexpr sum_t sum{};
}  // namespace reduction

template <class R>
concept reduction_kind =
    std::same_as<R, reduction::none_t> || std::same_as<R, reduction::mean_t> || std::same_as<R, reduction::sum_t>;

namespace detail {
/// The elementwise terms of a loss, reduced as `R` says.
template <class R, class E>
constexpr auto reduce_terms(E const& terms) {
  if constexpr (std::is_same_v<R, reduction::none_t>) return terms;
  else if constexpr (std::is_same_v<R, reduction::sum_t>) return sum(terms);
  else return mean(terms);
}

/// Input and target of an elementwise loss, as expressions, shapes and rows checked.
template <class I, class T>
constexpr auto loss_operands(I&& input, T&& target, char const* api) {
  auto x = as_expr(std::forward<I>(input));
  auto y = as_expr(std::forward<T>(target));
  expr::detail::check_rows(x, y, api);
  return std::pair{x, y};
}

template <class I, class T>
inline constexpr bool same_loss_shapes = std::is_same_v<shape_of_t<as_expr_t<I>>, shape_of_t<as_expr_t<T>>>;

/// Integer class indices with an expression view (`tl::tensor<int, dyn, 1>`, int64, …).
template <class K>
concept integral_view = has_expression_view<std::remove_cvref_t<K>> &&
                        std::integral<typename std::remove_cvref_t<K>::value_type>;
}  // namespace detail

/// Mean squared error, ℓ = reduce((input − target)²), as `torch.nn.functional.mse_loss`.
/// Input and target must have the same shape (torch only warns and broadcasts).
template <operand I, operand T, reduction_kind R = reduction::mean_t>
constexpr auto mse_loss(I&& input, T&& target, R = {}) {
  auto const x = detail::as_expr(std::forward<I>(input));
  auto const y = detail::as_expr(std::forward<T>(target));
  static_assert(std::is_same_v<shape_of_t<decltype(x)>, shape_of_t<decltype(y)>>,
                "tapeless::mse_loss: input and target shapes differ; give the target the prediction's shape");
  expr::detail::check_rows(x, y, "mse_loss");
  return detail::reduce_terms<R>(square(x - y));
}

/// Mean absolute error, ℓ = reduce(|input − target|), as `torch.nn.functional.l1_loss`.
template <operand I, operand T, reduction_kind R = reduction::mean_t>
constexpr auto l1_loss(I&& input, T&& target, R = {}) {
  static_assert(detail::same_loss_shapes<I, T>,
                "tapeless::l1_loss: input and target shapes differ; give the target the prediction's shape");
  auto const [x, y] = detail::loss_operands(std::forward<I>(input), std::forward<T>(target), "l1_loss");
  return detail::reduce_terms<R>(abs(x - y));
}

/// Smooth L1, as `torch.nn.functional.smooth_l1_loss`: with d = input − target,
/// ½d²/β where |d| < β, else |d| − ½β (β = 0 is the L1 loss).
template <operand I, operand T, reduction_kind R = reduction::mean_t>
constexpr auto smooth_l1_loss(I&& input, T&& target, R = {}, double beta = 1.0) {
  static_assert(detail::same_loss_shapes<I, T>,
                "tapeless::smooth_l1_loss: input and target shapes differ; give the target the prediction's shape");
  auto const [x, y] = detail::loss_operands(std::forward<I>(input), std::forward<T>(target), "smooth_l1_loss");
  TAPELESS_CHECK(beta >= 0, "tapeless::smooth_l1_loss: beta is negative; pass beta >= 0 (0 gives the L1 loss)");
  auto const d = x - y;
  return detail::reduce_terms<R>(expr::smooth_l1_<0, std::remove_cvref_t<decltype(d)>>{{}, d, beta});
}

/// Huber loss, as `torch.nn.functional.huber_loss`: with d = input − target,
/// ½d² where |d| < δ, else δ(|d| − ½δ) — δ times smooth L1 with β = δ.
template <operand I, operand T, reduction_kind R = reduction::mean_t>
constexpr auto huber_loss(I&& input, T&& target, R = {}, double delta = 1.0) {
  static_assert(detail::same_loss_shapes<I, T>,
                "tapeless::huber_loss: input and target shapes differ; give the target the prediction's shape");
  auto const [x, y] = detail::loss_operands(std::forward<I>(input), std::forward<T>(target), "huber_loss");
  TAPELESS_CHECK(delta > 0, "tapeless::huber_loss: delta is not positive; pass delta > 0");
  using V = value_type_t<decltype(x - y)>;
  auto const d = x - y;
  return detail::reduce_terms<R>(static_cast<V>(delta) *
                                 expr::smooth_l1_<0, std::remove_cvref_t<decltype(d)>>{{}, d, delta});
}

/// Binary cross entropy of probabilities p against targets y, as
/// `torch.nn.functional.binary_cross_entropy`: −(y·log p + (1 − y)·log(1 − p)),
/// each log clamped at −100 as torch does (so p = 0 or 1 gives 100, not ∞).
/// p must lie in [0, 1] (outside it the loss is NaN; torch throws).
template <operand I, operand T, reduction_kind R = reduction::mean_t>
constexpr auto binary_cross_entropy(I&& probabilities, T&& target, R = {}) {
  static_assert(
      detail::same_loss_shapes<I, T>,
      "tapeless::binary_cross_entropy: input and target shapes differ; give the target the prediction's shape");
  auto const [p, y] =
      detail::loss_operands(std::forward<I>(probabilities), std::forward<T>(target), "binary_cross_entropy");
  auto const log_p = expr::clamped_log_<std::remove_cvref_t<decltype(p)>>{p};
  auto const one_minus_p = lit<1> - p;
  auto const log_q = expr::clamped_log_<std::remove_cvref_t<decltype(one_minus_p)>>{one_minus_p};
  return detail::reduce_terms<R>(-(hadamard(y, log_p) + hadamard(lit<1> - y, log_q)));
}

/// Binary cross entropy of σ(logits) against targets y, as
/// `torch.nn.functional.binary_cross_entropy_with_logits`, computed stably as
/// softplus(x) − x·y = max(x, 0) − x·y + log(1 + e^(−|x|)); its gradient is σ(x) − y.
template <operand I, operand T, reduction_kind R = reduction::mean_t>
constexpr auto binary_cross_entropy_with_logits(I&& logits, T&& target, R = {}) {
  static_assert(detail::same_loss_shapes<I, T>,
                "tapeless::binary_cross_entropy_with_logits: input and target shapes differ; give the target the "
                "logits' shape");
  auto const [x, y] =
      detail::loss_operands(std::forward<I>(logits), std::forward<T>(target), "binary_cross_entropy_with_logits");
  return detail::reduce_terms<R>(expr::softplus_<std::remove_cvref_t<decltype(x)>>{x} - hadamard(x, y));
}

/// Cross entropy of N×C logits against N×1 integer class indices, as
/// `torch.nn.functional.cross_entropy`: per row, log Σⱼ e^(x_j) − x_class
/// (log-softmax, then the negative log-likelihood); `mean` divides by N. Every
/// index is checked to lie in [0, C) when the loss is built (indices on a GPU
/// are copied to the host for that, each time; `Unit` is what this file can
/// reach).
template <operand L, detail::integral_view K, reduction_kind R = reduction::mean_t, class Unit = detail::unit>
constexpr auto cross_entropy(L&& logits, K&& classes, R = {}) {
  static_assert(!(detail::owning<std::remove_cvref_t<K>> && std::is_rvalue_reference_v<K&&>),
                "tapeless::cross_entropy: a temporary tensor of classes would dangle inside the loss (expressions "
                "keep views of their data); give it a name first");
  auto const x = detail::as_expr(std::forward<L>(logits));
  auto const k = std::as_const(classes).expr();
  using SX = shape_of_t<decltype(x)>;
  using SK = shape_of_t<decltype(k)>;
  static_assert(SK::cols == 1,
                "tapeless::cross_entropy: the classes must be one column of indices (N x 1), one per row of logits");
  static_assert(SX::rows == SK::rows,
                "tapeless::cross_entropy: logits and classes have different row extents; give both the batch (dyn) "
                "rows");
  expr::detail::check_rows(x, k, "cross_entropy");
  using Index = typename std::remove_cvref_t<K>::value_type;
  std::size_t const n = detail::rows_of(k);
  std::size_t const stored = SK::rows == 1 ? std::size_t{1} : n;
  std::unique_ptr<Index[]> copied;  // not a vector: Index may be bool
  Index const* host = k.ptr;
  if (k.where != cpu && stored > 0) {
    copied = std::make_unique<Index[]>(stored);
    Unit::copy(k.where, copied.get(), k.ptr, stored * sizeof(Index), detail::copy_kind::to_host, "cross_entropy");
    host = copied.get();
  }
  for (std::size_t r = 0; r < n; ++r) {
    Index const c = host[SK::rows == 1 ? 0 : r];
    if (c < 0 || static_cast<std::size_t>(c) >= SX::cols)
      detail::fail("tapeless::cross_entropy: class index " + std::to_string(c) + " in row " + std::to_string(r) +
                   " is outside [0, " + std::to_string(SX::cols) + "); pass indices from 0 to the number of "
                   "classes minus one");
  }
  auto const one_hot = expr::class_one_hot<Index, SK::rows, SX::cols>{{}, k.ptr, n, k.where};
  auto const target_logit = rowsum(hadamard(one_hot, x));
  return detail::reduce_terms<R>(expr::logsumexp_<std::remove_cvref_t<decltype(x)>>{x} - target_logit);
}

namespace nn {
/// The loss object of the lecture's `loss = nn.MSELoss()`; `loss(pred, y)`.
template <reduction_kind R = reduction::mean_t>
struct mse_loss {
  [[no_unique_address]] R reduction{};
  template <operand I, operand T>
  constexpr auto operator()(I&& input, T&& target) const {
    return tapeless::mse_loss(std::forward<I>(input), std::forward<T>(target), reduction);
  }
};
template <reduction_kind R>
mse_loss(R) -> mse_loss<R>;

/// `nn.L1Loss()`; `loss(pred, y)`.
template <reduction_kind R = reduction::mean_t>
struct l1_loss {
  [[no_unique_address]] R reduction{};
  template <operand I, operand T>
  constexpr auto operator()(I&& input, T&& target) const {
    return tapeless::l1_loss(std::forward<I>(input), std::forward<T>(target), reduction);
  }
};
template <reduction_kind R>
l1_loss(R) -> l1_loss<R>;

/// `nn.SmoothL1Loss(beta=1.0)`: `tl::nn::smooth_l1_loss<> loss{.beta = 0.5}`.
template <reduction_kind R = reduction::mean_t>
struct smooth_l1_loss {
  [[no_unique_address]] R reduction{};
  double beta = 1.0;
  template <operand I, operand T>
  constexpr auto operator()(I&& input, T&& target) const {
    return tapeless::smooth_l1_loss(std::forward<I>(input), std::forward<T>(target), reduction, beta);
  }
};
template <reduction_kind R>
smooth_l1_loss(R) -> smooth_l1_loss<R>;
template <reduction_kind R>
smooth_l1_loss(R, double) -> smooth_l1_loss<R>;

/// `nn.HuberLoss(delta=1.0)`: `tl::nn::huber_loss<> loss{.delta = 0.5}`.
template <reduction_kind R = reduction::mean_t>
struct huber_loss {
  [[no_unique_address]] R reduction{};
  double delta = 1.0;
  template <operand I, operand T>
  constexpr auto operator()(I&& input, T&& target) const {
    return tapeless::huber_loss(std::forward<I>(input), std::forward<T>(target), reduction, delta);
  }
};
template <reduction_kind R>
huber_loss(R) -> huber_loss<R>;
template <reduction_kind R>
huber_loss(R, double) -> huber_loss<R>;

/// `nn.BCELoss()`; `loss(probabilities, y)`.
template <reduction_kind R = reduction::mean_t>
struct bce_loss {
  [[no_unique_address]] R reduction{};
  template <operand I, operand T>
  constexpr auto operator()(I&& probabilities, T&& target) const {
    return tapeless::binary_cross_entropy(std::forward<I>(probabilities), std::forward<T>(target), reduction);
  }
};
template <reduction_kind R>
bce_loss(R) -> bce_loss<R>;

/// `nn.BCEWithLogitsLoss()`; `loss(logits, y)`.
template <reduction_kind R = reduction::mean_t>
struct bce_with_logits_loss {
  [[no_unique_address]] R reduction{};
  template <operand I, operand T>
  constexpr auto operator()(I&& logits, T&& target) const {
    return tapeless::binary_cross_entropy_with_logits(std::forward<I>(logits), std::forward<T>(target), reduction);
  }
};
template <reduction_kind R>
bce_with_logits_loss(R) -> bce_with_logits_loss<R>;

/// `nn.CrossEntropyLoss()`; `loss(logits, classes)`.
template <reduction_kind R = reduction::mean_t>
struct cross_entropy_loss {
  [[no_unique_address]] R reduction{};
  template <operand L, tapeless::detail::integral_view K, class Unit = tapeless::detail::unit>
  constexpr auto operator()(L&& logits, K&& classes) const {
    return tapeless::cross_entropy<L, K, R, Unit>(std::forward<L>(logits), std::forward<K>(classes), reduction);
  }
};
template <reduction_kind R>
cross_entropy_loss(R) -> cross_entropy_loss<R>;
}  // namespace nn

}  // namespace tapeless
