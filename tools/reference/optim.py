#!/usr/bin/python3
"""PyTorch reference trajectories for every elementwise optimizer of tapeless::optim.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/reference/optim.py tests/data
(tools/reference/sgd.py writes the older SGD-only data, sgd_data.csv, which problem "line" reuses.)

Writes
  optim_data.csv       problem "matrix": rows of X (3 features) and Y (2 targets), in 3 mini-batches
  optim_settings.csv   every setting: algorithm, name, options, and the two groups' overrides
                       ("-" for none; both "-" without groups)
  optim_reference.csv  for every algorithm, setting and problem, every step: the loss before the
                       step and all parameter values after it.
  optim_averages.csv   ASGD's averaged parameters (torch's state[p]['ax']) after every step.

Problems (float32, 30 steps each):
  line    w (2x1) = [[0.3], [-0.2]], b (1) = [0.1]; loss = mean((X w + b - y)^2) on sgd_data.csv
  matrix  W (2x3), b (2), as nn.Linear(3, 2); loss = mean((X W^T + b - Y)^2) on mini-batch
          (step % 3). In batch k feature k is zero, so the gradient of W[:, k] is exactly zero
          on that step (SparseAdam leaves those elements alone, the others do not).
  line64  "line" in float64 (tensors and parameters), values with 17 digits.

A setting is "name": (options, groups). `options` are the optimizer's keyword arguments; with
`groups`, the parameters are split into two groups, [w] or [W] and [b], whose overrides are
groups[0] and groups[1] (torch's list of dicts, the options being the defaults), and after
step 15 group 1's learning rate is halved (opt.param_groups[1]['lr'] *= 0.5).
In the CSV an option is written key=value, a pair as a:b, separated by spaces.
"""
import math
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "."
STEPS = 30

S = {
    "sgd": {
        "nesterov": (dict(lr=0.1, momentum=0.9, nesterov=True), None),
        "everything": (dict(lr=0.05, momentum=0.5, dampening=0.1, weight_decay=0.01, maximize=True), None),
        "groups": (dict(lr=0.1), [dict(momentum=0.9), dict(lr=0.05, weight_decay=0.1)]),
    },
    "adam": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1), None),
        "amsgrad": (dict(lr=0.05, amsgrad=True), None),
        "maximize": (dict(lr=0.02, weight_decay=0.01, amsgrad=True, maximize=True), None),
        "groups": (dict(lr=0.05), [dict(amsgrad=True), dict(lr=0.01, betas=(0.8, 0.9))]),
    },
    "adamw": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.05, betas=(0.85, 0.95), eps=1e-6, weight_decay=0.1), None),
        "amsgrad": (dict(lr=0.05, amsgrad=True, maximize=True), None),
    },
    "adagrad": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.1, lr_decay=0.05, eps=1e-6, weight_decay=0.1, initial_accumulator_value=0.5), None),
        "maximize": (dict(lr=0.1, maximize=True), None),
    },
    "adadelta": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1), None),
        "maximize": (dict(lr=1.0, maximize=True), None),
    },
    "adamax": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.05, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.1), None),
        "maximize": (dict(lr=0.05, maximize=True), None),
    },
    "asgd": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.05, lambd=0.01, alpha=0.6, t0=5, weight_decay=0.1), None),
        "maximize": (dict(lr=0.02, t0=0, maximize=True), None),
        "groups": (dict(lr=0.05, t0=3), [dict(), dict(lr=0.1, lambd=0.05)]),
    },
    "rmsprop": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1), None),
        "momentum": (dict(lr=0.01, momentum=0.9, centered=True), None),
        "maximize": (dict(lr=0.005, centered=True, maximize=True), None),
        "groups": (dict(lr=0.01), [dict(centered=True), dict(momentum=0.5)]),
    },
    "rprop": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)), None),
        "maximize": (dict(lr=0.01, maximize=True), None),
    },
    "nadam": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1, momentum_decay=0.01), None),
        "groups": (dict(lr=0.05), [dict(), dict(lr=0.01, momentum_decay=0.02)]),
    },
    "radam": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1), None),
    },
    "sparse_adam": {
        "defaults": (dict(), None),
        "options": (dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6), None),
        "maximize": (dict(lr=0.05, maximize=True), None),
    },
}

TORCH = {
    "sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
    "adagrad": torch.optim.Adagrad, "adadelta": torch.optim.Adadelta, "adamax": torch.optim.Adamax,
    "asgd": torch.optim.ASGD, "rmsprop": torch.optim.RMSprop, "rprop": torch.optim.Rprop,
    "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam, "sparse_adam": torch.optim.SparseAdam,
}


def text(options):
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, tuple):
            return ":".join(repr(float(x)) for x in v)
        return repr(float(v))
    return " ".join(f"{k}={value(v)}" for k, v in options.items())


# Problem "line": the SGD reference data.
rows = 8
X1 = torch.tensor([[math.sin(i + 1.0), math.cos(1.7 * i)] for i in range(rows)], dtype=torch.float32)
y1 = torch.tensor([[0.5 * X1[i, 0].item() - 1.5 * X1[i, 1].item() + 0.25 + 0.1 * math.sin(3.0 * i)]
                   for i in range(rows)], dtype=torch.float32)

# Problem "matrix": 3 mini-batches of 4 rows; feature k is zero in batch k.
W_true = [[0.5, -1.0, 2.0], [-1.5, 0.25, 0.75]]
b_true = [0.3, -0.2]
X2, Y2, batch_of = [], [], []
for i in range(12):
    k = i // 4
    x = [0.0 if j == k else math.sin(1.3 * i + 0.7 * j + 0.2) for j in range(3)]
    y = [sum(W_true[o][j] * x[j] for j in range(3)) + b_true[o] + 0.05 * math.cos(2.1 * i + o) for o in range(2)]
    X2.append(x)
    Y2.append(y)
    batch_of.append(k)
X2 = torch.tensor(X2, dtype=torch.float32)
Y2 = torch.tensor(Y2, dtype=torch.float32)

with open(f"{out}/optim_data.csv", "w") as f:
    f.write("batch,x0,x1,x2,y0,y1\n")
    for i in range(12):
        f.write(f"{batch_of[i]}," + ",".join("%.9g" % v.item() for v in (*X2[i], *Y2[i])) + "\n")


def problem(name, dtype):
    if name == "line":
        w = torch.tensor([[0.3], [-0.2]], requires_grad=True, dtype=dtype)
        b = torch.tensor([0.1], requires_grad=True, dtype=dtype)
        X, y = X1.to(dtype), y1.to(dtype)
        return [w, b], lambda step: torch.mean((X.matmul(w) + b - y) ** 2)
    W = torch.tensor([[0.2, -0.1, 0.4], [0.3, 0.5, -0.6]], requires_grad=True, dtype=dtype)
    b = torch.tensor([0.05, -0.15], requires_grad=True, dtype=dtype)
    X, Y = X2.to(dtype), Y2.to(dtype)

    def loss(step):
        rows_ = slice(4 * (step % 3), 4 * (step % 3) + 4)
        return torch.mean((X[rows_].matmul(W.t()) + b - Y[rows_]) ** 2)
    return [W, b], loss


def trajectory(algorithm, options, groups, pname, dtype):
    """[(loss before the step, [parameter values after it])] for every step."""
    params, loss_of = problem(pname, dtype)
    if groups is None:
        opt = TORCH[algorithm](params, **options)
    else:
        opt = TORCH[algorithm]([dict(params=[params[0]], **groups[0]),
                                dict(params=[params[1]], **groups[1])], **options)
    out = []
    for step in range(STEPS):
        loss = loss_of(step)
        opt.zero_grad()
        loss.backward()
        if algorithm == "sparse_adam":
            for p in params:
                p.grad = p.grad.to_sparse()  # exact zeros are absent
        opt.step()
        if groups is not None and step == 15:
            opt.param_groups[1]["lr"] *= 0.5
        averages = [v for p in params for v in opt.state[p]["ax"].flatten().tolist()] if algorithm == "asgd" else []
        out.append((loss.item(), [v for p in params for v in p.detach().flatten().tolist()], averages))
    return out


def divergence(a, b):
    """Worst relative difference between two trajectories (absolute below 1e-7)."""
    worst = 0.0
    for (la, pa, _), (lb, pb, _) in zip(a, b):
        for x, y in zip([la] + pa, [lb] + pb):
            if abs(x - y) > 1e-7:
                worst = max(worst, abs(x - y) / abs(y))
    return worst


with open(f"{out}/optim_settings.csv", "w") as f:
    f.write("algorithm,setting,options,group0,group1\n")
    for algorithm, settings in S.items():
        for setting, (options, groups) in settings.items():
            g0, g1 = (text(groups[0]), text(groups[1])) if groups is not None else ("", "")
            f.write(f"{algorithm},{setting},{text(options) or '-'},{g0 or '-'},{g1 or '-'}\n")

averages = []  # ASGD's averaged parameters: (setting, problem, step, values)
with open(f"{out}/optim_reference.csv", "w") as f:
    f.write("algorithm,setting,problem,step,loss,p0,p1,p2,p3,p4,p5,p6,p7\n")
    for algorithm, settings in S.items():
        for setting, (options, groups) in settings.items():
            for pname in ("line", "matrix"):
                single = trajectory(algorithm, options, groups, pname, torch.float32)
                double = trajectory(algorithm, options, groups, pname, torch.float64)
                # A reference is only useful where the trajectory is well conditioned: torch in
                # float64 must stay near torch in float32 (1e-4; 2.3e-5 at worst today), else rounding
                # noise grows step after step (as it did for NAdam with lr=0.05, eps=1e-6 on "line":
                # 2e-5 at step 22, 15% at step 29) and no float32 implementation whose gradients
                # differ from torch's in the last bit could match it to 1e-5.
                drift = divergence(single, double)
                print(f"{algorithm:12} {setting:10} {pname:7} float32 vs float64: {drift:.1e}")
                assert drift < 1e-4, f"{algorithm}/{setting}/{pname} is ill-conditioned"
                runs = [(pname, single, "%.9g")]  # float32: 9 digits
                if pname == "line":
                    runs.append(("line64", double, "%.17g"))  # the same problem in float64
                for name, run, fmt in runs:
                    for step, (loss, values, ax) in enumerate(run):
                        f.write(f"{algorithm},{setting},{name},{step},{fmt % loss},"
                                + ",".join(fmt % v for v in values) + "\n")
                        if ax:
                            averages.append((setting, name, step, [fmt % v for v in ax]))

with open(f"{out}/optim_averages.csv", "w") as f:
    f.write("setting,problem,step,a0,a1,a2,a3,a4,a5,a6,a7\n")
    for setting, name, step, values in averages:
        f.write(f"{setting},{name},{step}," + ",".join(values) + "\n")
