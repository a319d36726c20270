// Tensors on the GPU, as on the lecture's GPU slide: x.to(tl::cuda) copies the
// values to device memory, x.to(tl::cpu) brings them back, a loss over tensors
// on cuda runs its pass there and gives the host's results.
#include <doctest/doctest.h>

#include <tapeless/tapeless.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {
std::vector<float> values_of(tl::tensor<float, dyn, 2> const& t) {
  REQUIRE(t.device() == tl::cpu);
  return {t.data(), t.data() + 2 * t.rows()};
}
}  // namespace

TEST_CASE("gpu tensor: to(cuda) and back keeps the values; copies are new device memory") {
  tl::tensor<float, dyn, 2> const x{{1, 2}, {3, 4}, {5, 6}};
  auto const device = tl::cuda_available() ? tl::cuda : tl::cpu;
  REQUIRE(device == tl::cuda);
  auto const on_gpu = x.to(device);
  CHECK(on_gpu.device() == tl::cuda);
  CHECK(on_gpu.rows() == 3);
  cudaPointerAttributes attributes{};
  REQUIRE(cudaPointerGetAttributes(&attributes, on_gpu.data()) == cudaSuccess);
  CHECK(attributes.type == cudaMemoryTypeDevice);
  CHECK(values_of(on_gpu.to(tl::cpu)) == values_of(x));

  auto const copy = on_gpu;  // a device-to-device copy
  CHECK(copy.device() == tl::cuda);
  CHECK(copy.data() != on_gpu.data());
  CHECK(values_of(copy.to(tl::cpu)) == values_of(x));

  auto same = on_gpu.to(tl::cuda);  // already there: a copy, like the tensor's copy
  float const* const where = same.data();
  auto const moved = std::move(same).to(tl::cuda);  // an rvalue already there: moved
  CHECK(moved.data() == where);

  tl::tensor_view<float, dyn, 2> const view = on_gpu.view();
  CHECK(view.device() == tl::cuda);
  CHECK(values_of(view.to(tl::cpu)) == values_of(x));

  std::ostringstream printed;
  printed << on_gpu;
  CHECK(printed.str() ==
        "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000],\n        [5.0000, 6.0000]], device='cuda')");
  tl::tensor<float, dyn, 2> const none(0);
  CHECK(none.to(tl::cuda).to(tl::cpu).rows() == 0);
}

TEST_CASE("gpu tensor: element access on cuda is an error; the values stay on the device") {
  tl::tensor<float, dyn, 1> x = tl::tensor<float, dyn, 1>{{1}, {2}}.to(tl::cuda);
  CHECK_THROWS_WITH_AS((void)x(0, 0),
                       "tapeless::tensor: element access reads the values on the host, and they are on cuda; copy "
                       "them first (.to(tl::cpu))",
                       tl::error);
}

TEST_CASE("gpu tensor: mean(0) and std(0) of a tensor on cuda are on cuda, and equal the host's") {
  tl::tensor<float, dyn, 3> const x_host{{73, 80, 75}, {93, 88, 93}, {89, 91, 90}, {96, 98, 100}, {73, 66, 70}};
  auto const x = x_host.to(tl::cuda);
  auto const mu = x.mean(0), sigma = x.std(0);
  CHECK(mu.device() == tl::cuda);
  CHECK(sigma.device() == tl::cuda);
  auto const mu_back = mu.to(tl::cpu), sigma_back = sigma.to(tl::cpu);
  auto const mu_host = x_host.mean(0), sigma_host = x_host.std(0);
  for (std::size_t j = 0; j < 3; ++j) {
    CHECK(mu_back(0, j) == doctest::Approx(mu_host(0, j)).epsilon(1e-6));
    CHECK(sigma_back(0, j) == doctest::Approx(sigma_host(0, j)).epsilon(1e-5));
  }
  tl::tensor<float, dyn, 3> const normalized{(x - mu) / sigma};  // the lecture's normalisation, on the GPU
  tl::tensor<float, dyn, 3> const normalized_host{(x_host - mu_host) / sigma_host};
  auto const back = normalized.to(tl::cpu);
  for (std::size_t i = 0; i < 15; ++i) CHECK(back.data()[i] == doctest::Approx(normalized_host.data()[i]).epsilon(1e-5));
}

TEST_CASE("gpu tensor: mean(0) and std(0) of a tensor with static rows on cuda, as on the host") {
  tl::tensor<double, 4, 2> const x_host{{1, 10}, {2, 30}, {4, 20}, {8, 40}};
  auto const x = x_host.to(tl::cuda);
  auto const mu = x.mean(0).to(tl::cpu), sigma = x.std(0).to(tl::cpu);
  auto const mu_host = x_host.mean(0), sigma_host = x_host.std(0);
  for (std::size_t j = 0; j < 2; ++j) {
    CHECK(mu(0, j) == doctest::Approx(mu_host(0, j)).epsilon(1e-12));
    CHECK(sigma(0, j) == doctest::Approx(sigma_host(0, j)).epsilon(1e-12));
  }
}

TEST_CASE("gpu tensor: the lecture's Quiz 1 on tensors moved to cuda follows the host, step by step") {
  tl::tensor<float, dyn, 3> const x_train{{73, 80, 75}, {93, 88, 93}, {89, 91, 90}, {96, 98, 100}, {73, 66, 70}};
  tl::tensor<float, dyn, 1> const y_train{{152}, {185}, {180}, {196}, {142}};
  auto const x = x_train.to(tl::cuda);
  auto const y = y_train.to(tl::cuda);
  tl::param<"w", 3, 1> w, w_host;
  tl::param<"b"> b, b_host;
  tl::optim::sgd gpu{tl::params(w, b), {.lr = 1e-5}};
  tl::optim::sgd host{tl::params(w_host, b_host), {.lr = 1e-5}};
  for (int epoch = 0; epoch <= 1000; ++epoch) {
    auto [cost, grads] = tl::value_and_grad(tl::mse_loss(x.matmul(w) + b, y), w, b);
    auto [cost_host, grads_host] =
        tl::value_and_grad(tl::mse_loss(x_train.matmul(w_host) + b_host, y_train), w_host, b_host);
    gpu.step(grads);
    host.step(grads_host);
    if (epoch % 100 == 0) {
      CAPTURE(epoch);
      CHECK(std::abs(cost - cost_host) <= 1e-4f * std::fmax(1.0f, std::abs(cost_host)));
    }
  }
  for (std::size_t k = 0; k < 3; ++k) CHECK(std::abs(w[k] - w_host[k]) <= 1e-5f);
}

TEST_CASE("gpu tensor: a tensor built from an expression over data on cuda is built there, as on the host") {
  std::size_t const n = 100'003;  // several blocks of the grid
  tl::tensor<float, dyn, 3> x_host(n);
  for (std::size_t i = 0; i < n * 3; ++i) x_host.data()[i] = static_cast<float>(i * 29 % 97) / 48.0f - 1.0f;
  auto const x = x_host.to(tl::cuda);
  tl::nn::linear<3, 2> model{/*seed=*/5};

  tl::tensor<float, dyn, 2> const prediction{model(x)};
  CHECK(prediction.device() == tl::cuda);
  tl::tensor<float, dyn, 2> const expected{model(x_host)};
  auto const got = prediction.to(tl::cpu);
  REQUIRE(got.rows() == n);
  for (std::size_t i = 0; i < 2 * n; i += 997) CHECK(std::abs(got.data()[i] - expected.data()[i]) <= 1e-6f);

  tl::tensor<float, dyn, 3> const centred{x - tl::mean(x)};  // a reduction over rows: the pass first
  tl::tensor<float, dyn, 3> const centred_host{x_host - tl::mean(x_host)};
  auto const centred_back = centred.to(tl::cpu);
  for (std::size_t i = 0; i < 3 * n; i += 991)
    CHECK(std::abs(centred_back.data()[i] - centred_host.data()[i]) <= 1e-6f);

  // A host view copied to cuda and back: the values of x.
  auto const round_trip = x.to(tl::cpu).view().to(tl::cuda).to(tl::cpu);
  CHECK(std::equal(round_trip.data(), round_trip.data() + 3 * n, x_host.data()));
}
