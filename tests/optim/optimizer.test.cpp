// tests for include/tapeless/optim/optimizer.hpp (through the algorithms built on it): parameter
// groups (spelling, inherited options, errors), learning rates per group, option validation as
// torch's, and visit_state (keys, sizes, types; a round trip continues the same trajectory).
#include <tapeless/optim/adagrad.hpp>
#include <tapeless/optim/adam.hpp>
#include <tapeless/optim/asgd.hpp>
#include <tapeless/optim/nadam.hpp>
#include <tapeless/optim/rmsprop.hpp>
#include <tapeless/optim/rprop.hpp>
#include <tapeless/optim/sgd.hpp>
#include <tapeless/optim/sparse_adam.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

namespace {

/// Everything an optimizer's `visit_state` shows, by type, plus the keys in order.
struct snapshot {
  std::vector<std::string> keys;
  std::vector<std::size_t> sizes;
  std::vector<char> types;  // 'f' float, 'd' double, 'u' uint64
  std::map<std::string, std::vector<double>> doubles;
  std::map<std::string, std::vector<float>> floats;
  std::map<std::string, std::vector<std::uint64_t>> counters;
};

template <class Opt>
snapshot save(Opt const& opt) {
  snapshot s;
  opt.visit_state([&](std::string_view key, auto values) {
    using T = typename decltype(values)::element_type;
    static_assert(std::is_const_v<T>, "the const overload shows const values");
    std::string const k(key);
    s.keys.push_back(k);
    s.sizes.push_back(values.size());
    if constexpr (std::is_same_v<T, double const>) s.types.push_back('d'), s.doubles[k].assign(values.begin(), values.end());
    else if constexpr (std::is_same_v<T, float const>) s.types.push_back('f'), s.floats[k].assign(values.begin(), values.end());
    else {
      static_assert(std::is_same_v<T, std::uint64_t const>);
      s.types.push_back('u'), s.counters[k].assign(values.begin(), values.end());
    }
  });
  return s;
}

template <class Opt>
void load(Opt& opt, snapshot const& s) {
  std::size_t i = 0;
  opt.visit_state([&](std::string_view key, auto values) {
    using T = typename decltype(values)::element_type;
    static_assert(!std::is_const_v<T>);
    std::string const k(key);
    REQUIRE(i < s.keys.size());
    CHECK(s.keys[i++] == k);
    auto copy = [&](auto const& from) {
      REQUIRE(from.size() == values.size());
      for (std::size_t e = 0; e < values.size(); ++e) values[e] = static_cast<T>(from[e]);
    };
    if constexpr (std::is_same_v<T, double>) copy(s.doubles.at(k));
    else if constexpr (std::is_same_v<T, float>) copy(s.floats.at(k));
    else copy(s.counters.at(k));
  });
  CHECK(i == s.keys.size());
}

struct problem {
  tl::tensor<float, dyn, 3> X{{1, 0, 2}, {0, 1, -1}, {2, 1, 0}, {-1, 0.5, 1}};
  tl::tensor<float, dyn, 2> Y{{1, 0}, {0, 1}, {2, -1}, {0.5, 0.5}};
};

}  // namespace

TEST_CASE("optim: groups inherit the optimizer's options and override some, as torch's param_groups") {
  tl::param<"W", 2, 3> W;
  tl::param<"b", 1, 2> b;
  // torch: Adam([{'params': [W]}, {'params': [b], 'lr': 0.01, 'betas': (0.8, 0.9)}], lr=0.1, amsgrad=True)
  tl::optim::adam opt{tl::optim::groups(tl::optim::group{tl::params(W)},
                                        tl::optim::group{tl::params(b), {.lr = 0.01, .betas = {0.8, 0.9}}}),
                      {.lr = 0.1, .amsgrad = true}};
  static_assert(std::is_same_v<decltype(opt), tl::optim::adam<tl::param<"W", 2, 3>, tl::param<"b", 1, 2>>>);
  REQUIRE(opt.group_count() == 2);
  CHECK(opt.lr(0) == 0.1);
  CHECK(opt.lr(1) == 0.01);
  CHECK(opt.options(0).betas == tl::optim::pair{0.9, 0.999});
  CHECK(opt.options(1).betas == tl::optim::pair{0.8, 0.9});
  CHECK(opt.options(1).amsgrad);
  CHECK(opt.options(1).eps == 1e-8);

  opt.set_lr(1, 0.5);
  CHECK(opt.lr(0) == 0.1);
  CHECK(opt.lr(1) == 0.5);
  opt.set_lr(0.25);  // every group
  CHECK(opt.lr(0) == 0.25);
  CHECK(opt.lr(1) == 0.25);
  CHECK_THROWS_WITH_AS(opt.set_lr(1, -1.0), "tapeless::optim::adam: the learning rate must be non-negative", tl::error);
  CHECK_THROWS_WITH_AS((void)opt.lr(2), "tapeless::optim::adam: there is no parameter group 2; the optimizer has 2",
                       tl::error);
  CHECK_THROWS_AS(opt.set_lr(2, 0.1), tl::error);

  auto o = opt.options(1);
  o.eps = -1;
  CHECK_THROWS_WITH_AS(opt.set_options(1, o), "tapeless::optim::adam: eps must be non-negative", tl::error);
  o.eps = 1e-6;
  opt.set_options(1, o);
  CHECK(opt.options(1).eps == 1e-6);

  // One group per parameter, three groups.
  tl::param<"c"> c;
  tl::optim::sgd three{tl::optim::groups(tl::optim::group{tl::params(W)}, tl::optim::group{tl::params(b)},
                                         tl::optim::group{tl::params(c), {.momentum = 0.5}}),
                       {.lr = 0.1}};
  CHECK(three.group_count() == 3);
  CHECK(three.options(2).momentum == 0.5);
  CHECK(three.options(1).momentum == 0);

  // A group list written by hand is checked: no parameter may point past the groups.
  tl::optim::group_list<decltype(W), decltype(b)> bad{{&W, &b}, {0, 2}, {{}, {}}};
  CHECK_THROWS_WITH_AS(tl::optim::sgd(bad, {.lr = 0.1}),
                       "tapeless::optim: a parameter belongs to a group that does not exist", tl::error);
  tl::optim::group_list<decltype(W), decltype(b)> too_many{{&W, &b}, {0, 1}, {{}, {}, {}}};
  CHECK_THROWS_WITH_AS(tl::optim::sgd(too_many, {.lr = 0.1}),
                       "tapeless::optim: a group list needs between one group and one group per parameter", tl::error);
}

TEST_CASE("optim: a group's options are checked: unknown to the algorithm, or invalid after merging") {
  tl::param<"w"> w;
  tl::param<"b"> b;
  CHECK_THROWS_WITH_AS(
      tl::optim::sgd(tl::optim::groups(tl::optim::group{tl::params(w), {.betas = {0.9, 0.99}}}), {.lr = 0.1}),
      "tapeless::optim::sgd: a parameter group sets 'betas', which sgd does not have; remove it from the group",
      tl::error);
  CHECK_THROWS_WITH_AS(tl::optim::adam(tl::optim::groups(tl::optim::group{tl::params(w)},
                                                         tl::optim::group{tl::params(b), {.momentum = 0.9}})),
                       "tapeless::optim::adam: a parameter group sets 'momentum', which adam does not have; remove "
                       "it from the group",
                       tl::error);
  CHECK_THROWS_WITH_AS(tl::optim::adam(tl::optim::groups(tl::optim::group{tl::params(w)},
                                                         tl::optim::group{tl::params(b), {.lr = -0.1}})),
                       "tapeless::optim::adam: the learning rate (.lr) must be non-negative", tl::error);
  // SGD's lr has no default: the groups may give it instead of the defaults.
  CHECK_THROWS_WITH_AS(tl::optim::sgd(tl::optim::groups(tl::optim::group{tl::params(w), {.lr = 0.1}},
                                                        tl::optim::group{tl::params(b)})),
                       "tapeless::optim::sgd: set a non-negative learning rate (.lr); it has no default", tl::error);
  tl::optim::sgd ok{tl::optim::groups(tl::optim::group{tl::params(w), {.lr = 0.1}},
                                      tl::optim::group{tl::params(b), {.lr = 0.2}})};
  CHECK(ok.lr(1) == 0.2);
}

TEST_CASE("optim: invalid hyper-parameters are refused as torch refuses them") {
  tl::param<"w"> w;
  auto const ps = tl::params(w);
  namespace o = tl::optim;
  auto refused = [](auto make, char const* message) { CHECK_THROWS_WITH_AS(make(), message, tl::error); };
  refused([&] { return o::adam(ps, {.lr = -1}); }, "tapeless::optim::adam: the learning rate (.lr) must be non-negative");
  refused([&] { return o::adam(ps, {.betas = {1.0, 0.999}}); }, "tapeless::optim::adam: betas[0] must be in [0, 1)");
  refused([&] { return o::adam(ps, {.betas = {0.9, -0.1}}); }, "tapeless::optim::adam: betas[1] must be in [0, 1)");
  refused([&] { return o::adam(ps, {.eps = -1e-8}); }, "tapeless::optim::adam: eps must be non-negative");
  refused([&] { return o::adam(ps, {.weight_decay = -1}); }, "tapeless::optim::adam: weight_decay must be non-negative");
  refused([&] { return o::adamw(ps, {.betas = {0.9, 1.0}}); }, "tapeless::optim::adamw: betas[1] must be in [0, 1)");
  refused([&] { return o::adagrad(ps, {.lr_decay = -1}); }, "tapeless::optim::adagrad: lr_decay must be non-negative");
  refused([&] { return o::adagrad(ps, {.initial_accumulator_value = -1}); },
          "tapeless::optim::adagrad: initial_accumulator_value must be non-negative");
  refused([&] { return o::adadelta(ps, {.rho = 1.5}); }, "tapeless::optim::adadelta: rho must be in [0, 1]");
  refused([&] { return o::adamax(ps, {.eps = -1}); }, "tapeless::optim::adamax: eps must be non-negative");
  refused([&] { return o::asgd(ps, {.weight_decay = -1}); }, "tapeless::optim::asgd: weight_decay must be non-negative");
  refused([&] { return o::rmsprop(ps, {.alpha = -0.5}); }, "tapeless::optim::rmsprop: alpha must be non-negative");
  refused([&] { return o::rmsprop(ps, {.momentum = -0.5}); }, "tapeless::optim::rmsprop: momentum must be non-negative");
  refused([&] { return o::rprop(ps, {.etas = {1.5, 1.2}}); },
          "tapeless::optim::rprop: etas must satisfy 0 < etas[0] < 1 < etas[1]");
  refused([&] { return o::rprop(ps, {.step_sizes = {1.0, 0.1}}); },
          "tapeless::optim::rprop: step_sizes must satisfy 0 <= step_sizes[0] <= step_sizes[1]");
  refused([&] { return o::nadam(ps, {.momentum_decay = -1}); },
          "tapeless::optim::nadam: momentum_decay must be non-negative");
  refused([&] { return o::radam(ps, {.betas = {-0.1, 0.9}}); }, "tapeless::optim::radam: betas[0] must be in [0, 1)");
  refused([&] { return o::sparse_adam(ps, {.lr = 0}); }, "tapeless::optim::sparse_adam: the learning rate (.lr) must be positive");
  refused([&] { return o::sparse_adam(ps, {.eps = 0}); }, "tapeless::optim::sparse_adam: eps must be positive");
  // torch's defaults
  CHECK(o::adam(ps).options().lr == 1e-3);
  CHECK(o::adamw(ps).options().weight_decay == 1e-2);
  CHECK(o::adagrad(ps).options().eps == 1e-10);
  CHECK(o::adadelta(ps).options().lr == 1.0);
  CHECK(o::adamax(ps).options().lr == 2e-3);
  CHECK(o::asgd(ps).options().t0 == 1e6);
  CHECK(o::rmsprop(ps).options().alpha == 0.99);
  CHECK(o::rprop(ps).options().step_sizes == o::pair{1e-6, 50});
  CHECK(o::nadam(ps).options().momentum_decay == 4e-3);
  CHECK(o::radam(ps).options().lr == 1e-3);
  CHECK(o::sparse_adam(ps).options().eps == 1e-8);
}

TEST_CASE("optim: visit_state names every buffer in use, per group, then the step counter") {
  tl::param<"W", 2, 3> W;
  tl::param<"b", 1, 2> b;
  tl::optim::adam opt{tl::optim::groups(tl::optim::group{tl::params(W), {.amsgrad = true}},
                                        tl::optim::group{tl::params(b)}),
                      {.lr = 0.1}};
  auto const s = save(opt);
  std::vector<std::string> const keys{"group0/lr",        "group0/betas",           "group0/eps",
                                      "group0/weight_decay", "group0/W/exp_avg",    "group0/W/exp_avg_sq",
                                      "group0/W/max_exp_avg_sq", "group1/lr",       "group1/betas",
                                      "group1/eps",       "group1/weight_decay",    "group1/b/exp_avg",
                                      "group1/b/exp_avg_sq", "steps"};
  CHECK(s.keys == keys);
  CHECK(s.sizes == std::vector<std::size_t>{1, 2, 1, 1, 6, 6, 6, 1, 2, 1, 1, 2, 2, 1});
  CHECK(std::string(s.types.begin(), s.types.end()) == "ddddfffddddffu");

  tl::param<"w"> w;
  auto const asgd = save(tl::optim::asgd{tl::params(w), {}});
  CHECK(asgd.keys == std::vector<std::string>{"group0/lr", "group0/lambd", "group0/alpha", "group0/t0",
                                              "group0/weight_decay", "group0/eta", "group0/mu", "group0/w/ax",
                                              "steps"});
  auto const rms = save(tl::optim::rmsprop{tl::params(w), {.momentum = 0.9}});
  CHECK(rms.keys == std::vector<std::string>{"group0/lr", "group0/alpha", "group0/momentum", "group0/eps",
                                             "group0/weight_decay", "group0/w/square_avg",
                                             "group0/w/momentum_buffer", "steps"});
  auto const nadam = save(tl::optim::nadam{tl::params(w), {}});
  CHECK(nadam.floats.at("group0/mu_product") == std::vector<float>{1.0f});
}

TEST_CASE("optim: state loaded into a second optimizer continues the same trajectory") {
  problem const data;
  auto check_round_trip = [&]<template <class...> class Opt>(auto options) {
    tl::param<"W", 2, 3> W{{0.2f, -0.1f, 0.4f}, {0.3f, 0.5f, -0.6f}};
    tl::param<"b", 1, 2> b{{0.05f, -0.15f}};
    Opt first{tl::optim::groups(tl::optim::group{tl::params(W)}, tl::optim::group{tl::params(b), {.lr = 0.02}}),
              options};
    auto loss = [&](auto& w, auto& c) { return tl::mse_loss(tl::matmul(data.X, tl::transpose(w)) + c, data.Y); };
    for (int i = 0; i < 7; ++i) first.step(tl::value_and_grad(loss(W, b), W, b).grads);
    CHECK(first.steps() == 7);

    // A fresh model and optimizer (other options, other lr), then the checkpoint.
    tl::param<"W", 2, 3> W2{W.value()};
    tl::param<"b", 1, 2> b2{b.value()};
    Opt second{tl::optim::groups(tl::optim::group{tl::params(W2)}, tl::optim::group{tl::params(b2), {.lr = 0.5}}),
               options};
    load(second, save(first));
    CHECK(second.steps() == 7);
    CHECK(second.lr(1) == 0.02);
    for (int i = 0; i < 7; ++i) {
      first.step(tl::value_and_grad(loss(W, b), W, b).grads);
      second.step(tl::value_and_grad(loss(W2, b2), W2, b2).grads);
      CHECK(W.value() == W2.value());  // bit for bit
      CHECK(b.value() == b2.value());
    }
    // Without the state, the same steps give other values.
    tl::param<"W", 2, 3> W3{W.value()};
    tl::param<"b", 1, 2> b3{b.value()};
    Opt fresh{tl::optim::groups(tl::optim::group{tl::params(W3)}, tl::optim::group{tl::params(b3), {.lr = 0.02}}),
              options};
    fresh.step(tl::value_and_grad(loss(W3, b3), W3, b3).grads);
    first.step(tl::value_and_grad(loss(W, b), W, b).grads);
    CHECK(W3.value() != W.value());
  };
  SUBCASE("adam, amsgrad") { check_round_trip.operator()<tl::optim::adam>(tl::optim::adam_options{.lr = 0.05, .amsgrad = true}); }
  SUBCASE("asgd (per-group eta and mu)") {
    check_round_trip.operator()<tl::optim::asgd>(tl::optim::asgd_options{.lr = 0.05, .t0 = 2});
  }
  SUBCASE("nadam (per-group mu_product)") {
    check_round_trip.operator()<tl::optim::nadam>(tl::optim::nadam_options{.lr = 0.05});
  }
  SUBCASE("rprop (state set at the first step is not set again)") {
    check_round_trip.operator()<tl::optim::rprop>(tl::optim::rprop_options{.lr = 0.05});
  }
  SUBCASE("adagrad") { check_round_trip.operator()<tl::optim::adagrad>(tl::optim::adagrad_options{.lr = 0.05}); }
}

TEST_CASE("optim: loaded options are validated") {
  tl::param<"w"> w;
  tl::optim::adam opt{tl::params(w), {}};
  auto s = save(opt);
  s.doubles["group0/betas"] = {1.5, 0.999};
  CHECK_THROWS_WITH_AS(load(opt, s), "tapeless::optim::adam: betas[0] must be in [0, 1)", tl::error);
}

TEST_CASE("optim: state(p, name) reads a buffer; asgd's averaged(p) is torch's ax") {
  problem const data;
  tl::param<"W", 2, 3> W{{0.2f, -0.1f, 0.4f}, {0.3f, 0.5f, -0.6f}};
  tl::param<"b", 1, 2> b;
  tl::optim::asgd opt{tl::params(W, b), {.lr = 0.05}};  // t0 = 1e6: ax is the last parameter value
  opt.step(tl::value_and_grad(tl::mse_loss(tl::matmul(data.X, tl::transpose(W)) + b, data.Y), W, b).grads);
  CHECK(opt.averaged(W) == W.value());
  CHECK(&opt.averaged(b) == &opt.state(b, "ax"));
  CHECK_THROWS_WITH_AS((void)opt.state(W, "exp_avg"), "tapeless::optim::asgd: no state named 'exp_avg'", tl::error);
  tl::param<"W", 2, 3> other;
  CHECK_THROWS_WITH_AS((void)opt.averaged(other),
                       "tapeless::optim::asgd: this parameter is not one of the optimizer's (same name, another object)",
                       tl::error);
}

TEST_CASE("optim: sparse_adam leaves elements whose gradient is exactly zero alone, moments included") {
  // Column 0 of X is zero, so the gradient of W[:, 0] is exactly zero.
  tl::tensor<float, dyn, 3> X{{0, 1, 2}, {0, -1, 0.5}};
  tl::tensor<float, dyn, 2> Y{{1, 0}, {0, 1}};
  tl::param<"W", 2, 3> W{{0.2f, -0.1f, 0.4f}, {0.3f, 0.5f, -0.6f}};
  tl::param<"b", 1, 2> b;
  tl::optim::sparse_adam lazy{tl::params(W, b), {.lr = 0.1}};
  tl::param<"W", 2, 3> W2{W.value()};
  tl::param<"b", 1, 2> b2;
  tl::optim::adam dense{tl::params(W2, b2), {.lr = 0.1}};
  for (int i = 0; i < 3; ++i) {
    auto const g = tl::value_and_grad(tl::mse_loss(tl::matmul(X, tl::transpose(W)) + b, Y), W, b).grads;
    REQUIRE(g[W](0, 0) == 0.0f);
    lazy.step(g);
    dense.step(tl::value_and_grad(tl::mse_loss(tl::matmul(X, tl::transpose(W2)) + b2, Y), W2, b2).grads);
  }
  CHECK(W(0, 0) == 0.2f);
  CHECK(W(1, 0) == 0.3f);
  CHECK(lazy.state(W, "exp_avg")(0, 0) == 0.0f);
  CHECK(lazy.state(W, "exp_avg_sq")(1, 0) == 0.0f);
  CHECK(W(0, 1) != -0.1f);
  CHECK(W2(0, 0) == 0.2f);  // dense Adam with a zero gradient and zero moments does not move either...
  tl::param<"W", 2, 3> W3{{0.2f, -0.1f, 0.4f}, {0.3f, 0.5f, -0.6f}};
  tl::param<"b", 1, 2> b3;
  tl::optim::adam decayed{tl::params(W3, b3), {.lr = 0.1, .weight_decay = 0.1}};
  decayed.step(tl::value_and_grad(tl::mse_loss(tl::matmul(X, tl::transpose(W3)) + b3, Y), W3, b3).grads);
  CHECK(W3(0, 0) != 0.2f);  // ...but with weight decay it does, where sparse_adam (no weight decay) never would
}
