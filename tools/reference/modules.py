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
import sys

import torch

from tapeless_random import linear as tapeless_linear

out = sys.argv[1] if len(sys.argv) > 1 else "."


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
