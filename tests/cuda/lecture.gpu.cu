// The lecture's examples on the GPU: their own code (examples/lecture/*.cpp), with the
// data moved to tl::cuda, against PyTorch's numbers, as tests/lecture checks them on the host.
#define LECTURE_DEVICE tapeless::cuda
#include "../lecture/lecture.test.cpp"
