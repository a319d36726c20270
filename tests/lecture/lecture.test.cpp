// The lecture's examples (examples/lecture/*.cpp), run through their own code and
// compared with PyTorch's numbers (tests/data/*.torch.*), on the host; the GPU
// tests include this file with LECTURE_DEVICE tapeless::cuda (tests/cuda/lecture.gpu.cu).
#include "laws/gradcheck.hpp"
#include "laws/reference.hpp"

#define TAPELESS_LECTURE_NO_MAIN
#include "../../examples/lecture/exercise1.cpp"
#include "../../examples/lecture/module.cpp"
#include "../../examples/lecture/quiz1.cpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#ifndef LECTURE_DEVICE
#  define LECTURE_DEVICE tapeless::cpu
#endif

TEST_CASE("lecture: Exercise 1 prints the lecture's log") {
  std::string log;
  exercise1(LECTURE_DEVICE, [&](int epoch, int nb_epochs, float cost, auto const& w, auto const& b) {
    if (epoch % 100 != 0) return;
    char line[128];
    std::snprintf(line, sizeof line, "Epoch %5d/%d w:%.3f b:%.3f cost: %.3f\n", epoch, nb_epochs, w.item(), b.item(),
                  static_cast<double>(cost));
    log += line;
  });
  CHECK(laws::collapse_whitespace(log) == laws::collapse_whitespace(laws::read_text("exercise1.torch.log")));
}

TEST_CASE("lecture: Exercise 1 follows PyTorch's trajectory at every epoch") {
  auto const ref = laws::read_csv("exercise1.torch.csv");
  REQUIRE(ref.size() == 3001);
  exercise1(LECTURE_DEVICE, [&](int epoch, int, float cost, auto const& w, auto const& b) {
    auto const& row = ref[static_cast<std::size_t>(epoch)];
    CAPTURE(epoch);
    CHECK(laws::close(w.item(), std::stod(row[1]), 1e-5, 1e-7));
    CHECK(laws::close(b.item(), std::stod(row[2]), 1e-5, 1e-6));
    CHECK(laws::close(cost, std::stod(row[3]), 1e-5, 1e-7));
  });
}

TEST_CASE("lecture: Quiz 1, both loss forms, within 1e-4 of PyTorch at every epoch") {
  auto const ref = laws::read_csv("quiz1.torch.csv");
  REQUIRE(ref.size() == 1001);
  auto compare = [&](int epoch, int, float cost, auto const& w, auto const& b) {
    auto const& row = ref[static_cast<std::size_t>(epoch)];
    CAPTURE(epoch);
    for (std::size_t k = 0; k < 3; ++k) CHECK(laws::close(w[k], std::stod(row[1 + k]), 1e-4, 0));
    CHECK(laws::close(b.item(), std::stod(row[4]), 1e-4, 0));
    CHECK(laws::close(cost, std::stod(row[5]), 1e-4, 0));
  };
  SUBCASE("tl::mse_loss(hypothesis, y_train)") { quiz1(LECTURE_DEVICE, functional_mse, compare); }
  SUBCASE("tl::nn::mse_loss{}(hypothesis, y_train)") { quiz1(LECTURE_DEVICE, tapeless::nn::mse_loss{}, compare); }
}

TEST_CASE("lecture: the nn.Module model trains: the cost falls every epoch") {
  std::vector<float> costs;
  train_module(LECTURE_DEVICE, [&](int, int, float cost) { costs.push_back(cost); });
  REQUIRE(costs.size() == 21);
  for (std::size_t i = 1; i < costs.size(); ++i) CHECK(costs[i] < costs[i - 1]);
  CHECK(costs.back() < costs.front() / 100);
}
