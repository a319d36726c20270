// Softmax regression beyond the lecture: three clouds of 2-feature points, one per class,
// classified by a linear model nn.Linear(2, 3) whose logits are trained with the cross entropy
// (nn.CrossEntropyLoss: log-softmax and negative log-likelihood in one) and Adagrad; accuracy
// on a held-out 25 %.
//
// The same program in PyTorch:
//   X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)   # y: int64 classes
//   model = nn.Linear(2, 3)
//   opt = torch.optim.Adagrad(model.parameters(), lr=0.1)
//   for epoch in range(1, 101):
//       loss = F.cross_entropy(model(X_train), y_train); opt.zero_grad(); loss.backward(); opt.step()
//   accuracy = (model(X_test).argmax(1) == y_test).float().mean()
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>

namespace tl = tapeless;

/// What the softmax regression example reaches.
struct softmax_result {
  double train_loss;
  double train_accuracy;
  double test_accuracy;
};

/// 300 points, class k (0, 1, 2 in turn) around 1.5·(cos θ_k, sin θ_k) with θ_k = 2πk/3, each
/// coordinate with standard deviation 1 (Box–Muller over tapeless's seeded generator).
inline void make_three_clouds(tl::tensor<float, tl::dyn, 2>& x, tl::tensor<int, tl::dyn, 1>& classes) {
  std::size_t const n = 300;
  x = tl::tensor<float, tl::dyn, 2>(n);
  classes = tl::tensor<int, tl::dyn, 1>(n);
  tl::nn::splitmix64 gen{/*seed=*/7};
  auto normal = [&gen] {  // one standard normal draw
    double const u = 1.0 - gen.uniform(0, 1), v = gen.uniform(0, 1);
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  };
  for (std::size_t i = 0; i < n; ++i) {
    int const k = static_cast<int>(i % 3);
    double const angle = 2 * std::numbers::pi * k / 3;
    x(i, 0) = static_cast<float>(1.5 * std::cos(angle) + normal());
    x(i, 1) = static_cast<float>(1.5 * std::sin(angle) + normal());
    classes(i, 0) = k;
  }
}

/// The fraction of rows whose largest logit is their class (torch's `argmax(1) == y`).
template <class Model>
double multiclass_accuracy(Model const& model, tl::tensor<float, tl::dyn, 2> const& x,
                           tl::tensor<int, tl::dyn, 1> const& classes) {
  tl::tensor<float, tl::dyn, 3> const logits{model(x)};
  std::size_t right = 0;
  for (std::size_t i = 0; i < x.rows(); ++i) {
    int best = 0;
    for (int k = 1; k < 3; ++k)
      if (logits(i, static_cast<std::size_t>(k)) > logits(i, static_cast<std::size_t>(best))) best = k;
    right += best == classes(i, 0) ? 1 : 0;
  }
  return static_cast<double>(right) / static_cast<double>(x.rows());
}

/// Trains the classifier; `print(line)` receives the log, one line at a time.
template <class Print>
softmax_result train_softmax(Print print) {
  tl::tensor<float, tl::dyn, 2> x;
  tl::tensor<int, tl::dyn, 1> classes;
  make_three_clouds(x, classes);
  auto [x_train, x_test, y_train, y_test] = tl::train_test_split(x, classes, {.test_size = 0.25, .seed = 2});

  tl::nn::linear<2, 3> model{/*seed=*/0};
  tl::optim::adagrad optimizer{model.parameters(), {.lr = 0.1}};
  auto const cost = tl::cross_entropy(model(x_train), y_train);  // an expression, built once

  char line[160];
  std::snprintf(line, sizeof line,
                "softmax regression: Linear(2, 3), cross_entropy, Adagrad(lr=0.1), %zu training rows, %zu test "
                "rows\n",
                x_train.rows(), x_test.rows());
  print(std::string(line));
  int const nb_epochs = 100;
  softmax_result result{};
  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    auto [loss, grads] = tl::value_and_grad(cost, model.parameters());  // one pass: loss and gradients
    result.train_loss = loss;
    if (epoch % 10 == 0) {
      std::snprintf(line, sizeof line, "Epoch %3d/%d loss: %.5f accuracy: %.1f %%\n", epoch, nb_epochs,
                    static_cast<double>(loss), 100 * multiclass_accuracy(model, x_train, y_train));
      print(std::string(line));
    }
    if (epoch < nb_epochs) optimizer.step(grads);
  }
  result.train_accuracy = multiclass_accuracy(model, x_train, y_train);
  result.test_accuracy = multiclass_accuracy(model, x_test, y_test);
  std::snprintf(line, sizeof line, "accuracy: train %.1f %%, test %.1f %%\n", 100 * result.train_accuracy,
                100 * result.test_accuracy);
  print(std::string(line));
  return result;
}

#ifndef TAPELESS_EXAMPLE_NO_MAIN
int main() {
  train_softmax([](std::string const& line) { std::fputs(line.c_str(), stdout); });
}
#endif
