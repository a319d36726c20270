#!/usr/bin/python3
"""PyTorch reference values for tapeless's modules (include/tapeless/nn/).

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/reference/modules.py tests/data
Writes
  modules_activations.csv  every activation module of torch.nn that tapeless has, at a few float32
                           points: the value and the derivative (from autograd);
  modules_mlp.csv          a 2-3-1 MLP (nn.Sequential(Linear(2, 3), Tanh or ReLU, Linear(3, 1))) trained
                           with SGD on XOR-like data, in float64: the initial parameters (tapeless's
                           seeded init, reproduced here bit for bit), then the loss before each step and
                           every parameter after it, in model.parameters() order.
"""
import math
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "."
M64 = (1 << 64) - 1


class SplitMix64:
    """tapeless::nn::splitmix64 (nn/linear.hpp), the generator of linear's initialisation."""

    def __init__(self, seed):
        self.state = seed & M64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def uniform(self, lo, hi):
        return lo + (hi - lo) * float(self.next() >> 11) * 2.0 ** -53


def tapeless_linear(n_in, n_out, seed, dtype):
    """nn.Linear(n_in, n_out) holding tapeless::nn::linear<n_in, n_out, name, T>{seed}'s initial values."""
    gen = SplitMix64(seed)
    bound = 1.0 / math.sqrt(float(n_in))
    w = [gen.uniform(-bound, bound) for _ in range(n_out * n_in)]
    b = [gen.uniform(-bound, bound) for _ in range(n_out)]
    layer = torch.nn.Linear(n_in, n_out, dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(w, dtype=dtype).reshape(n_out, n_in))
        layer.bias.copy_(torch.tensor(b, dtype=dtype))
    return layer


activations = {
    "identity": torch.nn.Identity(),
    "relu": torch.nn.ReLU(),
    "leaky_relu": torch.nn.LeakyReLU(),
    "leaky_relu_0.2": torch.nn.LeakyReLU(negative_slope=0.2),
    "elu": torch.nn.ELU(),
    "elu_0.5": torch.nn.ELU(alpha=0.5),
    "celu_2": torch.nn.CELU(alpha=2.0),
    "selu": torch.nn.SELU(),
    "tanh": torch.nn.Tanh(),
    "sigmoid": torch.nn.Sigmoid(),
    "silu": torch.nn.SiLU(),
    "softplus": torch.nn.Softplus(),
    "softplus_2": torch.nn.Softplus(beta=2.0),
    "mish": torch.nn.Mish(),
    "softsign": torch.nn.Softsign(),
    "tanhshrink": torch.nn.Tanhshrink(),
}
points = [-20.0, -3.0, -1.0, -0.3, 0.25, 1.0, 2.5, 20.0]

with open(f"{out}/modules_activations.csv", "w") as f:
    f.write("activation,x,y,dy\n")
    for name, act in activations.items():
        x = torch.tensor(points, dtype=torch.float32, requires_grad=True)
        y = act(x)
        y.sum().backward()
        for i in range(len(points)):
            f.write(f"{name},{x[i].item()!r},{y[i].item()!r},{x.grad[i].item()!r}\n")

# XOR-like data: the label is 1 where the two inputs have different signs.
X = torch.tensor([[-1, -1], [-1, 1], [1, -1], [1, 1], [-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]],
                 dtype=torch.float64)
y = torch.tensor([[0], [1], [1], [0], [0], [1], [1], [0]], dtype=torch.float64)

settings = {
    "tanh": (torch.nn.Tanh(), dict(lr=0.5), 40),
    "relu": (torch.nn.ReLU(), dict(lr=0.1, momentum=0.9), 40),
}

with open(f"{out}/modules_mlp.csv", "w") as f:
    f.write("setting,step,loss," + ",".join(f"p{k}" for k in range(13)) + "\n")
    for name, (act, opts, steps) in settings.items():
        model = torch.nn.Sequential(tapeless_linear(2, 3, 1, torch.float64), act,
                                    tapeless_linear(3, 1, 2, torch.float64))
        flat = lambda: [v for p in model.parameters() for v in p.detach().reshape(-1).tolist()]
        f.write(f"{name},-1,nan," + ",".join(repr(v) for v in flat()) + "\n")
        opt = torch.optim.SGD(model.parameters(), **opts)
        loss_fn = torch.nn.MSELoss()
        for step in range(steps):
            loss = loss_fn(model(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            f.write(f"{name},{step},{loss.item()!r}," + ",".join(repr(v) for v in flat()) + "\n")
