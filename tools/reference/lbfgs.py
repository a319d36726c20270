#!/usr/bin/python3
"""PyTorch reference trajectories for tapeless::optim::lbfgs.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/reference/lbfgs.py tests/data
Writes
  lbfgs_data.csv      the problems' data (problem,row,x0,x1,x2,y), float64 values; the float32
                      runs use the same numbers rounded to float32
  lbfgs_settings.csv  the torch.optim.LBFGS keyword arguments of every setting (empty = torch's default)
  lbfgs_reference.csv for every problem, dtype and setting: step 0 holds the initial parameters and
                      their loss; step k >= 1 holds what step k's call returned (the loss at the start of
                      the step), the parameters after it, and LBFGS's counters state['n_iter'] and
                      state['func_evals'] after it. Then torch's own sensitivity at that step:
                      `drift` is the largest relative change of the loss or a parameter (relative to
                      max(|value|, 1e-3)) when every loss and gradient torch computes is perturbed by
                      one unit in the last place (8 seeded runs, random -1/0/+1 ulp per value), and
                      the range of the counters over those runs and torch's own (`n_iter_min`,
                      `n_iter_max`, `func_evals_min`, `func_evals_max`).
The settings also name a StepLR scheduler (step_size, gamma) stepped after every opt.step.
Ill-conditioned problems with a short history amplify rounding chaotically (drift up to 1e-4 in
float64, 0.3 in float32); the test's bound is a multiple of the drift, never below a floor.
The problems (all with w 3x1 and a scalar b, z = X w + b):
  linreg    mean((z - y)^2), well conditioned
  illcond   the same with columns of X scaled by 1, 20 and 0.05 (Hessian condition number ~1e5)
  logistic  mean(log(1 + exp(z)) - y z), the logistic loss (binary cross-entropy of sigmoid(z)),
            labels from a noisy linear rule
"""
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "."
torch.manual_seed(20240603)

problems = {}
X = torch.randn(16, 3, dtype=torch.float64)
y = X @ torch.tensor([[1.5], [-2.0], [0.5]], dtype=torch.float64) + 0.3 + 0.1 * torch.randn(16, 1, dtype=torch.float64)
problems["linreg"] = (X, y)
X = torch.randn(16, 3, dtype=torch.float64) * torch.tensor([1.0, 20.0, 0.05], dtype=torch.float64)
y = X @ torch.tensor([[1.0], [0.05], [10.0]], dtype=torch.float64) - 0.7 + 0.1 * torch.randn(16, 1, dtype=torch.float64)
problems["illcond"] = (X, y)
X = torch.randn(40, 3, dtype=torch.float64)
z = X @ torch.tensor([[2.0], [-1.0], [0.5]], dtype=torch.float64) + 0.25 + 0.8 * torch.randn(40, 1, dtype=torch.float64)
problems["logistic"] = (X, (z > 0).to(torch.float64))

# torch.optim.LBFGS keyword arguments; names and values as torch spells them.
settings = {
    "default": dict(),
    "history2": dict(history_size=2, max_iter=4),
    "lr_half": dict(lr=0.5, max_iter=5),
    "max_eval": dict(max_iter=10, max_eval=4),
    "loose": dict(tolerance_grad=1e-3, tolerance_change=1e-4, max_iter=6),
    "tight": dict(tolerance_grad=1e-12, tolerance_change=1e-14, max_iter=8),
    "wolfe": dict(line_search_fn="strong_wolfe"),
    "wolfe_history2": dict(line_search_fn="strong_wolfe", history_size=2, max_iter=3),
    "wolfe_lr": dict(line_search_fn="strong_wolfe", lr=0.3, max_iter=4, max_eval=6),
    "wolfe_small_lr": dict(line_search_fn="strong_wolfe", lr=0.01, max_iter=4),  # extrapolates
    "wolfe_large_lr": dict(line_search_fn="strong_wolfe", lr=3, max_iter=4),  # zooms
    "wolfe_tight": dict(line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-14, max_iter=7),
    "one_iter": dict(max_iter=1),
    "wolfe_two_iter": dict(line_search_fn="strong_wolfe", max_iter=2),
    "steplr": dict(max_iter=3),
    "wolfe_steplr": dict(line_search_fn="strong_wolfe", max_iter=3),
}
# torch.optim.lr_scheduler.StepLR(opt, step_size, gamma) stepped after every opt.step(closure)
schedules = {"steplr": (2, 0.5), "wolfe_steplr": (1, 0.5)}
columns = ["lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size", "line_search_fn",
           "steplr_step_size", "steplr_gamma"]
steps = 6
perturbed_runs = 8
w_init = [[0.1], [-0.2], [0.3]]
b_init = [0.0]


def loss_fn(problem, X, y, w, b):
    z = X @ w + b
    if problem == "logistic":
        return torch.mean(torch.log(1 + torch.exp(z)) - y * z)
    return torch.mean((z - y) ** 2)


with open(f"{out}/lbfgs_data.csv", "w") as f:
    f.write("problem,row,x0,x1,x2,y\n")
    for name, (X, y) in problems.items():
        for i in range(X.shape[0]):
            f.write(f"{name},{i},{X[i, 0].item()!r},{X[i, 1].item()!r},{X[i, 2].item()!r},{y[i, 0].item()!r}\n")

with open(f"{out}/lbfgs_settings.csv", "w") as f:
    f.write("setting," + ",".join(columns) + "\n")
    for name, kwargs in settings.items():
        given = dict(kwargs)
        if name in schedules:
            given["steplr_step_size"], given["steplr_gamma"] = schedules[name]
        f.write(name + "," + ",".join(repr(given[c]).strip("'") if c in given else "" for c in columns) + "\n")

def trajectory(problem, X, y, dtype, setting, seed):
    """Losses returned, parameters and counters after each step; seed None: torch as is, else every
    loss and gradient element perturbed by -1, 0 or +1 ulp (relative eps)."""
    w = torch.tensor(w_init, dtype=dtype, requires_grad=True)
    b = torch.tensor(b_init, dtype=dtype, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], **settings[setting])
    scheduler = torch.optim.lr_scheduler.StepLR(opt, *schedules[setting]) if setting in schedules else None
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    eps = torch.finfo(dtype).eps

    def nudge(t):
        return t * (1 + eps * (torch.randint(0, 3, t.shape, generator=gen) - 1).to(dtype))

    def closure():
        opt.zero_grad()
        loss = loss_fn(problem, X, y, w, b)
        loss.backward()
        if gen is None:
            return loss
        with torch.no_grad():
            w.grad.copy_(nudge(w.grad))
            b.grad.copy_(nudge(b.grad))
            return nudge(loss.detach())

    def params():
        return [w[0, 0].item(), w[1, 0].item(), w[2, 0].item(), b[0].item()]

    with torch.no_grad():
        rows = [(loss_fn(problem, X, y, w, b).item(), params(), 0, 0)]
    for step in range(1, steps + 1):
        loss = opt.step(closure).item()
        if scheduler:
            scheduler.step()
        state = opt.state[w]
        rows.append((loss, params(), state["n_iter"], state["func_evals"]))
    return rows


with open(f"{out}/lbfgs_reference.csv", "w") as f:
    f.write("problem,dtype,setting,step,loss,w0,w1,w2,b,n_iter,func_evals,drift,"
            "n_iter_min,n_iter_max,func_evals_min,func_evals_max\n")
    for dtype, dname in [(torch.float64, "float64"), (torch.float32, "float32")]:
        for problem, (X64, y64) in problems.items():
            X, y = X64.to(dtype), y64.to(dtype)
            for setting in settings:
                base = trajectory(problem, X, y, dtype, setting, None)
                others = [trajectory(problem, X, y, dtype, setting, seed) for seed in range(perturbed_runs)]
                for step, (loss, p, n_iter, func_evals) in enumerate(base):
                    values = [loss] + p
                    assert all(v == v and abs(v) != float("inf") for v in values), (problem, setting, step)
                    drift = max(abs(a - v) / max(abs(v), 1e-3) for o in others
                                for a, v in zip([o[step][0]] + o[step][1], values))
                    n_iters = [n_iter] + [o[step][2] for o in others]
                    evals = [func_evals] + [o[step][3] for o in others]
                    ranges = f"{min(n_iters)},{max(n_iters)},{min(evals)},{max(evals)}"
                    f.write(f"{problem},{dname},{setting},{step}," + ",".join(repr(v) for v in values) +
                            f",{n_iter},{func_evals},{drift!r},{ranges}\n")
