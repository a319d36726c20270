#!/usr/bin/python3
"""PyTorch reference for tapeless's data utilities (include/tapeless/data.hpp).

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/reference/minibatch.py tests/data

The lecture's pipeline with mini-batches: split the rows into training and test
parts, standardise the features with the training part's mean and unbiased std
(`(x - x.mean(0)) / x.std(0)`), then train a linear model by mini-batch
gradient descent with torch.optim (SGD with momentum, Adam), mse_loss, over
several epochs, reshuffling every epoch.

The row orders are NOT torch's RandomSampler: this script re-implements
tapeless's own shuffle (SplitMix64 + Fisher-Yates, docs/data.md), so that the
batches hold the same rows in the same order on both sides. Everything else
(statistics, losses, updates) is torch in float32.

Writes
  minibatch_data.csv       the problem: x0,x1,x2,y (float32 values)
  minibatch_orders.csv     seed,epoch,order (indices joined by ' ') of every shuffle used
  minibatch_stats.csv      column,mean,std of the training features (torch, float32)
  minibatch_reference.csv  setting,epoch,batch,rows,loss,w0,w1,w2,b  (loss before the step,
                           parameters after it) and, after each epoch, a row with batch=-1
                           holding the test loss of the current parameters in `loss`
"""
import math
import sys

import torch

from tapeless_random import shuffled_order


def batches(n, batch_size, shuffle, seed, drop_last, epoch):
    order = shuffled_order(seed, epoch, n) if shuffle else list(range(n))
    count = n // batch_size if drop_last else (n + batch_size - 1) // batch_size
    return order, [order[k * batch_size:(k + 1) * batch_size] for k in range(count)]


out = sys.argv[1] if len(sys.argv) > 1 else "."
orders_used = {}

# The problem: 50 rows, three features on very different scales (so that
# standardising matters), a linear target with a little deterministic noise.
rows = 50
X = torch.tensor([[70.0 + 20.0 * math.sin(0.7 * i + 1.0), 0.05 * math.cos(1.3 * i), 1000.0 + 300.0 * math.sin(2.1 * i)]
                  for i in range(rows)], dtype=torch.float32)
y = torch.tensor([[1.5 * (X[i, 0].item() - 70.0) / 20.0 - 2.0 * X[i, 1].item() / 0.05
                   + 0.5 * (X[i, 2].item() - 1000.0) / 300.0 + 3.0 + 0.1 * math.sin(5.0 * i)]
                  for i in range(rows)], dtype=torch.float32)

# train_test_split(X, y, test_size=0.2, seed=7): the first ceil(0.2 n) rows of
# epoch 0's order are the test part, the others the training part.
split_seed, test_size = 7, 0.2
n_test = math.ceil(test_size * rows)
split_order = shuffled_order(split_seed, 0, rows)
orders_used[(split_seed, 0)] = split_order
test_idx, train_idx = split_order[:n_test], split_order[n_test:]
X_train, y_train, X_test, y_test = X[train_idx], y[train_idx], X[test_idx], y[test_idx]

mean, std = X_train.mean(0), X_train.std(0)
X_train = (X_train - mean) / std
X_test = (X_test - mean) / std

settings = {
    # name: (optimizer, options, batch_size, shuffle, seed, drop_last, epochs)
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9), 16, True, 3, False, 6),
    "sgd_drop_last": (torch.optim.SGD, dict(lr=0.1), 16, True, 11, True, 6),
    "sgd_sequential": (torch.optim.SGD, dict(lr=0.05, momentum=0.5, nesterov=True), 12, False, 0, False, 5),
    "adam": (torch.optim.Adam, dict(lr=0.05), 16, True, 3, False, 6),
}

with open(f"{out}/minibatch_data.csv", "w") as f:
    f.write("x0,x1,x2,y\n")
    for i in range(rows):
        f.write(",".join(repr(v) for v in [X[i, 0].item(), X[i, 1].item(), X[i, 2].item(), y[i, 0].item()]) + "\n")

with open(f"{out}/minibatch_stats.csv", "w") as f:
    f.write("column,mean,std\n")
    for j in range(3):
        f.write(f"{j},{mean[j].item()!r},{std[j].item()!r}\n")

with open(f"{out}/minibatch_reference.csv", "w") as f:
    f.write("setting,epoch,batch,rows,loss,w0,w1,w2,b\n")
    n = X_train.shape[0]
    for name, (make, opts, batch_size, shuffle, seed, drop_last, epochs) in settings.items():
        w = torch.tensor([[0.1], [-0.2], [0.3]], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        opt = make([w, b], **opts)

        def record(epoch, batch, count, loss):
            f.write(f"{name},{epoch},{batch},{count},{loss!r},{w[0, 0].item()!r},{w[1, 0].item()!r},"
                    f"{w[2, 0].item()!r},{b[0].item()!r}\n")

        for epoch in range(epochs):
            order, parts = batches(n, batch_size, shuffle, seed, drop_last, epoch)
            if shuffle:
                orders_used[(seed, epoch)] = order
            for k, idx in enumerate(parts):
                loss = torch.nn.functional.mse_loss(X_train[idx].matmul(w) + b, y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                record(epoch, k, len(idx), loss.item())
            with torch.no_grad():
                record(epoch, -1, n_test, torch.nn.functional.mse_loss(X_test.matmul(w) + b, y_test).item())

with open(f"{out}/minibatch_orders.csv", "w") as f:
    f.write("seed,epoch,rows,order\n")
    for (seed, epoch), order in sorted(orders_used.items()):
        f.write(f"{seed},{epoch},{len(order)},{' '.join(str(i) for i in order)}\n")
