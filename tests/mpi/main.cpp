// doctest's main for the MPI tests: every rank runs every test case; the
// executable fails when any rank failed. A collective inside a test case must
// be reached by every rank, so the MPI tests check with CHECK (which goes on)
// rather than REQUIRE (which would leave the other ranks waiting).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <tapeless/mpi.hpp>

#include <mpi.h>

#include <cstdio>

int main(int argc, char** argv) {
  tapeless::mpi::environment env{argc, argv};
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  doctest::Context context(argc, argv);
  if (rank != 0) context.setOption("minimal", true);  // the other ranks print their failures only
  int const failed = context.run() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (any_failed && rank == 0) std::fprintf(stderr, "tests.mpi: a test failed on at least one rank\n");
  return any_failed;
}
