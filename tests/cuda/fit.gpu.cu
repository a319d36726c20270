// tl::fit with the data on the GPU: SGD runs every step in one launch (one warp),
// Adam one pass per step; both against the loop written out on the host.
#define FIT_DEVICE tapeless::cuda
#include "../optim/fit.test.cpp"
