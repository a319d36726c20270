#pragma once
// tapeless: models and losses as types, gradients derived by the compiler,
// evaluation in one fused pass over the data.

#include "checkpoint.hpp"
#include "config.hpp"
#include "data.hpp"
#include "device.hpp"
#include "diff/grad.hpp"
#include "expr/arith.hpp"
#include "expr/elementwise.hpp"
#include "expr/leaf.hpp"
#include "expr/matmul.hpp"
#include "expr/reduce.hpp"
#include "fixed_name.hpp"
#include "loss.hpp"
#include "matrix.hpp"
#include "nn/linear.hpp"
#include "optim/optimizer.hpp"
#include "optim/sgd.hpp"
#include "param.hpp"
#include "shape.hpp"
#include "tensor.hpp"
#include "value_and_grad.hpp"
