// tl::fit with the data on the GPU: SGD and Adam run every step in one launch
// (one warp), RMSprop one pass per step; each against the loop written out on
// the host.
#define FIT_DEVICE tapeless::cuda
#include "../optim/fit.test.cpp"
