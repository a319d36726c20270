// tl::value_and_grad and tl::value over data in device memory (views marked
// tl::cuda), in an nvcc translation unit: the pass runs on the GPU and gives the
// host's results within float tolerance; training follows the host's.
#include <doctest/doctest.h>

#include <tapeless/backend/cuda/buffer.hpp>
#include <tapeless/tapeless.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {

bool close(double a, double b, double rel = 1e-5) {
  return std::abs(a - b) <= rel * std::fmax(1.0, std::fmax(std::abs(a), std::abs(b)));
}

/// Rows of D features and a target, on the host and copied to the device.
template <std::size_t D>
struct rows {
  std::size_t n;
  std::vector<float> x, y;
  tl::detail::device_buffer<float> dx, dy;
  explicit rows(std::size_t count) : n(count), x(count * D), y(count), dx(count * D), dy(count) {
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i * 29 % 97) / 48.0f - 1.0f;
    for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(i * 11 % 13) / 6.0f - 1.0f;
    dx.copy_from_host(x.data(), x.size());
    dy.copy_from_host(y.data(), y.size());
  }
  tl::tensor_view<float, dyn, D> X_host() const { return {x.data(), n}; }
  tl::tensor_view<float, dyn, 1> y_host() const { return {y.data(), n}; }
  tl::tensor_view<float, dyn, D> X_device() const { return {dx.data(), n, tl::cuda}; }
  tl::tensor_view<float, dyn, 1> y_device() const { return {dy.data(), n, tl::cuda}; }
};

}  // namespace

TEST_CASE("gpu value_and_grad: the lecture's loss over device rows equals the host's (D = 3, 16)") {
  for (std::size_t n : {std::size_t{5}, std::size_t{100'003}}) {
    CAPTURE(n);
    rows<3> const d3(n);
    tl::param<"w", 3, 1> w{{0.5f}, {-0.25f}, {1.5f}};
    tl::param<"b"> b{0.125f};
    auto const Xh = d3.X_host(), Xd = d3.X_device();
    auto const host = tl::value_and_grad(tl::mse_loss(Xh.matmul(w) + b, d3.y_host()), w, b);
    auto const device = tl::value_and_grad(tl::mse_loss(Xd.matmul(w) + b, d3.y_device()), w, b);
    CHECK(close(device.value, host.value));
    for (std::size_t k = 0; k < 3; ++k) CHECK(close(device.grads[w][k], host.grads[w][k]));
    CHECK(close(device.grads[b].item(), host.grads[b].item()));
    CHECK(close(tl::value(tl::mean(Xd)), tl::value(tl::mean(Xh))));

    rows<16> const d16(n);
    tl::param<"v", 16, 1> v;
    for (std::size_t k = 0; k < 16; ++k) v[k] = 0.1f * static_cast<float>(k) - 0.8f;
    auto const Vh = d16.X_host(), Vd = d16.X_device();
    auto const host16 = tl::value_and_grad(tl::mse_loss(Vh.matmul(v) + b, d16.y_host()), v, b);
    auto const device16 = tl::value_and_grad(tl::mse_loss(Vd.matmul(v) + b, d16.y_device()), v, b);
    CHECK(close(device16.value, host16.value));
    for (std::size_t k = 0; k < 16; ++k) CHECK(close(device16.grads[v][k], host16.grads[v][k]));
  }
}

TEST_CASE("gpu value_and_grad: 200 SGD steps on the device follow the host's") {
  rows<3> const d(1000);
  tl::param<"w", 3, 1> w_host, w_device;
  tl::param<"b"> b_host, b_device;
  tl::optim::sgd opt_host{tl::params(w_host, b_host), {.lr = 0.05}};
  tl::optim::sgd opt_device{tl::params(w_device, b_device), {.lr = 0.05}};
  auto const Xh = d.X_host(), Xd = d.X_device();
  auto const cost_host = tl::mse_loss(Xh.matmul(w_host) + b_host, d.y_host());
  auto const cost_device = tl::mse_loss(Xd.matmul(w_device) + b_device, d.y_device());
  for (int step = 0; step < 200; ++step) {
    auto [value_host, grads_host] = tl::value_and_grad(cost_host, w_host, b_host);
    auto [value_device, grads_device] = tl::value_and_grad(cost_device, w_device, b_device);
    opt_host.step(grads_host);
    opt_device.step(grads_device);
  }
  for (std::size_t k = 0; k < 3; ++k) CHECK(close(w_device[k], w_host[k], 1e-4));
  CHECK(close(b_device.item(), b_host.item(), 1e-4));
}

TEST_CASE("gpu value_and_grad: data on two devices is still an error") {
  rows<1> const d(4);
  tl::param<"w"> w;
  auto const Xd = d.X_device();
  std::string message;
  try {
    (void)tl::value_and_grad(tl::mse_loss(Xd * w, d.y_host()), w);
  } catch (tl::error const& e) {
    message = e.what();
  }
  CHECK(message.find("the loss reads data on cpu and on cuda") != std::string::npos);
}

TEST_CASE("gpu value_and_grad: data on cuda outside a reduction over dyn rows is an error, not a host read") {
  tl::tensor<float, 4, 1> const fixed_host{{1}, {2}, {3}, {4}};
  auto const fixed = fixed_host.to(tl::cuda);  // static rows: the host would reduce them after the pass
  tl::param<"w"> w{0.5f};
  std::string message;
  try {
    (void)tl::value_and_grad(tl::mean(tl::square(fixed * w)), w);
  } catch (tl::error const& e) {
    message = e.what();
  }
  CHECK(message.find("the loss reads data on cuda outside a reduction over rows of dynamic extent") !=
        std::string::npos);
  auto const [value, grads] = tl::value_and_grad(tl::mean(tl::square(fixed_host * w)), w);  // on the host: fine
  CHECK(value == doctest::Approx(7.5f * 0.25f));
  CHECK(grads[w].item() == doctest::Approx(7.5f));
}

TEST_CASE("gpu value_and_grad: cross_entropy with logits and class indices on cuda equals the host's") {
  rows<3> const d(1000);
  std::vector<int> classes(d.n);
  for (std::size_t i = 0; i < d.n; ++i) classes[i] = static_cast<int>(i * 7 % 3);
  tl::tensor_view<int, dyn, 1> const classes_host{classes.data(), d.n};
  auto const classes_device = classes_host.to(tl::cuda);  // validated on the host: copied back once
  tl::param<"W", 3, 3> W{{0.1f, -0.2f, 0.3f}, {0.0f, 0.5f, -0.1f}, {0.2f, 0.1f, -0.3f}};
  auto const X_device = d.X_device(), X_host = d.X_host();
  auto const [value, grads] = tl::value_and_grad(tl::cross_entropy(X_device.matmul(W), classes_device), W);
  auto const [expected, expected_grads] = tl::value_and_grad(tl::cross_entropy(X_host.matmul(W), classes_host), W);
  CHECK(close(value, expected));
  for (std::size_t k = 0; k < 9; ++k) CHECK(close(grads[W][k], expected_grads[W][k]));

  classes[17] = 3;  // outside [0, 3)
  auto const bad = classes_host.to(tl::cuda);
  std::string message;
  try {
    (void)tl::cross_entropy(X_device.matmul(W), bad);
  } catch (tl::error const& e) {
    message = e.what();
  }
  CHECK(message == "tapeless::cross_entropy: class index 3 in row 17 is outside [0, 3); pass indices from 0 to the "
                   "number of classes minus one");
}
