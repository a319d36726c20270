// The lecture's nn.Module slides: a multivariate linear regression model built from one
// linear layer (nn.Linear(3, 1)), trained for 20 epochs with SGD.
#include <tapeless/tapeless.hpp>

#include <cstdio>

namespace tl = tapeless;

/// class MultivariateLinearRegressionModel(nn.Module): one Linear(3, 1).
struct multivariate_linear_regression_model {
  tl::nn::linear<3, 1> linear{/*seed=*/0};

  auto operator()(auto const& x) const { return linear(x); }  // forward
  auto parameters() { return linear.parameters(); }
};

/// Trains the model on `device`; `report(epoch, nb_epochs, cost)` sees every epoch.
template <class Report>
void train_module(tl::device device, Report report) {
  auto const x_train =
      tl::tensor<float, tl::dyn, 3>{{73, 80, 75}, {93, 88, 93}, {89, 91, 90}, {96, 98, 100}, {73, 66, 70}}.to(device);
  auto const y_train = tl::tensor<float, tl::dyn, 1>{{152}, {185}, {180}, {196}, {142}}.to(device);

  multivariate_linear_regression_model model;
  tl::optim::sgd optimizer{model.parameters(), {.lr = 1e-5}};

  int const nb_epochs = 20;
  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    auto prediction = model(x_train);
    auto cost = tl::mse_loss(prediction, y_train);

    auto [value, grads] = tl::value_and_grad(cost, model.parameters());
    optimizer.step(grads);

    report(epoch, nb_epochs, value);
  }
}

#ifndef TAPELESS_LECTURE_NO_MAIN
int main() {
  auto const device = tl::cuda_available() ? tl::cuda : tl::cpu;
  train_module(device, [](int epoch, int nb_epochs, float cost) {
    std::printf("Epoch %4d/%4d Cost: %.6f\n", epoch, nb_epochs, cost);
  });
}
#endif
