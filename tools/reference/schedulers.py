#!/usr/bin/python3
"""PyTorch reference for tapeless::optim::lr_scheduler (include/tapeless/optim/lr_scheduler.hpp).

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/reference/schedulers.py tests/data

Writes
  sched_lr.csv       setting,epoch,lr0,lr1: get_last_lr() after construction (epoch 0) and after
                     every scheduler.step() of every setting, for an SGD optimizer with two
                     parameter groups (lr 0.1 and 0.02); ReduceLROnPlateau rows also hold
                     best,num_bad_epochs,cooldown_counter and the metric it was given
  sched_train.csv    setting,step,loss,w0,w1,b,lr: SGD on tests/data/sgd_data.csv with a scheduler
                     stepped after every optimizer step (loss before the step, parameters after,
                     lr the one the step used)
"""
import math
import sys
import warnings

import torch
from torch.optim import lr_scheduler as S

warnings.simplefilter("ignore")  # "lr_scheduler.step() before optimizer.step()": not the case here
out = sys.argv[1] if len(sys.argv) > 1 else "."
epochs = 40


def plateau_metrics():
    """A metric with plateaus, small improvements below the threshold, a rise and a NaN."""
    m = []
    for i in range(epochs):
        if i < 6:
            m.append(1.0 - 0.1 * i)      # improving
        elif i < 14:
            m.append(0.5)                # plateau
        elif i < 18:
            m.append(0.5 - 1e-6 * i)     # "improvements" below a relative 1e-4
        elif i == 18:
            m.append(float("nan"))       # NaN is never better
        elif i < 26:
            m.append(0.3 + 0.01 * (i % 3))
        else:
            m.append(0.3 - 0.001 * (i - 25))
    return m


settings = {
    "step_lr": lambda o: S.StepLR(o, step_size=3, gamma=0.5),
    "step_lr_default_gamma": lambda o: S.StepLR(o, step_size=4),
    "multi_step_lr": lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5),
    "multi_step_lr_unsorted": lambda o: S.MultiStepLR(o, milestones=[30, 3, 7]),
    "exponential_lr": lambda o: S.ExponentialLR(o, gamma=0.9),
    "exponential_lr_growth": lambda o: S.ExponentialLR(o, gamma=1.05),
    "cosine_annealing_lr": lambda o: S.CosineAnnealingLR(o, T_max=10),
    "cosine_annealing_lr_eta_min": lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "cosine_annealing_lr_one": lambda o: S.CosineAnnealingLR(o, T_max=1, eta_min=0.01),
    "chained_step_exponential": lambda o: [S.StepLR(o, step_size=5, gamma=0.5), S.ExponentialLR(o, gamma=0.95)],
    # the recursive cosine carries MultiStepLR's cuts along; the closed form would erase them
    "chained_cosine_multi_step": lambda o: [S.CosineAnnealingLR(o, T_max=6, eta_min=0.001),
                                            S.MultiStepLR(o, milestones=[4, 11], gamma=0.5)],
    "plateau_default": lambda o: S.ReduceLROnPlateau(o),
    "plateau_min_rel": lambda o: S.ReduceLROnPlateau(o, patience=2, factor=0.5),
    "plateau_min_abs_cooldown": lambda o: S.ReduceLROnPlateau(o, patience=1, factor=0.3, threshold=0.05,
                                                              threshold_mode="abs", cooldown=2, min_lr=0.004),
    "plateau_max_rel": lambda o: S.ReduceLROnPlateau(o, mode="max", patience=0, factor=0.5, threshold=0.01),
    "plateau_max_abs_min_lrs": lambda o: S.ReduceLROnPlateau(o, mode="max", patience=1, factor=0.1,
                                                             threshold=0.001, threshold_mode="abs",
                                                             min_lr=[0.002, 0.0001], eps=1e-3),
}

with open(f"{out}/sched_lr.csv", "w") as f:
    f.write("setting,epoch,lr0,lr1,best,num_bad_epochs,cooldown_counter,metric\n")
    for name, make in settings.items():
        a = torch.zeros(1, requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.02}], lr=0.1)
        made = make(opt)
        scheds = made if isinstance(made, list) else [made]
        plateau = isinstance(scheds[0], S.ReduceLROnPlateau)
        metrics = plateau_metrics()

        def record(epoch, metric):
            lrs = [g["lr"] for g in opt.param_groups]
            if not plateau:
                assert scheds[-1].get_last_lr() == lrs
                f.write(f"{name},{epoch},{lrs[0]!r},{lrs[1]!r},,,,\n")
            else:
                s = scheds[0]
                f.write(f"{name},{epoch},{lrs[0]!r},{lrs[1]!r},{float(s.best)!r},{s.num_bad_epochs},"
                        f"{s.cooldown_counter},{metric!r}\n")

        record(0, "")
        for epoch in range(1, epochs + 1):
            opt.step()
            for s in scheds:
                if plateau:
                    s.step(metrics[epoch - 1])
                else:
                    s.step()
            record(epoch, metrics[epoch - 1] if plateau else "")

# End to end: the sgd.py problem, a scheduler after every step.
rows = []
with open(f"{out}/sgd_data.csv") as f:
    next(f)
    for line in f:
        rows.append([float(v) for v in line.split(",")])
X = torch.tensor([[r[0], r[1]] for r in rows], dtype=torch.float32)
y = torch.tensor([[r[2]] for r in rows], dtype=torch.float32)

train = {
    "cosine_momentum": (dict(lr=0.1, momentum=0.9), lambda o: S.CosineAnnealingLR(o, T_max=8, eta_min=0.005)),
    "step_nesterov": (dict(lr=0.2, momentum=0.5, nesterov=True), lambda o: S.StepLR(o, step_size=5, gamma=0.5)),
    "plateau_on_loss": (dict(lr=0.3), lambda o: S.ReduceLROnPlateau(o, patience=1, factor=0.5, threshold=0.05)),
}
with open(f"{out}/sched_train.csv", "w") as f:
    f.write("setting,step,loss,w0,w1,b,lr\n")
    for name, (opts, make) in train.items():
        w = torch.tensor([[0.3], [-0.2]], requires_grad=True)
        b = torch.tensor([0.1], requires_grad=True)
        opt = torch.optim.SGD([w, b], **opts)
        sched = make(opt)
        for step in range(30):
            used = opt.param_groups[0]["lr"]
            loss = torch.mean((X.matmul(w) + b - y) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if isinstance(sched, S.ReduceLROnPlateau):
                sched.step(loss.item())
            else:
                sched.step()
            f.write(f"{name},{step},{loss.item()!r},{w[0, 0].item()!r},{w[1, 0].item()!r},{b[0].item()!r},{used!r}\n")
