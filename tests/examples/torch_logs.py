#!/usr/bin/python3
"""PyTorch's logs of the examples beyond the lecture (examples/mlp.cpp, logistic_regression.cpp,
softmax_regression.cpp): the same data, initial values, batches and algorithms, trained by
torch 1.13 in float32 and printed in the examples' format.

Run with Debian's python3-torch:  /usr/bin/python3 tests/examples/torch_logs.py tests/data

Writes example.<name>.log; the CTest tests example.<name>.output compare the C++ programs' logs
with them (tests/examples/check_log.cpp). The data come from tapeless's generator
(tl::nn::splitmix64, re-implemented below), the train/test split and the mini-batch orders from
tapeless's shuffle (docs/data.md), the initial weights from tl::nn::linear's draw (docs/modules.md),
and the standardisation statistics are computed in double and rounded once, as tl::standardize
does; everything else is torch.
"""
import math
import os
import sys

import torch

F = torch.nn.functional
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "reference"))
from tapeless_random import SplitMix64, linear, shuffled_order, train_test_split  # noqa: E402


def mlp_log():
    gen = SplitMix64(2024)
    X, Y = [], []
    for _ in range(400):
        x = gen.uniform(-3, 3)
        X.append([x])
        Y.append([math.sin(x) + gen.uniform(-0.1, 0.1)])
    X = torch.tensor(X, dtype=torch.float32)
    Y = torch.tensor(Y, dtype=torch.float32)
    x_train_raw, x_test_raw, y_train, y_test = train_test_split(X, Y, 0.2, 7)
    values = [float(v) for v in x_train_raw[:, 0]]
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    mu = torch.tensor(mean, dtype=torch.float32)
    sigma = torch.tensor(std, dtype=torch.float32)
    x_train = (x_train_raw - mu) / sigma
    x_test = (x_test_raw - mu) / sigma

    model = torch.nn.Sequential(linear(1, 16, 1), torch.nn.Tanh(), linear(16, 1, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=200)
    log = ["mlp: 1-16-1 tanh, Adam(lr=0.01) with cosine annealing, %d training rows in batches of 32, %d test rows"
           % (len(x_train), len(x_test))]
    n = len(x_train)
    for epoch in range(201):
        if epoch > 0:
            order = shuffled_order(3, epoch - 1, n)   # the loader's epoch e-1
            for k in range(0, n, 32):
                rows = order[k:k + 32]
                loss = F.mse_loss(model(x_train[rows]), y_train[rows])
                opt.zero_grad()
                loss.backward()
                opt.step()
            scheduler.step()
        if epoch % 20 == 0:
            with torch.no_grad():
                log.append("Epoch %3d/200 train mse: %.5f test mse: %.5f"
                           % (epoch, F.mse_loss(model(x_train), y_train).item(),
                              F.mse_loss(model(x_test), y_test).item()))
    for x in [-2.5, -1.0, 0.0, 1.0, 2.5]:
        point = torch.tensor([[x]], dtype=torch.float32)
        with torch.no_grad():
            pred = model((point - mu) / sigma).item()
        log.append("f(%+.1f) = %+.4f  sin(%+.1f) = %+.4f" % (x, pred, x, math.sin(x)))
    return log


def logistic_regression_log():
    gen = SplitMix64(42)
    X, Y = [], []
    for i in range(200):
        label = float(i % 2)
        centre = 2 * label - 1
        a = centre + gen.normal()
        b = centre + gen.normal()
        X.append([a, b])
        Y.append([label])
    X = torch.tensor(X, dtype=torch.float32)
    Y = torch.tensor(Y, dtype=torch.float32)
    x_train, x_test, y_train, y_test = train_test_split(X, Y, 0.25, 1)

    model = linear(2, 1, 0)
    criterion = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
    log = ["logistic regression: Linear(2, 1), BCEWithLogitsLoss, SGD(lr=0.5, momentum=0.5), %d training rows, "
           "%d test rows" % (len(x_train), len(x_test))]
    for epoch in range(101):
        loss = criterion(model(x_train), y_train)
        if epoch % 10 == 0:
            w = model.weight.detach()[0]
            log.append("Epoch %3d/100 loss: %.5f w: (%+.4f, %+.4f) b: %+.4f"
                       % (epoch, loss.item(), w[0].item(), w[1].item(), model.bias.item()))
        if epoch < 100:
            opt.zero_grad()
            loss.backward()
            opt.step()

    def accuracy(x, y):
        return ((model(x) > 0).float() == y).float().mean().item()
    log.append("accuracy: train %.1f %%, test %.1f %%" % (100 * accuracy(x_train, y_train),
                                                       100 * accuracy(x_test, y_test)))
    return log


def softmax_regression_log():
    gen = SplitMix64(7)
    X, K = [], []
    for i in range(300):
        k = i % 3
        angle = 2 * math.pi * k / 3
        a = 1.5 * math.cos(angle) + gen.normal()
        b = 1.5 * math.sin(angle) + gen.normal()
        X.append([a, b])
        K.append(k)
    X = torch.tensor(X, dtype=torch.float32)
    K = torch.tensor(K)
    x_train, x_test, y_train, y_test = train_test_split(X, K, 0.25, 2)

    model = linear(2, 3, 0)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.1)

    def accuracy(x, y):
        return (model(x).argmax(1) == y).float().mean().item()
    log = ["softmax regression: Linear(2, 3), cross_entropy, Adagrad(lr=0.1), %d training rows, %d test rows"
           % (len(x_train), len(x_test))]
    for epoch in range(101):
        loss = F.cross_entropy(model(x_train), y_train)
        if epoch % 10 == 0:
            log.append("Epoch %3d/100 loss: %.5f accuracy: %.1f %%" % (epoch, loss.item(), 100 * accuracy(x_train, y_train)))
        if epoch < 100:
            opt.zero_grad()
            loss.backward()
            opt.step()
    log.append("accuracy: train %.1f %%, test %.1f %%" % (100 * accuracy(x_train, y_train),
                                                       100 * accuracy(x_test, y_test)))
    return log


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, make in [("mlp", mlp_log), ("logistic_regression", logistic_regression_log),
                       ("softmax_regression", softmax_regression_log)]:
        with open(os.path.join(out, "example.%s.log" % name), "w") as f:
            f.write("\n".join(make()) + "\n")
