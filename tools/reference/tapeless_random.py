"""tapeless's generator, shuffle and initialisation in Python, shared by the reference scripts
(tools/reference/*.py, tests/examples/torch_logs.py) so that PyTorch sees the same data, row
orders and initial weights as the C++ side.

- SplitMix64: tapeless::nn::splitmix64 (nn/linear.hpp), in 64-bit unsigned arithmetic.
- shuffled_order: tapeless's shuffle (docs/data.md): Fisher-Yates over
  splitmix64(splitmix64(seed)() + epoch), without modulo bias.
- train_test_split: tl::train_test_split's rows.
- linear: an nn.Linear holding tl::nn::linear<In, Out>{seed}'s initial values.
"""
import math

import torch

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def __call__(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self, lo, hi):
        """splitmix64::uniform: uniform in [lo, hi) from the top 53 bits."""
        return lo + (hi - lo) * float(self() >> 11) * 2.0 ** -53

    def normal(self):
        """The examples' Box-Muller draw."""
        u = 1.0 - self.uniform(0, 1)
        v = self.uniform(0, 1)
        return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)


def uniform_index(gen, bound):
    """Uniform in [0, bound) by rejection (no modulo bias)."""
    threshold = ((1 << 64) - bound) % bound
    while True:
        r = gen()
        if r >= threshold:
            return r % bound


def shuffled_order(seed, epoch, n):
    order = list(range(n))
    gen = SplitMix64((SplitMix64(seed)() + epoch) & MASK)
    for i in range(n - 1, 0, -1):
        j = uniform_index(gen, i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def train_test_split(X, y, test_size, seed):
    """tl::train_test_split: the first ceil(test_size*n) rows of epoch 0's order are the test part."""
    order = shuffled_order(seed, 0, X.shape[0])
    t = math.ceil(test_size * X.shape[0])
    return X[order[t:]], X[order[:t]], y[order[t:]], y[order[:t]]


def linear(n_in, n_out, seed, dtype=torch.float32):
    """nn.Linear holding tl::nn::linear<In, Out>{seed}'s values (weight row by row, then bias)."""
    gen = SplitMix64(seed)
    bound = 1.0 / math.sqrt(float(n_in))
    weight = [gen.uniform(-bound, bound) for _ in range(n_in * n_out)]
    bias = [gen.uniform(-bound, bound) for _ in range(n_out)]
    layer = torch.nn.Linear(n_in, n_out, dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight, dtype=dtype).reshape(n_out, n_in))
        layer.bias.copy_(torch.tensor(bias, dtype=dtype))
    return layer
