// The README's example: Quiz 1 of the lecture, fitted in one fused pass per step.
#include <tapeless/tapeless.hpp>

#include <cstdio>

namespace tl = tapeless;

int main() {
  tl::tensor<float, tl::dyn, 3> x{{73, 80, 75}, {93, 88, 93}, {89, 91, 90}, {96, 98, 100}, {73, 66, 70}};
  tl::tensor<float, tl::dyn, 1> y{{152}, {185}, {180}, {196}, {142}};
  tl::param<"w", 3, 1> w;  // zeros; the shape is part of the type
  tl::param<"b"> b;

  auto cost = tl::mean(tl::square(x * w + b - y));  // a type: nothing is computed yet
  tl::optim::sgd opt{tl::params(w, b), {.lr = 1e-5}};
  for (int epoch = 0; epoch <= 1000; ++epoch) {
    auto [value, grads] = tl::value_and_grad(cost, w, b);  // loss and gradients, one pass
    opt.step(grads);
    if (epoch % 250 == 0) std::printf("epoch %4d  cost %.3f  w %.4f %.4f %.4f\n", epoch, value, w[0], w[1], w[2]);
  }
}
