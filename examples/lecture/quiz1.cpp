// The lecture's Quiz 1: three features, five samples, hypothesis x·w + b, trained with SGD
// (lr 1e-5) on the mean squared error — in both forms the lecture shows: the function
// (F.mse_loss → tl::mse_loss) and the loss object (nn.MSELoss() → tl::nn::mse_loss).
#include <tapeless/tapeless.hpp>

#include <cstdio>

namespace tl = tapeless;

/// Trains the model on `device` with `loss(hypothesis, y_train)`; `report(epoch, nb_epochs, cost, w, b)`
/// sees every epoch.
template <class Loss, class Report>
void quiz1(tl::device device, Loss loss, Report report) {
  auto const x_train =
      tl::tensor<float, tl::dyn, 3>{{73, 80, 75}, {93, 88, 93}, {89, 91, 90}, {96, 98, 100}, {73, 66, 70}}.to(device);
  auto const y_train = tl::tensor<float, tl::dyn, 1>{{152}, {185}, {180}, {196}, {142}}.to(device);

  tl::param<"w", 3, 1> w;  // torch.zeros((3, 1), requires_grad=True)
  tl::param<"b"> b;

  tl::optim::sgd optimizer{tl::params(w, b), {.lr = 1e-5}};

  int const nb_epochs = 1000;
  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    auto hypothesis = x_train.matmul(w) + b;
    auto cost = loss(hypothesis, y_train);

    auto [value, grads] = tl::value_and_grad(cost, w, b);
    optimizer.step(grads);

    report(epoch, nb_epochs, value, w, b);
  }
}

/// The functional form, `cost = F.mse_loss(hypothesis, y_train)`.
inline constexpr auto functional_mse = [](auto const& input, auto const& target) { return tl::mse_loss(input, target); };

#ifndef TAPELESS_LECTURE_NO_MAIN
int main() {
  auto print = [](int epoch, int nb_epochs, float cost, auto const& w, auto const&) {
    if (epoch % 100 == 0) {
      std::printf("Epoch %5d/%d cost: %.3f\n", epoch, nb_epochs, cost);
      std::printf("w: [%.4f, %.4f, %.4f]\n", w[0], w[1], w[2]);
    }
  };
  auto const device = tl::cuda_available() ? tl::cuda : tl::cpu;
  std::printf("cost = tl::mse_loss(hypothesis, y_train)\n");
  quiz1(device, functional_mse, print);

  std::printf("\nloss = tl::nn::mse_loss{}; cost = loss(hypothesis, y_train)\n");
  quiz1(device, tl::nn::mse_loss{}, print);
}
#endif
