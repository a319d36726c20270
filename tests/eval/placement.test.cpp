// Where the rows are: a view may be of device memory (tl::cuda); a loss reads
// its data on one device, and only an nvcc translation unit runs a pass on the
// GPU. In this (host) unit every path that would read device memory is an error.
#include "laws/errors.hpp"

#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tl = tapeless;
using tl::dyn;

using laws::error_of;

TEST_CASE("placement: tensors are on the host, views where they are said to be, and leaves carry it") {
  tl::tensor<float, dyn, 3> X{{1, 2, 3}, {4, 5, 6}};
  CHECK(X.device() == tl::cpu);
  CHECK(X.expr().where == tl::cpu);
  std::vector<float> memory(6);
  tl::tensor_view<float, dyn, 3> const host_view{memory.data(), 2};
  tl::tensor_view<float, dyn, 3> const device_view{memory.data(), 2, tl::cuda};
  CHECK(host_view.device() == tl::cpu);
  CHECK(device_view.device() == tl::cuda);
  CHECK(device_view.expr().where == tl::cuda);
  // The leaf stays free of padding: the program cache compares its bytes.
  static_assert(std::has_unique_object_representations_v<tl::expr::data<float, dyn, 3>>);
}

TEST_CASE("placement: a loss over data on two devices is an error, before any pass") {
  std::vector<float> memory(2);
  tl::tensor<float, dyn, 1> x{{1}, {2}};
  tl::tensor_view<float, dyn, 1> const y{memory.data(), 2, tl::cuda};
  tl::param<"w"> w;
  CHECK(error_of([&] { (void)tl::value_and_grad(tl::mse_loss(x * w, y), w); }) ==
        "tapeless::value_and_grad: the loss reads data on cpu and on cuda; move them to one device (.to(device)) "
        "first");
}

TEST_CASE("placement: data on cuda in a host translation unit is an error, not a read of device memory") {
  std::vector<float> memory(4);
  tl::tensor_view<float, dyn, 1> const x{memory.data(), 2, tl::cuda}, y{memory.data() + 2, 2, tl::cuda};
  tl::param<"w"> w;
  CHECK(error_of([&] { (void)tl::value_and_grad(tl::mse_loss(x * w, y), w); }) ==
        "tapeless::value_and_grad: the data are on cuda, and this file was not compiled by nvcc; compile the files "
        "that evaluate losses over device data with nvcc (TAPELESS_ENABLE_CUDA)");
  CHECK(error_of([&] { (void)tl::tensor<float, dyn, 1>(x - tl::mean(x)); }) ==
        "tapeless::tensor: this file was not compiled by nvcc, so it cannot reach data on cuda; compile the files "
        "that move data to and from the GPU with nvcc (TAPELESS_ENABLE_CUDA)");
  CHECK(error_of([&] { (void)x(0, 0); }) ==
        "tapeless::tensor: element access reads the values on the host, and they are on cuda; copy them first "
        "(.to(tl::cpu))");
  CHECK(error_of([&] { (void)x.mean(0); })
            .starts_with("tapeless::tensor::mean: this file was not compiled by nvcc, so it cannot reach data on cuda"));
  CHECK(error_of([&] { (void)x.std(0); }).starts_with("tapeless::tensor::std: this file was not compiled by nvcc"));
}

TEST_CASE("placement: cross_entropy's class indices are rows on a device too") {
  tl::tensor<float, dyn, 3> logits{{1, 2, 3}, {3, 2, 1}};
  std::vector<int> memory{0, 2};
  tl::tensor_view<int, dyn, 1> const classes_on_cuda{memory.data(), 2, tl::cuda};
  // Building the loss checks the indices, which would mean reading device memory here.
  CHECK(error_of([&] { (void)tl::cross_entropy(logits, classes_on_cuda); })
            .starts_with("tapeless::cross_entropy: this file was not compiled by nvcc, so it cannot reach data on "
                         "cuda"));
  CHECK(error_of([&] { (void)tl::nn::cross_entropy_loss{}(logits, classes_on_cuda); })
            .starts_with("tapeless::cross_entropy: this file was not compiled by nvcc"));
  // Logits on cuda against indices on the host: two devices, found before any pass.
  tl::tensor<int, dyn, 1> classes{{0}, {2}};
  std::vector<float> device_logits(6);
  tl::tensor_view<float, dyn, 3> const logits_on_cuda{device_logits.data(), 2, tl::cuda};
  tl::param<"w"> w;
  CHECK(error_of([&] { (void)tl::value_and_grad(tl::cross_entropy(logits_on_cuda * w, classes), w); }) ==
        "tapeless::value_and_grad: the loss reads data on cpu and on cuda; move them to one device (.to(device)) "
        "first");
}

TEST_CASE("placement: which rows a pass reads, and which the host reads after it") {
  namespace d = tl::detail;
  tl::tensor<float, dyn, 3> x{{1, 2, 3}, {3, 2, 1}};
  tl::tensor<float, 2, 3> fixed{{1, 2, 3}, {3, 2, 1}};
  tl::tensor<int, dyn, 1> classes{{0}, {2}};
  tl::param<"w", 3, 1> w;
  auto outside = [](auto const& loss) {
    return d::reads_rows_outside_pass<std::remove_cvref_t<decltype(d::as_expr(loss))>>();
  };
  CHECK_FALSE(outside(tl::mse_loss(x.matmul(w), x.matmul(w) * 2)));
  CHECK_FALSE(outside(tl::cross_entropy(x, classes)));
  CHECK(outside(tl::mean(tl::square(fixed.matmul(w)))));  // static rows: reduced on the host
  CHECK(outside(tl::mean(x.matmul(w)) + tl::sum(fixed.matmul(w))));
  // Class indices are rows on a device: counted where the data are, and part of the cache key.
  std::vector<int> memory{0, 2};
  tl::expr::class_one_hot<int, dyn, 3> const indices_on_cuda{{}, memory.data(), 2, tl::cuda};
  CHECK(d::data_device(indices_on_cuda) == tl::cuda);
  CHECK(error_of([&] { (void)d::data_device(indices_on_cuda, x.expr()); })
            .starts_with("tapeless::value_and_grad: the loss reads data on cpu and on cuda"));
  static_assert(std::has_unique_object_representations_v<tl::expr::class_one_hot<int, dyn, 3>>);
}

TEST_CASE("placement: mini-batches and splits of device data are refused") {
  std::vector<float> memory(8);
  tl::tensor_view<float, dyn, 1> const x{memory.data(), 4, tl::cuda};
  tl::tensor<float, dyn, 1> y{{1}, {2}, {3}, {4}};
  CHECK(error_of([&] { (void)tl::batches(x, y, {.batch_size = 2}); }) ==
        "tapeless::batches: X and y must be on the host (cpu), they are on cuda and cpu; copy them first "
        "(.to(tl::cpu))");
  CHECK(error_of([&] { (void)tl::train_test_split(x, y, {.test_size = 0.5}); }).find("they are on cuda and cpu") !=
        std::string::npos);
}

TEST_CASE("placement: x.to(device) on the host copies, or moves an rvalue, and keeps the values") {
  tl::tensor<float, dyn, 2> x{{1, 2}, {3, 4}, {5, 6}};
  auto const device = tl::cuda_available() ? tl::cuda : tl::cpu;  // the lecture's line
  CHECK(device == tl::cpu);                                       // a host unit has no CUDA
  auto const copy = x.to(device);
  CHECK(copy.device() == tl::cpu);
  CHECK(copy.data() != x.data());
  CHECK(std::vector<float>(copy.data(), copy.data() + 6) == std::vector<float>{1, 2, 3, 4, 5, 6});
  float const* const values = x.data();
  auto const moved = std::move(x).to(tl::cpu);
  CHECK(moved.data() == values);  // no copy: the tensor is already there

  std::vector<float> memory{7, 8, 9, 10};
  tl::tensor_view<float, dyn, 2> const view{memory.data(), 2};
  tl::tensor<float, dyn, 2> const owned = view.to(tl::cpu);
  CHECK(owned.data() != memory.data());
  CHECK(owned(1, 0) == 9);
}

TEST_CASE("placement: a host unit cannot place data on cuda or read it back from a view, and says so") {
  tl::tensor<float, dyn, 1> x{{1}, {2}};
  std::string const expected =
      "tapeless::tensor::to: this file was not compiled by nvcc, so it cannot reach data on cuda; compile the files "
      "that move data to and from the GPU with nvcc (TAPELESS_ENABLE_CUDA)";
  CHECK(error_of([&] { (void)x.to(tl::cuda); }) == expected);
  CHECK(error_of([&] { (void)std::move(x).to(tl::cuda); }) == expected);
  CHECK(x.device() == tl::cpu);  // a failed move leaves the tensor as it was
  CHECK(x(1, 0) == 2);

  std::vector<float> memory(2);
  tl::tensor_view<float, dyn, 1> const on_gpu{memory.data(), 2, tl::cuda};
  CHECK(error_of([&] { (void)on_gpu.to(tl::cpu); })
            .starts_with("tapeless::tensor_view::to: this file was not compiled by nvcc"));
  std::ostringstream out;
  CHECK(error_of([&] { out << on_gpu; }) ==
        "tapeless::tensor_view: printing reads the values on the host, and they are on cuda; copy them first "
        "(.to(tl::cpu))");
  CHECK(out.str().empty());  // nothing was read from device memory
}

TEST_CASE("placement: a moved-from tensor is empty, not a row count over no values; copies are all or nothing") {
  tl::tensor<float, dyn, 2> x{{1, 2}, {3, 4}};
  auto const moved = std::move(x).to(tl::cpu);
  CHECK(moved.rows() == 2);
  CHECK(x.rows() == 0);  // NOLINT: the moved-from state is specified
  tl::tensor<float, 2, 2> fixed{{1, 2}, {3, 4}};
  tl::tensor<float, 2, 2> const taken = std::move(fixed);
  CHECK(taken(1, 1) == 4);
  CHECK(fixed.rows() == 2);  // NOLINT: a static row count stays, with zeros behind it
  CHECK(fixed(1, 1) == 0);
  tl::tensor<float, dyn, 2> assigned{{9, 9}};
  assigned = moved;
  CHECK(assigned.rows() == 2);
  CHECK(assigned(1, 0) == 3);
}

TEST_CASE("placement: integer tensors keep their column statistics on the host; standardize refuses device data") {
  tl::tensor<int, dyn, 2> const counts{{1, 10}, {3, 30}};
  CHECK(counts.mean(0)(0, 1) == 20);
  CHECK(counts.std(0)(0, 0) == 1);  // sqrt(2) in int, as before
  std::vector<float> memory(4);
  tl::tensor_view<float, dyn, 2> const on_gpu{memory.data(), 2, tl::cuda};
  CHECK(error_of([&] { (void)tl::standardize(on_gpu); }) ==
        "tapeless::standardize: the data are on cuda; standardise on the host (.to(tl::cpu)), or use (x - x.mean(0)) / "
        "x.std(0), which runs there");
}
