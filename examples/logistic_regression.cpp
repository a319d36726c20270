// Logistic regression beyond the lecture: two overlapping clouds of 2-feature points, one per
// class, separated by a linear model nn.Linear(2, 1) trained on the binary cross entropy of its
// logits (nn.BCEWithLogitsLoss) with SGD and momentum; accuracy on a held-out 25 %.
//
// The same program in PyTorch:
//   X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
//   model = nn.Linear(2, 1)
//   criterion = nn.BCEWithLogitsLoss()
//   opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
//   for epoch in range(1, 101):
//       loss = criterion(model(X_train), y_train); opt.zero_grad(); loss.backward(); opt.step()
//   accuracy = ((model(X_test) > 0).float() == y_test).float().mean()
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>

namespace tl = tapeless;

/// What the logistic regression example reaches.
struct logistic_result {
  double train_loss;
  double train_accuracy;
  double test_accuracy;
};

/// 200 points: class 1 around (1, 1), class 0 around (-1, -1), each coordinate with standard
/// deviation 1 (Box–Muller over tapeless's seeded generator), classes alternating.
inline void make_two_clouds(tl::tensor<float, tl::dyn, 2>& x, tl::tensor<float, tl::dyn, 1>& y) {
  std::size_t const n = 200;
  x = tl::tensor<float, tl::dyn, 2>(n);
  y = tl::tensor<float, tl::dyn, 1>(n);
  tl::nn::splitmix64 gen{/*seed=*/42};
  auto normal = [&gen] {  // one standard normal draw
    double const u = 1.0 - gen.uniform(0, 1), v = gen.uniform(0, 1);
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  };
  for (std::size_t i = 0; i < n; ++i) {
    double const label = static_cast<double>(i % 2), centre = 2 * label - 1;
    x(i, 0) = static_cast<float>(centre + normal());
    x(i, 1) = static_cast<float>(centre + normal());
    y(i, 0) = static_cast<float>(label);
  }
}

/// The fraction of rows whose logit has the sign of its 0/1 label (logit > 0 predicts 1).
template <class Model>
double binary_accuracy(Model const& model, tl::tensor<float, tl::dyn, 2> const& x, tl::tensor<float, tl::dyn, 1> const& y) {
  tl::tensor<float, tl::dyn, 1> const logits{model(x)};
  std::size_t right = 0;
  for (std::size_t i = 0; i < x.rows(); ++i) right += (logits(i, 0) > 0) == (y(i, 0) > 0.5f) ? 1 : 0;
  return static_cast<double>(right) / static_cast<double>(x.rows());
}

/// Trains the classifier; `print(line)` receives the log, one line at a time.
template <class Print>
logistic_result train_logistic(Print print) {
  tl::tensor<float, tl::dyn, 2> x;
  tl::tensor<float, tl::dyn, 1> y;
  make_two_clouds(x, y);
  auto [x_train, x_test, y_train, y_test] = tl::train_test_split(x, y, {.test_size = 0.25, .seed = 1});

  tl::nn::linear<2, 1> model{/*seed=*/0};
  tl::nn::bce_with_logits_loss criterion{};
  tl::optim::sgd optimizer{model.parameters(), {.lr = 0.5, .momentum = 0.5}};
  auto const cost = criterion(model(x_train), y_train);  // an expression, built once

  char line[160];
  std::snprintf(line, sizeof line,
                "logistic regression: Linear(2, 1), BCEWithLogitsLoss, SGD(lr=0.5, momentum=0.5), %zu training "
                "rows, %zu test rows\n",
                x_train.rows(), x_test.rows());
  print(std::string(line));
  int const nb_epochs = 100;
  logistic_result result{};
  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    auto [loss, grads] = tl::value_and_grad(cost, model.parameters());  // one pass: loss and gradients
    result.train_loss = loss;
    if (epoch % 10 == 0) {
      std::snprintf(line, sizeof line, "Epoch %3d/%d loss: %.5f w: (%+.4f, %+.4f) b: %+.4f\n", epoch, nb_epochs,
                    static_cast<double>(loss), static_cast<double>(model.weight[0]),
                    static_cast<double>(model.weight[1]), static_cast<double>(model.bias[0]));
      print(std::string(line));
    }
    if (epoch < nb_epochs) optimizer.step(grads);
  }
  result.train_accuracy = binary_accuracy(model, x_train, y_train);
  result.test_accuracy = binary_accuracy(model, x_test, y_test);
  std::snprintf(line, sizeof line, "accuracy: train %.1f %%, test %.1f %%\n", 100 * result.train_accuracy,
                100 * result.test_accuracy);
  print(std::string(line));
  return result;
}

#ifndef TAPELESS_EXAMPLE_NO_MAIN
int main() {
  train_logistic([](std::string const& line) { std::fputs(line.c_str(), stdout); });
}
#endif
