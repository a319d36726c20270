#!/usr/bin/python3
"""PyTorch reference trajectories for tapeless::optim::sgd.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/reference/sgd.py tests/data
Writes sgd_data.csv (the problem, float32 values) and sgd_reference.csv (every
step of every setting: the loss before the step and the parameters after it).
The problem is a small linear regression, loss = mean((X w + b - y)^2).
"""
import math
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "."
rows = 8
X = torch.tensor([[math.sin(i + 1.0), math.cos(1.7 * i)] for i in range(rows)], dtype=torch.float32)
y = torch.tensor([[0.5 * X[i, 0].item() - 1.5 * X[i, 1].item() + 0.25 + 0.1 * math.sin(3.0 * i)] for i in range(rows)],
                 dtype=torch.float32)

settings = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.1, momentum=0.9),
    "dampening": dict(lr=0.1, momentum=0.9, dampening=0.5),
    "nesterov": dict(lr=0.1, momentum=0.9, nesterov=True),
    "weight_decay": dict(lr=0.05, weight_decay=0.1),
    "everything": dict(lr=0.05, momentum=0.5, dampening=0.1, weight_decay=0.01),
    "maximize": dict(lr=0.01, momentum=0.3, maximize=True),
}

with open(f"{out}/sgd_data.csv", "w") as f:
    f.write("x0,x1,y\n")
    for i in range(rows):
        f.write(f"{X[i, 0].item()!r},{X[i, 1].item()!r},{y[i, 0].item()!r}\n")

with open(f"{out}/sgd_reference.csv", "w") as f:
    f.write("setting,step,loss,w0,w1,b\n")
    for name, opts in settings.items():
        w = torch.tensor([[0.3], [-0.2]], requires_grad=True)
        b = torch.tensor([0.1], requires_grad=True)
        opt = torch.optim.SGD([w, b], **opts)
        for step in range(30):
            loss = torch.mean((X.matmul(w) + b - y) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            f.write(f"{name},{step},{loss.item()!r},{w[0, 0].item()!r},{w[1, 0].item()!r},{b[0].item()!r}\n")
