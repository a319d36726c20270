// tests for include/tapeless/loss.hpp (and expr/loss_nodes.hpp): every loss of torch.nn
// against PyTorch (tools/reference/losses.py -> tests/data/loss_*.csv), value and gradient,
// each reduction, float32 within 1e-5; gradients against finite differences in double, in
// reverse mode (value_and_grad) and forward mode (tl::grad); the errors users meet.
#include "laws/gradcheck.hpp"
#include "laws/reference.hpp"

#include <tapeless/loss.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {

std::vector<double> numbers(std::vector<std::string> const& cells, std::size_t from) {
  std::vector<double> out;
  for (std::size_t i = from; i < cells.size(); ++i) out.push_back(std::strtod(cells[i].c_str(), nullptr));
  return out;
}

/// tests/data/loss_inputs.csv: name -> values (row-major).
std::map<std::string, std::vector<double>> const& inputs() {
  static auto const all = [] {
    std::map<std::string, std::vector<double>> m;
    for (auto const& row : laws::read_csv("loss_inputs.csv")) m[row[0]] = numbers(row, 3);
    return m;
  }();
  return all;
}

/// tests/data/loss_reference.csv: "loss,reduction,option,kind" -> values.
std::map<std::string, std::vector<double>> const& reference() {
  static auto const all = [] {
    std::map<std::string, std::vector<double>> m;
    for (auto const& row : laws::read_csv("loss_reference.csv"))
      m[row[0] + "," + row[1] + "," + row[2] + "," + row[3]] = numbers(row, 4);
    return m;
  }();
  return all;
}

template <class T, std::size_t C>
tl::tensor<T, dyn, C> tensor_of(std::string const& name) {
  auto const& v = inputs().at(name);
  tl::tensor<T, dyn, C> t(v.size() / C);
  for (std::size_t i = 0; i < v.size(); ++i) t.data()[i] = static_cast<T>(v[i]);
  return t;
}

/// The N×N identity as data: identity * x reads x's rows, so that the gradient
/// with respect to a parameter x is the gradient with respect to the loss's input.
template <std::size_t N>
tl::tensor<float, dyn, N> identity() {
  tl::tensor<float, dyn, N> t(N);
  for (std::size_t i = 0; i < N; ++i) t(i, i) = 1.0f;
  return t;
}

void check_close(std::vector<double> const& got, std::vector<double> const& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": tapeless " << got[i] << ", torch " << want[i]);
    CHECK(laws::close(got[i], want[i], 1e-5, 1e-7));
  }
}

/// `make(input, target, reduction)` against torch for reductions none, mean and sum:
/// the values, and the gradients with respect to the input.
/// `kink`: elements where tapeless deliberately gives the gradient 0 and torch ±1 (below).
template <std::size_t N, std::size_t C, class Target, class Make>
void against_torch(std::string const& loss, std::string const& option, std::string const& input_name,
                   Target const& target, Make make, std::vector<std::size_t> const& kink = {}) {
  auto const I = identity<N>();
  tl::param<"input", N, C> x;
  auto const& given = inputs().at(input_name);
  REQUIRE(given.size() == N * C);
  for (std::size_t k = 0; k < N * C; ++k) x[k] = static_cast<float>(given[k]);
  std::string const key = loss + ",";
  {
    CAPTURE(loss);
    CAPTURE(option);
    auto const each = make(I * x, target, tl::reduction::none);
    tl::tensor<float, dyn, tl::shape_of_t<decltype(each)>::cols> values{each};
    check_close(std::vector<double>(values.data(), values.data() + values.rows() * values.cols),
                reference().at(key + "none," + option + ",value"));
  }
  auto one = [&](auto reduction, std::string const& name) {
    CAPTURE(loss);
    CAPTURE(option);
    CAPTURE(name);
    auto const result = tl::value_and_grad(make(I * x, target, reduction), x);
    auto const& grads = result.grads;
    check_close({static_cast<double>(result.value)}, reference().at(key + name + "," + option + ",value"));
    std::vector<double> g;
    for (std::size_t k = 0; k < N * C; ++k) g.push_back(static_cast<double>(grads[x][k]));
    auto want = reference().at(key + name + "," + option + ",grad");
    for (std::size_t k : kink) {
      double const scale = name == "mean" ? 1.0 / (N * C) : 1.0;
      CHECK(std::abs(want[k]) == doctest::Approx(scale));  // torch: ±1 (−1 at d = 0 with β = 0)
      want[k] = 0;                                         // tapeless: 0, as l1_loss (torch's and ours)
    }
    check_close(g, want);
  };
  one(tl::reduction::mean, "mean");
  one(tl::reduction::sum, "sum");
}

}  // namespace

TEST_CASE("losses: l1, smooth_l1 and huber follow torch, on and next to beta and delta") {
  auto const y = tensor_of<float, 2>("reg_target");
  against_torch<12, 2>("l1_loss", "-", "reg_input", y,
                       [](auto const& in, auto const& t, auto r) { return tl::l1_loss(in, t, r); });
  for (double beta : {1.0, 0.5, 0.0}) {
    std::string const option = beta == 1.0 ? "1.0" : beta == 0.5 ? "0.5" : "0.0";
    // β = 0 at d = 0 (element 0): torch's smooth_l1 kernel gives the gradient −1 there, its
    // l1_loss gives 0; tapeless gives 0 for both (β = 0 is the L1 loss, docs/losses.md)
    std::vector<std::size_t> const kink = beta == 0.0 ? std::vector<std::size_t>{0} : std::vector<std::size_t>{};
    against_torch<12, 2>(
        "smooth_l1_loss", option, "reg_input", y,
        [beta](auto const& in, auto const& t, auto r) { return tl::smooth_l1_loss(in, t, r, beta); }, kink);
  }
  for (double delta : {1.0, 0.5, 2.0}) {
    std::string const option = delta == 1.0 ? "1.0" : delta == 0.5 ? "0.5" : "2.0";
    against_torch<12, 2>("huber_loss", option, "reg_input", y, [delta](auto const& in, auto const& t, auto r) {
      return tl::huber_loss(in, t, r, delta);
    });
  }
}

TEST_CASE("losses: binary cross entropy follows torch, log clamped at -100, and with logits up to 100") {
  auto const y = tensor_of<float, 1>("bin_target");
  against_torch<12, 1>("binary_cross_entropy", "-", "bin_prob", y,
                       [](auto const& in, auto const& t, auto r) { return tl::binary_cross_entropy(in, t, r); });
  auto const z = tensor_of<float, 1>("bin_logit_target");
  against_torch<12, 1>("binary_cross_entropy_with_logits", "-", "bin_logit", z, [](auto const& in, auto const& t,
                                                                                     auto r) {
    return tl::binary_cross_entropy_with_logits(in, t, r);
  });
}

TEST_CASE("losses: cross entropy follows torch, int64 classes, logits spread by 200") {
  auto const classes = tensor_of<std::int64_t, 1>("ce_classes");
  against_torch<10, 4>("cross_entropy", "-", "ce_logits", classes,
                       [](auto const& in, auto const& k, auto r) { return tl::cross_entropy(in, k, r); });
}

TEST_CASE("losses: through a linear layer, the parameters' gradients follow torch") {
  std::map<std::string, std::vector<double>> ref;
  for (auto const& row : laws::read_csv("loss_model.csv")) ref[row[0] + "," + row[1]] = numbers(row, 2);
  auto const x = tensor_of<float, 3>("model_x");
  auto const y = tensor_of<float, 1>("model_bin_target");
  auto const t = tensor_of<float, 1>("model_reg_target");
  auto const classes = tensor_of<int, 1>("model_classes");
  auto set = [](auto& layer, std::string const& w, std::string const& b) {
    for (std::size_t k = 0; k < layer.weight.size; ++k) layer.weight[k] = static_cast<float>(inputs().at(w)[k]);
    for (std::size_t k = 0; k < layer.bias.size; ++k) layer.bias[k] = static_cast<float>(inputs().at(b)[k]);
  };
  auto compare = [&](std::string const& name, auto const& result, auto const& layer) {
    CAPTURE(name);
    auto const& grads = result.grads;
    check_close({static_cast<double>(result.value)}, ref.at(name + ",value"));
    std::vector<double> gw, gb;
    for (std::size_t k = 0; k < layer.weight.size; ++k) gw.push_back(grads[layer.weight][k]);
    for (std::size_t k = 0; k < layer.bias.size; ++k) gb.push_back(grads[layer.bias][k]);
    check_close(gw, ref.at(name + ",weight"));
    check_close(gb, ref.at(name + ",bias"));
  };
  tl::nn::linear<3, 1> one;
  set(one, "model_w1", "model_b1");
  tl::nn::bce_with_logits_loss with_logits;
  compare("bce_with_logits", tl::value_and_grad(with_logits(one(x), y), one.parameters()), one);
  tl::nn::bce_loss bce;
  compare("bce", tl::value_and_grad(bce(tl::sigmoid(one(x)), y), one.parameters()), one);
  tl::nn::huber_loss<> huber{.delta = 0.5};
  compare("huber", tl::value_and_grad(huber(one(x), t), one.parameters()), one);
  tl::nn::linear<3, 4> four;
  set(four, "model_w4", "model_b4");
  tl::nn::cross_entropy_loss summed{tl::reduction::sum};
  compare("cross_entropy", tl::value_and_grad(summed(four(x), classes), four.parameters()), four);
}

TEST_CASE("losses: logistic regression with BCE and SGD follows torch for 20 steps") {
  auto const x = tensor_of<float, 3>("model_x");
  auto const y = tensor_of<float, 1>("model_bin_target");
  tl::nn::linear<3, 1> model;
  for (std::size_t k = 0; k < 3; ++k) model.weight[k] = static_cast<float>(inputs().at("model_w1")[k]);
  model.bias[0] = static_cast<float>(inputs().at("model_b1")[0]);
  tl::optim::sgd opt{model.parameters(), {.lr = 0.5}};
  auto const loss = tl::binary_cross_entropy(tl::sigmoid(model(x)), y);
  auto const steps = laws::read_csv("loss_logistic.csv");
  REQUIRE(steps.size() == 20);
  for (auto const& step : steps) {
    CAPTURE(step[0]);
    auto const ref = numbers(step, 1);
    auto const result = tl::value_and_grad(loss, model.parameters());
    opt.step(result.grads);
    check_close({result.value, model.weight[0], model.weight[1], model.weight[2], model.bias[0]}, ref);
  }
}

TEST_CASE("losses: gradients match finite differences (reverse mode) and forward mode agrees") {
  auto const X = laws::random_tensor<2>(40, 91, -2, 2);
  auto const y = laws::random_tensor<1>(40, 92, -2, 2);
  auto const labels = laws::random_tensor<1>(40, 93, 0, 1);
  tl::param<"w", 2, 1, double> w;
  tl::param<"b", 1, 1, double> b;
  laws::randomize(w, 94);
  laws::randomize(b, 95);
  auto const out = X * w + b;
  laws::check_gradients(tl::l1_loss(out, y), w, b);
  laws::check_gradients(tl::smooth_l1_loss(out, y, tl::reduction::sum, 0.7), w, b);
  laws::check_gradients(tl::huber_loss(out, y, tl::reduction::mean, 0.6), w, b);
  laws::check_gradients(tl::binary_cross_entropy(tl::sigmoid(out), labels), w, b);
  laws::check_gradients(tl::binary_cross_entropy_with_logits(out, labels, tl::reduction::sum), w, b);

  tl::tensor<int, dyn, 1> classes(40);
  for (std::size_t i = 0; i < 40; ++i) classes(i, 0) = static_cast<int>((i * 7) % 3);
  tl::param<"v", 2, 3, double> v;
  tl::param<"c", 1, 3, double> c;
  laws::randomize(v, 96, -3, 3);
  laws::randomize(c, 97);
  auto const ce = tl::cross_entropy(X * v + c, classes);
  laws::check_gradients(ce, v, c);

  // forward mode (tl::grad: the `derivative` rules) gives the same numbers
  auto const reverse = tl::value_and_grad(ce, v);
  auto const& rg = reverse.grads;
  auto const forward = tl::value(tl::grad(ce, v));
  for (std::size_t k = 0; k < v.size; ++k) CHECK(laws::close(forward[k], rg[v][k], 1e-12, 1e-14));
  auto const bce = tl::binary_cross_entropy(tl::sigmoid(out), labels);
  CHECK(laws::close(tl::value(tl::grad(bce, b)), tl::value_and_grad(bce, b).grads[b][0], 1e-12, 1e-14));
  auto const logits = tl::binary_cross_entropy_with_logits(out, labels);
  CHECK(laws::close(tl::value(tl::grad(logits, b)), tl::value_and_grad(logits, b).grads[b][0], 1e-12, 1e-14));
}

TEST_CASE("losses: zero logits give torch's gradient sigma(0) - y = 0.5 - y") {
  tl::tensor<double, dyn, 1> ones{{1}, {1}, {1}, {1}};
  tl::tensor<double, dyn, 1> y{{1}, {0}, {1}, {0.25}};
  tl::param<"w", 1, 1, double> w;  // zero: every logit is 0
  auto const result = tl::value_and_grad(tl::binary_cross_entropy_with_logits(ones * w, y), w);
  auto const& grads = result.grads;
  CHECK(result.value == doctest::Approx(std::log(2.0)));
  CHECK(grads[w][0] == doctest::Approx(((0.5 - 1) + (0.5 - 0) + (0.5 - 1) + (0.5 - 0.25)) / 4));
}

TEST_CASE("losses: the object forms build the functional forms' expressions") {
  tl::tensor<float, dyn, 1> p(3), y(3);
  tl::tensor<float, dyn, 3> logits(3);
  tl::tensor<std::int64_t, dyn, 1> k(3);
  static_assert(std::is_same_v<decltype(tl::nn::l1_loss{}(p, y)), decltype(tl::l1_loss(p, y))>);
  static_assert(std::is_same_v<decltype(tl::nn::l1_loss{tl::reduction::sum}(p, y)),
                               decltype(tl::l1_loss(p, y, tl::reduction::sum))>);
  static_assert(std::is_same_v<decltype(tl::nn::smooth_l1_loss{}(p, y)), decltype(tl::smooth_l1_loss(p, y))>);
  static_assert(std::is_same_v<decltype(tl::nn::huber_loss{tl::reduction::none, 2.0}(p, y)),
                               decltype(tl::huber_loss(p, y, tl::reduction::none))>);
  static_assert(std::is_same_v<decltype(tl::nn::bce_loss{}(p, y)), decltype(tl::binary_cross_entropy(p, y))>);
  static_assert(std::is_same_v<decltype(tl::nn::bce_with_logits_loss{}(p, y)),
                               decltype(tl::binary_cross_entropy_with_logits(p, y))>);
  static_assert(std::is_same_v<decltype(tl::nn::cross_entropy_loss{}(logits, k)), decltype(tl::cross_entropy(logits, k))>);
  // options reach the loss
  tl::tensor<double, dyn, 1> a{{0}, {3}}, b{{0}, {0}};
  tl::nn::smooth_l1_loss<> smooth{.beta = 2.0};
  CHECK(tl::value(smooth(a, b)) == doctest::Approx((3 - 1.0) / 2));
  tl::nn::huber_loss huber{tl::reduction::sum, 2.0};
  CHECK(tl::value(huber(a, b)) == doctest::Approx(2 * (3 - 1.0)));
}

TEST_CASE("losses: different batch extents, bad options and bad class indices are errors") {
  tl::tensor<float, dyn, 1> five(5), four(4);
  CHECK_THROWS_WITH_AS((void)tl::l1_loss(five, four),
                       "tapeless::l1_loss: operands have 5 and 4 rows; the batch (dyn) extents must be equal", tl::error);
  CHECK_THROWS_WITH_AS((void)tl::huber_loss(five, four),
                       "tapeless::huber_loss: operands have 5 and 4 rows; the batch (dyn) extents must be equal",
                       tl::error);
  CHECK_THROWS_AS((void)tl::smooth_l1_loss(five, four), tl::error);
  CHECK_THROWS_AS((void)tl::binary_cross_entropy(five, four), tl::error);
  CHECK_THROWS_AS((void)tl::binary_cross_entropy_with_logits(five, four), tl::error);
  CHECK_THROWS_WITH_AS((void)tl::smooth_l1_loss(five, five, tl::reduction::mean, -1.0),
                       "tapeless::smooth_l1_loss: beta is negative; pass beta >= 0 (0 gives the L1 loss)", tl::error);
  CHECK_THROWS_WITH_AS((void)tl::huber_loss(five, five, tl::reduction::mean, 0.0),
                       "tapeless::huber_loss: delta is not positive; pass delta > 0", tl::error);

  tl::tensor<float, dyn, 3> logits(4);
  tl::tensor<int, dyn, 1> classes{{0}, {2}, {1}, {2}};
  CHECK_NOTHROW((void)tl::cross_entropy(logits, classes));
  classes(1, 0) = 3;
  CHECK_THROWS_WITH_AS((void)tl::cross_entropy(logits, classes),
                       "tapeless::cross_entropy: class index 3 in row 1 is outside [0, 3); pass indices from 0 to the "
                       "number of classes minus one",
                       tl::error);
  classes(1, 0) = 1;
  classes(3, 0) = -1;
  CHECK_THROWS_WITH_AS((void)tl::cross_entropy(logits, classes),
                       "tapeless::cross_entropy: class index -1 in row 3 is outside [0, 3); pass indices from 0 to the "
                       "number of classes minus one",
                       tl::error);
  tl::tensor<int, dyn, 1> three{{0}, {1}, {2}};
  CHECK_THROWS_WITH_AS((void)tl::cross_entropy(logits, three),
                       "tapeless::cross_entropy: operands have 4 and 3 rows; the batch (dyn) extents must be equal",
                       tl::error);
}
