#pragma once
// `tl::optim::adamw`: AdamW, as `torch.optim.AdamW` (decoupled weight decay).
//
// Mirrors torch 1.13's single-tensor `_single_tensor_adamw` in float32 operation order,
// so trajectories match PyTorch's step by step (tests/optim/algorithms.test.cpp).

#include "adam.hpp"
#include "optimizer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace tapeless::optim {

/// AdamW over parameters `Ps…`, as `torch.optim.AdamW`: Adam whose weight decay
/// shrinks the parameter, θ ← (1 − ηλ)θ, instead of adding λθ to the gradient.
///
///     tl::optim::adamw opt{tl::params(w, b), {.lr = 0.01, .weight_decay = 0.1}};
///
/// State per parameter: "exp_avg", "exp_avg_sq", and "max_exp_avg_sq" with amsgrad.
template <class... Ps>
class adamw : public detail::elementwise_optimizer<detail::adam_rule<true>, Ps...> {
  using base = detail::elementwise_optimizer<detail::adam_rule<true>, Ps...>;

 public:
  using base::base;
};

TAPELESS_OPTIM_DEDUCTION_GUIDES(adamw, adamw_options);

}  // namespace tapeless::optim
