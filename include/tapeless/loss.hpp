#pragma once
// Losses in PyTorch's vocabulary: `tl::mse_loss(input, target, reduction)`
// (torch.nn.functional.mse_loss) and `tl::nn::mse_loss` (torch.nn.MSELoss).

#include "expr/arith.hpp"
#include "expr/elementwise.hpp"
#include "expr/operand.hpp"
#include "expr/reduce.hpp"

#include <concepts>
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

/// Mean squared error, ℓ = reduce((input − target)²), as `torch.nn.functional.mse_loss`.
/// Input and target must have the same shape (torch only warns and broadcasts).
template <operand I, operand T, reduction_kind R = reduction::mean_t>
constexpr auto mse_loss(I&& input, T&& target, R = {}) {
  auto const x = detail::as_expr(std::forward<I>(input));
  auto const y = detail::as_expr(std::forward<T>(target));
  static_assert(std::is_same_v<shape_of_t<decltype(x)>, shape_of_t<decltype(y)>>,
                "tapeless::mse_loss: input and target shapes differ; give the target the prediction's shape");
  expr::detail::check_rows(x, y, "mse_loss");
  auto const terms = square(x - y);
  if constexpr (std::is_same_v<R, reduction::none_t>) return terms;
  else if constexpr (std::is_same_v<R, reduction::sum_t>) return sum(terms);
  else return mean(terms);
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
}  // namespace nn

}  // namespace tapeless
