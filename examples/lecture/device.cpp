// The lecture's GPU slide: device = cuda if available else cpu.
#include <tapeless/tapeless.hpp>

#include <iostream>

namespace tl = tapeless;

int main() {
  auto device = tl::cuda_available() ? tl::cuda : tl::cpu;
  std::cout << device << '\n';
}
