#!/usr/bin/env python3
"""PyTorch and numpy on the benchmark suite's workloads, for benchmarks/report.py.

What a Python user of gradient descent runs today, on the workloads of the C++ benchmarks
(benchmarks/runtime/): one training step of linear regression (lr-*) and logistic regression
(logistic-1e6x16) on float32 row-major data, and the lecture's Exercise 1 and Quiz 1 trained to
the end.

  pytorch  the lecture's autograd loop: tensors, requires_grad, torch.optim.SGD and, per step,
           zero_grad, hypothesis, cost, backward, step; threads:t is torch.set_num_threads(t).
  numpy    float32 arrays, the gradient written by hand as a numpy user would. numpy's own
           element-wise code is single-threaded; only its BLAS calls (X @ w, X.T @ r) may use
           threads. threads:t caps the BLAS at t threads (OPENBLAS/OMP/MKL/BLIS_NUM_THREADS, set
           before numpy is imported; threads:2 runs in a child process). The BLAS in use is
           recorded in the output's context: with Debian's default reference BLAS, numpy is
           single-threaded and threads:2 measures the same code as threads:1.

Before it is timed, every method is checked against a float64 reference (the suite's contract):
parameters at the check point, one loss and gradient, err = max(|L - Lref| / |Lref|,
max_k |g_k - gref_k| / max_k |gref_k|); the lecture problems compare the trained (w, b) with a
float64 training. A method with err > 1e-3 is reported as wrong and not timed. The data are
generated here with numpy (same distributions as the C++ data, another generator) and the
reference is computed from them; the err values are comparable across languages, the data are not
bit-identical.

Timing: each case runs `iterations` steps per repetition (enough for --min-time seconds, at least
one), R repetitions in random interleaved order over all cases; the JSON holds the median of the
per-step times, in Google Benchmark's JSON shape (name "<workload>/<method>/threads:<t>_median").

Usage: python_peers.py [--out FILE] [--repetitions R] [--filter REGEX] [--min-time S]
"""

import argparse
import json
import math
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
WRONG = 1e-3  # the contract's bound: err above it means the method is wrong


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="python_peers.json", help="JSON output file")
    parser.add_argument("--repetitions", type=int, default=5, help="repetitions per case (median reported)")
    parser.add_argument("--filter", default="", help="regex over '<workload>/<method>/threads:<t>'")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds of steps per repetition")
    parser.add_argument("--seed", type=int, default=20261126, help="seed of the generated data")
    # Internal: the numpy threads:<t> cases run in a child process whose BLAS is capped at t threads.
    parser.add_argument("--numpy-threads-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    return args


ARGS = parse_args(sys.argv[1:])
# BLAS libraries read their thread count when they are loaded: set it before numpy is imported.
for _variable in BLAS_THREAD_VARIABLES:
    os.environ[_variable] = str(ARGS.numpy_threads_child or 1)

try:
    import numpy as np
except ImportError:  # reported as "not installed" by the report, never silently dropped
    np = None
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None


# ---------------------------------------------------------------- workloads (the contract's ids)

class Workload:
    def __init__(self, name, n, d, kind):
        self.name, self.n, self.d, self.kind = name, n, d, kind  # kind: linear, logistic, lecture

    @property
    def lr(self):
        return 0.1 if self.kind == "logistic" else 0.01

    @property
    def bytes(self):
        return float(self.n * (self.d + 1) * 4)


WORKLOADS = [
    Workload("lr-1e7x3", 10**7, 3, "linear"),
    Workload("lr-1e6x16", 10**6, 16, "linear"),
    Workload("lr-2e5x128", 2 * 10**5, 128, "linear"),
    Workload("lr-1e4x3", 10**4, 3, "linear"),
    Workload("lr-1e5x3", 10**5, 3, "linear"),
    Workload("lr-1e6x3", 10**6, 3, "linear"),
    Workload("logistic-1e6x16", 10**6, 16, "logistic"),
    Workload("exercise1", 3, 1, "lecture"),
    Workload("quiz1", 5, 3, "lecture"),
]

# The lecture problems: data, steps (epochs 0..nb_epochs inclusive), lr.
LECTURE = {
    "exercise1": ([[0.0], [1.0], [1.0]], [[0.0], [1.0], [2.0]], 3001, 0.01),
    "quiz1": ([[73.0, 80.0, 75.0], [93.0, 88.0, 93.0], [89.0, 91.0, 90.0], [96.0, 98.0, 100.0], [73.0, 66.0, 70.0]],
              [[152.0], [185.0], [180.0], [196.0], [142.0]], 1001, 1e-5),
}


def make_data(workload, seed):
    """X (N×D) and y (N) float32, row-major: X uniform in [-1, 1]; y uniform (linear) or 0/1 (logistic)."""
    rng = np.random.default_rng([seed, workload.n, workload.d])
    X = rng.uniform(-1.0, 1.0, size=(workload.n, workload.d)).astype(np.float32)
    u = rng.uniform(-1.0, 1.0, size=workload.n)
    y = (u > 0).astype(np.float32) if workload.kind == "logistic" else u.astype(np.float32)
    return X, y


def check_point(d, seed):
    """The contract's rule (w_k = 0.5·uniform(-1, 1), b = 0.25), float32."""
    rng = np.random.default_rng([seed, 12345, d])
    return (0.5 * rng.uniform(-1.0, 1.0, size=d)).astype(np.float32), np.float32(0.25)


def reference(workload, X, y, w, b):
    """Loss and gradient (g_w..., g_b) in float64 from the float32 data."""
    Xd, yd = X.astype(np.float64), y.astype(np.float64)
    z = Xd @ w.astype(np.float64) + float(b)
    n = workload.n
    if workload.kind == "linear":
        r = z - yd
        loss = float(r @ r) / n
        g = np.append(Xd.T @ r * (2.0 / n), 2.0 * r.sum() / n)
    else:
        loss = float(np.mean(np.logaddexp(0.0, z) - yd * z))
        s = 1.0 / (1.0 + np.exp(-z)) - yd
        g = np.append(Xd.T @ s / n, s.sum() / n)
    return loss, g


def error(loss, grad, ref):
    ref_loss, ref_grad = ref
    grad = np.asarray(grad, dtype=np.float64)
    return max(abs(loss - ref_loss) / abs(ref_loss), float(np.max(np.abs(grad - ref_grad)) / np.max(np.abs(ref_grad))))


def lecture_reference(name):
    """The same training in float64: the trained (w..., b)."""
    x, y, steps, lr = LECTURE[name]
    X, Y = np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)[:, 0]
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        r = X @ w + b - Y
        w, b = w - lr * (2.0 / len(Y)) * (X.T @ r), b - lr * 2.0 * r.mean()
    return np.append(w, b)


def lecture_error(params, ref):
    params = np.asarray(params, dtype=np.float64)
    return float(np.max(np.abs(params - ref)) / np.max(np.abs(ref)))


# ---------------------------------------------------------------- numpy: the gradient by hand

class NumpyStep:
    """One step on float32 arrays, as a numpy user writes it; w (D,), b a float32 scalar."""

    def __init__(self, workload, X, y, w, b):
        self.workload, self.X, self.y = workload, X, y
        self.w, self.b = w.copy(), np.float32(b)
        self.lr = np.float32(workload.lr)

    def value_and_grad(self):
        X, y, n = self.X, self.y, self.workload.n
        if self.workload.kind == "logistic":
            z = X @ self.w + self.b
            loss = np.mean(np.logaddexp(np.float32(0), z) - y * z)
            s = 1 / (1 + np.exp(-z)) - y
            return loss, (X.T @ s) / np.float32(n), np.mean(s)
        r = X @ self.w + self.b - y
        loss = np.mean(r * r)
        return loss, (X.T @ r) * np.float32(2 / n), 2 * np.mean(r)

    def check(self, ref):
        loss, g_w, g_b = self.value_and_grad()
        assert g_w.dtype == np.float32 and loss.dtype == np.float32, "numpy peer left float32"
        return error(float(loss), np.append(g_w, g_b), ref)

    def __call__(self):
        _, g_w, g_b = self.value_and_grad()
        self.w -= self.lr * g_w
        self.b -= self.lr * g_b


def numpy_lecture(name):
    x, y, steps, lr = LECTURE[name]
    X, Y = np.array(x, dtype=np.float32), np.array(y, dtype=np.float32)[:, 0]
    lr, n = np.float32(lr), len(Y)

    def train():
        w, b = np.zeros(X.shape[1], dtype=np.float32), np.float32(0)
        for _ in range(steps):
            r = X @ w + b - Y
            w -= lr * ((X.T @ r) * np.float32(2 / n))
            b -= lr * (2 * np.mean(r))
        return np.append(w, b)

    return train


# ---------------------------------------------------------------- pytorch: the lecture's loop

class TorchStep:
    """The lecture's loop: W (D×1) and b (1) with requires_grad, optim.SGD, zero_grad/backward/step."""

    def __init__(self, workload, X, y, w, b):
        self.workload = workload
        self.x_train = torch.from_numpy(X)  # shares the numpy data, no copy
        self.y_train = torch.from_numpy(y).view(-1, 1)
        self.W = torch.tensor(w.reshape(-1, 1), requires_grad=True)
        self.b = torch.full((1,), float(b), dtype=torch.float32, requires_grad=True)
        self.optimizer = torch.optim.SGD([self.W, self.b], lr=workload.lr)

    def cost(self):
        hypothesis = self.x_train.matmul(self.W) + self.b
        if self.workload.kind == "logistic":
            return F.binary_cross_entropy_with_logits(hypothesis, self.y_train)
        return torch.mean((hypothesis - self.y_train) ** 2)

    def check(self, ref):
        self.optimizer.zero_grad()
        cost = self.cost()
        cost.backward()
        grad = np.append(self.W.grad.numpy()[:, 0], self.b.grad.numpy())
        return error(float(cost.item()), grad, ref)

    def __call__(self):
        cost = self.cost()
        self.optimizer.zero_grad()
        cost.backward()
        self.optimizer.step()


def torch_lecture(name):
    x, y, steps, lr = LECTURE[name]
    x_train, y_train = torch.FloatTensor(x), torch.FloatTensor(y)

    def train():
        W = torch.zeros((x_train.shape[1], 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([W, b], lr=lr)
        for _ in range(steps):
            hypothesis = x_train.matmul(W) + b
            cost = torch.mean((hypothesis - y_train) ** 2)
            optimizer.zero_grad()
            cost.backward()
            optimizer.step()
        return np.append(W.detach().numpy()[:, 0], b.detach().numpy())

    return train


# ---------------------------------------------------------------- cases, check, timing

class Case:
    def __init__(self, workload, method, threads):
        self.workload, self.method, self.threads = workload, method, threads
        self.name = f"{workload.name}/{method}/threads:{threads}"
        self.step, self.err, self.failure, self.iterations, self.times = None, None, None, 1, []

    def set_threads(self):
        if self.method == "pytorch":
            torch.set_num_threads(self.threads)

    def run_once(self):
        """Seconds per step of one repetition."""
        self.set_threads()
        start = time.perf_counter()
        for _ in range(self.iterations):
            self.step()
        return (time.perf_counter() - start) / self.iterations

    def entry(self, repetitions):
        base = {"name": f"{self.name}_median", "run_name": self.name, "family_index": 0,
                "threads": self.threads, "repetitions": repetitions}
        if self.failure is not None:
            return dict(base, error_occurred=True, error_message=self.failure)
        lecture = self.workload.kind == "lecture"
        times = sorted(self.times)
        median = times[len(times) // 2] if len(times) % 2 else 0.5 * (times[len(times) // 2 - 1] + times[len(times) // 2])
        entry = dict(base, run_type="aggregate", aggregate_name="median", iterations=self.iterations,
                     real_time=median * (1e6 if lecture else 1e3), time_unit="us" if lecture else "ms", err=self.err)
        if not lecture:
            entry["bytes"] = self.workload.bytes
        return entry


def build_cases(methods, threads_list, pattern):
    cases = []
    for workload in WORKLOADS:
        for method in methods:
            for threads in ([1] if workload.kind == "lecture" else threads_list):
                case = Case(workload, method, threads)
                if pattern.search(case.name):
                    cases.append(case)
    return cases


def prepare(cases, seed):
    """Builds each case at the check point and checks it against the float64 reference."""
    by_workload = {}
    for case in cases:
        by_workload.setdefault(case.workload.name, []).append(case)
    for workload in WORKLOADS:
        group = by_workload.get(workload.name, [])
        if not group:
            continue
        if workload.kind == "lecture":
            ref = lecture_reference(workload.name)
            for case in group:
                case.set_threads()
                case.step = (torch_lecture if case.method == "pytorch" else numpy_lecture)(workload.name)
                checked(case, lambda c=case: lecture_error(c.step(), ref))
            continue
        X, y = make_data(workload, seed)
        w, b = check_point(workload.d, seed)
        ref = reference(workload, X, y, w, b)
        for case in group:
            case.set_threads()
            case.step = (TorchStep if case.method == "pytorch" else NumpyStep)(workload, X, y, w, b)
            checked(case, lambda c=case: c.step.check(ref))


def checked(case, compute_err):
    try:
        case.err = float(compute_err())
    except Exception as exc:  # a peer that fails is reported, not dropped
        case.failure = f"failed: {type(exc).__name__}: {exc}"
        return
    if not case.err <= WRONG:  # also catches NaN
        case.failure = f"wrong: err={case.err:.3g}"


def measure(cases, repetitions, min_time, rng):
    live = [case for case in cases if case.failure is None]
    for case in live:  # warm-up step, and how many steps fill min_time
        once = case.run_once()
        case.iterations = max(1, min(10**6, math.ceil(min_time / max(once, 1e-9))))
    for _ in range(repetitions):
        rng.shuffle(live)  # random interleaving: drift of the machine spreads over every case alike
        for case in live:
            case.times.append(case.run_once())


def blas_libraries():
    """The BLAS/LAPACK shared libraries loaded into this process (numpy's and torch's)."""
    found = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if re.search(r"(blas|lapack|mkl|blis)[^/]*\.so", os.path.basename(path)):
                    found.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(found)


def context(args, not_installed):
    numpy_blas = blas_libraries()
    single = all("/blas/libblas" in p or "/lapack/liblapack" in p for p in numpy_blas) and numpy_blas
    threads_note = (
        "pytorch threads:t = torch.set_num_threads(t). numpy threads:t = BLAS capped at t threads "
        "(threads:2 in a child process); numpy's element-wise code is single-threaded. BLAS loaded: "
        + (", ".join(numpy_blas) or "unknown")
        + (" (the reference BLAS, single-threaded: numpy threads:2 runs the same code as threads:1)" if single else ""))
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host_name": socket.gethostname(),
        "executable": os.path.relpath(os.path.abspath(__file__)),
        "num_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__ if np is not None else None,
        "torch": torch.__version__ if torch is not None else None,
        "blas": numpy_blas,
        "threads_note": threads_note,
        "repetitions": args.repetitions,
        "min_time": args.min_time,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        "not_installed": not_installed,
        "wrong_above": WRONG,
    }


def run_numpy_child(args, threads):
    """numpy threads:<t>: a child process whose BLAS was capped at t threads before numpy loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "child.json")
        command = [sys.executable, os.path.abspath(__file__), "--out", out, "--repetitions", str(args.repetitions),
                   "--filter", args.filter, "--min-time", str(args.min_time), "--seed", str(args.seed),
                   "--numpy-threads-child", str(threads)]
        subprocess.run(command, check=True)
        with open(out) as f:
            return json.load(f)


def main(args):
    pattern = re.compile(args.filter)
    not_installed = [m for m, module in (("numpy", np), ("pytorch", torch)) if module is None]
    if np is None:  # data and references are numpy: without it nothing runs
        not_installed = ["numpy", "pytorch"]
    entries, child_context = [], None

    if args.numpy_threads_child:
        cases = build_cases(["numpy"], [args.numpy_threads_child], pattern)
    else:
        if np is not None and any(pattern.search(f"{w.name}/numpy/threads:2") for w in WORKLOADS if w.kind != "lecture"):
            child = run_numpy_child(args, 2)
            entries += child["benchmarks"]
            child_context = child["context"]
        methods = [m for m in ("pytorch", "numpy") if m not in not_installed]
        cases = build_cases(methods, [1, 2], pattern)
        cases = [c for c in cases if not (c.method == "numpy" and c.threads != 1)]

    if np is not None and cases:
        rng = random.Random(args.seed)
        prepare(cases, args.seed)
        measure(cases, args.repetitions, args.min_time, rng)
        entries += [case.entry(args.repetitions) for case in cases]
        for case in cases:
            shown = case.failure or f"{case.entry(args.repetitions)['real_time']:.4g} " \
                                    f"{'us' if case.workload.kind == 'lecture' else 'ms'}  err={case.err:.2g}"
            print(f"{case.name:40s} {shown}", file=sys.stderr)

    order = {w.name: i for i, w in enumerate(WORKLOADS)}
    entries.sort(key=lambda e: (order.get(e["run_name"].split("/")[0], 99), e["run_name"]))
    result = {"context": context(args, not_installed), "benchmarks": entries}
    if child_context is not None:
        result["context"]["numpy_threads_2_blas"] = child_context["blas"]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    if not args.numpy_threads_child:
        print(f"python_peers: {len(entries)} results in {args.out}"
              + (f"; not installed: {', '.join(not_installed)}" if not_installed else ""), file=sys.stderr)


if __name__ == "__main__":
    main(ARGS)
