// doctest's main for the tests that need a GPU (label gpu): without one it says
// why and exits with 77, which CTest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <tapeless/device.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (!tapeless::cuda_available()) {
    std::printf("tests.cuda.gpu: skipped, %s\n", tapeless::cuda_status().c_str());
    return 77;
  }
  std::printf("tests.cuda.gpu: %s\n", tapeless::cuda_status().c_str());
  return doctest::Context(argc, argv).run();
}
