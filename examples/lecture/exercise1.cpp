// The lecture's Exercise 1: find f(x) = w·x + b that best explains (0, 0) (1, 1) (1, 2),
// by gradient descent on the mean squared error. Prints the lecture's log. The data go to
// the GPU when there is one and this file was compiled by nvcc (the lecture's GPU slide).
#include <tapeless/tapeless.hpp>

#include <cstdio>

namespace tl = tapeless;

/// Trains the model on `device`; `report(epoch, nb_epochs, cost, w, b)` sees every
/// epoch (cost before the step, w and b after it, as the lecture prints them).
template <class Report>
void exercise1(tl::device device, Report report) {
  auto const x_train = tl::tensor<float, tl::dyn, 1>{{0}, {1}, {1}}.to(device);
  auto const y_train = tl::tensor<float, tl::dyn, 1>{{0}, {1}, {2}}.to(device);

  tl::param<"w"> w;  // torch.zeros(1, requires_grad=True)
  tl::param<"b"> b;

  tl::optim::sgd optimizer{tl::params(w, b), {.lr = 0.01}};

  int const nb_epochs = 3000;
  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    auto hypothesis = x_train * w + b;
    auto cost = tl::mean(tl::square(hypothesis - y_train));

    auto [value, grads] = tl::value_and_grad(cost, w, b);  // no zero_grad, no backward: one pass
    optimizer.step(grads);

    report(epoch, nb_epochs, value, w, b);
  }
}

#ifndef TAPELESS_LECTURE_NO_MAIN
int main() {
  auto const device = tl::cuda_available() ? tl::cuda : tl::cpu;
  exercise1(device, [](int epoch, int nb_epochs, float cost, auto const& w, auto const& b) {
    if (epoch % 100 == 0)
      std::printf("Epoch %5d/%d w:%.3f b:%.3f cost: %.3f\n", epoch, nb_epochs, w.item(), b.item(), cost);
  });
}
#endif
