// The lecture's data-preprocessing tip: standardise each column with its mean and its
// (unbiased) standard deviation, as x.mean(dim=0) and x.std(dim=0). On the GPU when there
// is one and this file was compiled by nvcc; printed from the host.
#include <tapeless/tapeless.hpp>

#include <iostream>

namespace tl = tapeless;

int main() {
  auto const device = tl::cuda_available() ? tl::cuda : tl::cpu;
  auto const x_train = tl::tensor<float, tl::dyn, 3>{{73, 80, 75},  //
                                                     {93, 88, 93},
                                                     {89, 91, 90},
                                                     {96, 98, 100},
                                                     {73, 66, 70}}
                           .to(device);

  auto mu = x_train.mean(0);
  auto sigma = x_train.std(0);
  tl::tensor<float, tl::dyn, 3> norm_x_train{(x_train - mu) / sigma};
  std::cout << norm_x_train.to(tl::cpu) << '\n';
}
