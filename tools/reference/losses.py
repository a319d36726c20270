#!/usr/bin/python3
"""PyTorch reference values and gradients for tapeless's losses (include/tapeless/loss.hpp).

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/reference/losses.py tests/data
Writes
  loss_inputs.csv     every input tensor, float32 (int64 for classes): name,rows,cols,v0,v1,...
  loss_reference.csv  for each loss, reduction and option: the loss value(s) ("value") and the
                      gradient with respect to the input ("grad"), flattened row-major:
                      loss,reduction,option,kind,v0,v1,...
  loss_model.csv      losses through a linear layer x @ W.T + b: value, W.grad and b.grad:
                      loss,kind,v0,...
  loss_logistic.csv   logistic regression, BCE on sigmoid(x @ W.T + b), SGD lr 0.5, 20 steps:
                      step,loss,w0,w1,w2,b (loss before the step, parameters after it)
Inputs are chosen to reach every branch: differences exactly on and next to beta/delta,
probabilities exactly 0 and 1 (torch's log clamp at -100), logits of magnitude 0 to 100.
"""
import sys

import torch
import torch.nn.functional as F

out = sys.argv[1] if len(sys.argv) > 1 else "."
g = torch.Generator().manual_seed(20261103)


def uniform(rows, cols, lo, hi):
    return (torch.rand(rows, cols, generator=g) * (hi - lo) + lo).to(torch.float32)


def fmt(t):
    return ",".join(repr(v) for v in t.detach().reshape(-1).tolist())


inputs = {}

# Regression: 12 x 2. The first rows sit on and next to |d| = 1 and |d| = 0.5 (beta/delta
# values used below) and at d = 0; the rest are random in [-3, 3].
target = uniform(12, 2, -1, 1)
diff = uniform(12, 2, -3, 3)
special = [0.0, 1.0, -1.0, 0.5, -0.5, 0.999, -1.001, 0.4999, 2.0, -2.0001]
for k, d in enumerate(special):
    diff[k // 2, k % 2] = d
target[0:5, :] = torch.tensor([[0.5, -0.25], [0.125, 1.0], [-0.75, 0.0], [0.25, 0.5], [1.0, -1.0]])
inputs["reg_input"] = (target + diff).to(torch.float32)
inputs["reg_target"] = target

# Probabilities: 12 x 1 with exact 0 and 1 where the target is the other label (log clamped at
# -100 in the value; torch's gradient (p - y) / max(p (1 - p), 1e-12) stays finite), soft targets.
p = uniform(12, 1, 0.02, 0.98)
y = (torch.rand(12, 1, generator=g) > 0.5).to(torch.float32)
p[0, 0], y[0, 0] = 0.0, 1.0
p[1, 0], y[1, 0] = 1.0, 0.0
p[2, 0], y[2, 0] = 1e-45, 1.0  # a float32 subnormal: log p = -103.3, clamped to -100
y[3, 0] = 0.3
y[4, 0] = 0.75
inputs["bin_prob"] = p
inputs["bin_target"] = y

# Logits: 12 x 1 from 0 to +-100 (the stable formula), soft targets.
z = uniform(12, 1, -4, 4)
for k, v in enumerate([0.0, 30.0, -30.0, 100.0, -100.0, 17.5, -17.5]):
    z[k, 0] = v
inputs["bin_logit"] = z
inputs["bin_logit_target"] = torch.cat([y[6:], y[:6]])

# Cross entropy: 10 x 4 logits, some rows with large spreads, int64 classes.
ce = uniform(10, 4, -3, 3)
ce[0] = torch.tensor([100.0, -100.0, 0.0, 50.0])
ce[1] = torch.tensor([-60.0, -61.0, -62.0, -59.0])
ce[2] = torch.tensor([0.0, 0.0, 0.0, 0.0])
classes = torch.randint(0, 4, (10, 1), generator=g)
classes[0, 0] = 1  # the target logit is 200 below the largest: loss 200
inputs["ce_logits"] = ce
inputs["ce_classes"] = classes

# Linear models: x 16 x 3 for a 3 -> 1 and a 3 -> 4 layer.
x = uniform(16, 3, -2, 2)
inputs["model_x"] = x
inputs["model_bin_target"] = (torch.rand(16, 1, generator=g) > 0.5).to(torch.float32)
inputs["model_classes"] = torch.randint(0, 4, (16, 1), generator=g)
inputs["model_reg_target"] = uniform(16, 1, -2, 2)
inputs["model_w1"] = uniform(1, 3, -1, 1)
inputs["model_b1"] = uniform(1, 1, -1, 1)
inputs["model_w4"] = uniform(4, 3, -1, 1)
inputs["model_b4"] = uniform(1, 4, -1, 1)

with open(f"{out}/loss_inputs.csv", "w") as f:
    f.write("name,rows,cols,values\n")
    for name, t in inputs.items():
        f.write(f"{name},{t.shape[0]},{t.shape[1]},{fmt(t)}\n")

reductions = ["none", "mean", "sum"]
cases = [
    ("l1_loss", "-", lambda i, t, r: F.l1_loss(i, t, reduction=r), "reg_input", "reg_target"),
    ("smooth_l1_loss", "1.0", lambda i, t, r: F.smooth_l1_loss(i, t, reduction=r, beta=1.0), "reg_input", "reg_target"),
    ("smooth_l1_loss", "0.5", lambda i, t, r: F.smooth_l1_loss(i, t, reduction=r, beta=0.5), "reg_input", "reg_target"),
    ("smooth_l1_loss", "0.0", lambda i, t, r: F.smooth_l1_loss(i, t, reduction=r, beta=0.0), "reg_input", "reg_target"),
    ("huber_loss", "1.0", lambda i, t, r: F.huber_loss(i, t, reduction=r, delta=1.0), "reg_input", "reg_target"),
    ("huber_loss", "0.5", lambda i, t, r: F.huber_loss(i, t, reduction=r, delta=0.5), "reg_input", "reg_target"),
    ("huber_loss", "2.0", lambda i, t, r: F.huber_loss(i, t, reduction=r, delta=2.0), "reg_input", "reg_target"),
    ("binary_cross_entropy", "-", lambda i, t, r: F.binary_cross_entropy(i, t, reduction=r), "bin_prob", "bin_target"),
    ("binary_cross_entropy_with_logits", "-",
     lambda i, t, r: F.binary_cross_entropy_with_logits(i, t, reduction=r), "bin_logit", "bin_logit_target"),
    ("cross_entropy", "-", lambda i, t, r: F.cross_entropy(i, t.reshape(-1), reduction=r), "ce_logits", "ce_classes"),
]

with open(f"{out}/loss_reference.csv", "w") as f:
    f.write("loss,reduction,option,kind,values\n")
    for name, option, fn, iname, tname in cases:
        for r in reductions:
            i = inputs[iname].clone().requires_grad_(True)
            v = fn(i, inputs[tname], r)
            f.write(f"{name},{r},{option},value,{fmt(v)}\n")
            if r != "none":
                v.backward()
                f.write(f"{name},{r},{option},grad,{fmt(i.grad)}\n")

with open(f"{out}/loss_model.csv", "w") as f:
    f.write("loss,kind,values\n")
    models = [
        ("bce_with_logits", "model_w1", "model_b1",
         lambda o: F.binary_cross_entropy_with_logits(o, inputs["model_bin_target"])),
        ("bce", "model_w1", "model_b1", lambda o: F.binary_cross_entropy(torch.sigmoid(o), inputs["model_bin_target"])),
        ("huber", "model_w1", "model_b1", lambda o: F.huber_loss(o, inputs["model_reg_target"], delta=0.5)),
        ("cross_entropy", "model_w4", "model_b4",
         lambda o: F.cross_entropy(o, inputs["model_classes"].reshape(-1), reduction="sum")),
    ]
    for name, wname, bname, fn in models:
        W = inputs[wname].clone().requires_grad_(True)
        b = inputs[bname].reshape(-1).clone().requires_grad_(True)
        loss = fn(x @ W.T + b)
        loss.backward()
        f.write(f"{name},value,{fmt(loss)}\n{name},weight,{fmt(W.grad)}\n{name},bias,{fmt(b.grad)}\n")

with open(f"{out}/loss_logistic.csv", "w") as f:
    f.write("step,loss,w0,w1,w2,b\n")
    W = inputs["model_w1"].clone().requires_grad_(True)
    b = inputs["model_b1"].reshape(-1).clone().requires_grad_(True)
    opt = torch.optim.SGD([W, b], lr=0.5)
    for step in range(20):
        loss = F.binary_cross_entropy(torch.sigmoid(x @ W.T + b), inputs["model_bin_target"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        f.write(f"{step},{loss.item()!r},{fmt(W)},{fmt(b)}\n")
