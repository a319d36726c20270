// A small MLP beyond the lecture: y = sin(x) + noise, fitted by a 1-16-1 tanh network
// (nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))) with Adam on mini-batches of
// standardised inputs, validated on a held-out 20 %.
//
// The same program in PyTorch:
//   X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
//   mu, sigma = X_train.mean(0), X_train.std(0)
//   model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
//   opt = torch.optim.Adam(model.parameters(), lr=0.01)
//   scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=200)
//   for epoch in range(1, 201):
//       for xb, yb in DataLoader(TensorDataset((X_train - mu) / sigma, y_train), batch_size=32, shuffle=True):
//           loss = F.mse_loss(model(xb), yb); opt.zero_grad(); loss.backward(); opt.step()
//       scheduler.step()
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace tl = tapeless;

/// What the MLP example reaches: mean squared errors on the training and the test part.
struct mlp_result {
  double train_loss;
  double test_loss;
};

/// 400 points x uniform in [-3, 3), y = sin(x) + uniform noise in [-0.1, 0.1), from a seeded generator.
inline void make_sine_data(tl::tensor<float, tl::dyn, 1>& x, tl::tensor<float, tl::dyn, 1>& y) {
  std::size_t const n = 400;
  x = tl::tensor<float, tl::dyn, 1>(n);
  y = tl::tensor<float, tl::dyn, 1>(n);
  tl::nn::splitmix64 gen{/*seed=*/2024};
  for (std::size_t i = 0; i < n; ++i) {
    double const xi = gen.uniform(-3, 3);
    x(i, 0) = static_cast<float>(xi);
    y(i, 0) = static_cast<float>(std::sin(xi) + gen.uniform(-0.1, 0.1));
  }
}

/// Trains the MLP; `print(line)` receives the log, one line at a time.
template <class Print>
mlp_result train_mlp(Print print) {
  tl::tensor<float, tl::dyn, 1> x;
  tl::tensor<float, tl::dyn, 1> y;
  make_sine_data(x, y);
  auto [x_train_raw, x_test_raw, y_train, y_test] = tl::train_test_split(x, y, {.test_size = 0.2, .seed = 7});
  auto [x_train, scaler] = tl::standardize(x_train_raw);    // training statistics,
  tl::tensor<float, tl::dyn, 1> x_test = scaler.transform(x_test_raw);  // applied to the test part too

  tl::nn::sequential model{tl::nn::linear<1, 16>{/*seed=*/1}, tl::nn::tanh{}, tl::nn::linear<16, 1>{/*seed=*/2}};
  tl::optim::adam optimizer{model.parameters(), {.lr = 0.01}};
  tl::optim::lr_scheduler::cosine_annealing_lr scheduler{optimizer, {.T_max = 200}};  // lr 0.01 -> 0
  auto loader = tl::batches(x_train, y_train, {.batch_size = 32, .shuffle = true, .seed = 3});

  // Whole-data losses: expressions built once, evaluated after any step (they read the parameters).
  auto const train_cost = tl::mse_loss(model(x_train), y_train);
  auto const test_cost = tl::mse_loss(model(x_test), y_test);

  char line[160];
  std::snprintf(line, sizeof line, "mlp: 1-16-1 tanh, Adam(lr=0.01) with cosine annealing, %zu training rows in batches of 32, %zu test rows\n",
                x_train.rows(), x_test.rows());
  print(std::string(line));
  int const nb_epochs = 200;
  mlp_result result{};
  for (int epoch = 0; epoch <= nb_epochs; ++epoch) {
    if (epoch > 0)
      for (auto const& batch : loader) {  // one epoch: a new shuffle each time
        auto [loss, grads] = tl::value_and_grad(tl::mse_loss(model(batch.X), batch.y), model.parameters());
        optimizer.step(grads);
      }
    if (epoch > 0) scheduler.step();  // once per epoch, after the optimizer's steps
    if (epoch % 20 == 0) {
      result = {tl::value(train_cost), tl::value(test_cost)};
      std::snprintf(line, sizeof line, "Epoch %3d/%d train mse: %.5f test mse: %.5f\n", epoch, nb_epochs,
                    result.train_loss, result.test_loss);
      print(std::string(line));
    }
  }
  // A few predictions against the noise-free curve, in the original units of x.
  for (float const xi : {-2.5f, -1.0f, 0.0f, 1.0f, 2.5f}) {
    tl::tensor<float, 1, 1> const point{{xi}};
    tl::tensor<float, 1, 1> const scaled = scaler.transform(point);
    double const pred = tl::value(model(scaled));
    std::snprintf(line, sizeof line, "f(%+.1f) = %+.4f  sin(%+.1f) = %+.4f\n", static_cast<double>(xi), pred,
                  static_cast<double>(xi), std::sin(static_cast<double>(xi)));
    print(std::string(line));
  }
  return result;
}

#ifndef TAPELESS_EXAMPLE_NO_MAIN
int main() {
  train_mlp([](std::string const& line) { std::fputs(line.c_str(), stdout); });
}
#endif
