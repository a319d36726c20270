#!/usr/bin/env python3
"""PyTorch and JAX on the GPU benchmark's workloads (benchmarks/gpu/README.md), as JSON lines.

The rows beside bench.gpu.step's (read floor, hand-fused CUDA kernel, tapeless), on the same data:
one linear-regression training step at N = 10^8 x D = 3 and N = 2*10^7 x D = 16 (loss
mean((Xw + b - y)^2), its gradient, an SGD update, lr 0.01), and the lecture's Exercise 1 and Quiz 1
trained to the end.

  pytorch        the lecture loop: requires_grad tensors, torch.optim.SGD, and per step zero_grad,
                 hypothesis = X.matmul(W) + b, cost = torch.mean((hypothesis - y) ** 2), backward,
                 step (the lecture problems also read cost.item() every 100 epochs, as the
                 lecture prints it)
  torch.compile  the same loop with the cost computed by a torch.compile'd function (forward and
                 backward compiled by AOTAutograd/Inductor; the optimizer step stays eager)
  jax.jit        a jitted step: jax.value_and_grad of the same loss, then p - lr * g; the lecture
                 problems call it from a Python loop, reading the loss every 100 epochs
  jax.fori_loop  lecture problems only: the whole training as one jitted lax.fori_loop

Data: every value is a hash of its element index (the same function as benchmarks/gpu/common.cuh),
computed on the device, so that X and y are bit-identical to the C++ rows' and the float64
references agree (the report compares them). Check point: w_k = 0.5 u_k, b = 0.25.

Before a method is timed it is checked against a float64 reference: at the check point,
err = max(|L - Lref| / |Lref|, max_k |g_k - gref_k| / max_k |gref_k|); lecture problems compare
the trained (w, b) with a float64 training. err > 1e-3: the row is "wrong" and not timed.

Timing: warm-up steps, then each of --steps steps timed on its own, the median reported: with CUDA
events for PyTorch (torch.cuda.Event; perf_counter on --device cpu), with the host clock around the
call and block_until_ready for JAX (JAX has no event API). Lecture problems: the whole training,
--reps times (fewer when one training takes seconds, at least 3), the median.

Extra device memory during a step: PyTorch, torch.cuda.max_memory_allocated() during one step
minus memory_allocated() before it (data and parameters excluded); JAX, the compiled step's
temporary buffers (memory_analysis().temp_size_in_bytes), XLA's own figure.

Each framework runs in a child process with a time limit: one that is not installed is reported as
"missing", one that fails or runs out of time as "failed", and the run goes on.

Usage: peers.py [--device cuda|cpu] [--quick] [--out FILE] [--frameworks torch,jax] [--steps S]
                [--warmup W] [--reps R] [--workloads a,b] [--timeout S] [--no-compile]
"""

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time

M32 = 0xFFFFFFFF
DEFAULT_SEED = 20261126
STREAM_X, STREAM_Y, STREAM_CHECK = 1, 2, 3
WRONG = 1e-3
STEP_LR = 0.01

# (name, n, d) of the big workloads; --quick: the sizes of bench.gpu.step --quick / --cpu-selftest.
BIG = [("lr-1e8x3", 100_000_000, 3), ("lr-2e7x16", 20_000_000, 16)]
BIG_QUICK = [("lr-1e8x3", 1_000_003, 3), ("lr-2e7x16", 200_011, 16)]
# The lecture problems (examples/lecture/exercise1.cpp, quiz1.cpp): x, y, steps (epochs 0..nb_epochs), lr.
LECTURE = {
    "exercise1": ([[0.0], [1.0], [1.0]], [[0.0], [1.0], [2.0]], 3001, 0.01),
    "quiz1": ([[73.0, 80.0, 75.0], [93.0, 88.0, 93.0], [89.0, 91.0, 90.0], [96.0, 98.0, 100.0], [73.0, 66.0, 70.0]],
              [[152.0], [185.0], [180.0], [196.0], [142.0]], 1001, 1e-5),
}
METHODS = {
    "torch": {"big": ["pytorch", "torch.compile"], "lecture": ["pytorch", "torch.compile"]},
    "jax": {"big": ["jax.jit"], "lecture": ["jax.jit", "jax.fori_loop"]},
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--quick", action="store_true", help="small big workloads (1e6 x 3, 2e5 x 16)")
    p.add_argument("--out", default="gpu_peers.jsonl", help="JSON lines output")
    p.add_argument("--frameworks", default="torch,jax")
    p.add_argument("--steps", type=int, default=30, help="timed steps per big workload (median)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--reps", type=int, default=5, help="timed trainings per lecture problem (median)")
    p.add_argument("--workloads", default="", help="comma list (default: all)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--timeout", type=float, default=240.0, help="seconds per framework's child process")
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    p.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.steps < 1 or args.reps < 1 or args.warmup < 0:
        p.error("--steps and --reps must be at least 1, --warmup at least 0")
    return args


# ---------------------------------------------------------------- shared: data, references, rows

def mix32(x):
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x1B873593) & M32
    x ^= x >> 16
    return x


def stream_key(seed, stream):
    return mix32((seed & M32) ^ mix32((stream * 0x9E3779B9 + 1) & M32))


def uniform_value(key, i):
    """Value i of a stream (Python float, exact in float32)."""
    return (mix32(((i & M32) + key) & M32) >> 8) * 2.0 ** -23 - 1.0


def check_point(d, seed):
    key = stream_key(seed, STREAM_CHECK)
    return [0.5 * uniform_value(key, k) for k in range(d)] + [0.25]


def workloads(args):
    picked = [w for w in args.workloads.split(",") if w]
    out = [(name, n, d, False) for name, n, d in (BIG_QUICK if args.quick else BIG)]
    out += [(name, len(LECTURE[name][1]), len(LECTURE[name][0][0]), True) for name in LECTURE]
    return [w for w in out if not picked or w[0] in picked]


def lecture_reference(name):
    """The same training in float64 (plain Python): the trained (w..., b)."""
    x, y, steps, lr = LECTURE[name]
    n, d = len(y), len(x[0])
    w, b = [0.0] * d, 0.0
    for _ in range(steps):
        e = [sum(x[r][k] * w[k] for k in range(d)) + b - y[r][0] for r in range(n)]
        gw = [2.0 * sum(e[r] * x[r][k] for r in range(n)) / n for k in range(d)]
        gb = 2.0 * sum(e) / n
        w = [w[k] - lr * gw[k] for k in range(d)]
        b = b - lr * gb
    return w + [b]


def error(loss, grad, ref_loss, ref_grad):
    scale = max(abs(g) for g in ref_grad)
    worst = max(abs(float(g) - r) for g, r in zip(grad, ref_grad))
    e = max(abs(float(loss) - ref_loss) / abs(ref_loss), worst / scale if scale > 0 else worst)
    return e if math.isfinite(e) else float("inf")


def lecture_error(params, ref):
    e = max(abs(float(p) - r) for p, r in zip(params, ref)) / max(abs(r) for r in ref)
    return e if math.isfinite(e) else float("inf")


def median(values):
    v = sorted(values)
    m = len(v) // 2
    return v[m] if len(v) % 2 else 0.5 * (v[m - 1] + v[m])


class Rows:
    """The JSON lines output (one object per row, flushed as it comes)."""

    def __init__(self, path, source):
        self.file = open(path, "a", encoding="utf-8")
        self.source = source

    def context(self, **fields):
        self.file.write(json.dumps({"context": dict(source=self.source, **fields)}) + "\n")
        self.file.flush()

    def emit(self, workload, method, status="ok", **fields):
        name, n, d, lecture = workload
        row = dict(source=self.source, workload=name, n=n, d=d, lecture=lecture, bytes=float(n * (d + 1) * 4),
                   method=method, status=status)
        row.update(fields)
        for key, value in list(row.items()):
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()
        shown = " ".join(f"{k}={row[k]:.4g}" if isinstance(row.get(k), float) else f"{k}={row[k]}"
                         for k in ("err", "ms_per_step", "training_ms", "extra_bytes") if row.get(k) is not None)
        print(f"  {name:10s} {method:14s} {status:7s} {shown} {row.get('note', '')}", flush=True)


def run_guarded(rows, workload, method, body):
    """body() returns the row's fields; an exception makes the row 'failed' and the run goes on."""
    try:
        fields = body()
        rows.emit(workload, method, **fields)
    except Exception as e:  # noqa: BLE001 -- every failure is reported in the row, never lost
        message = f"{type(e).__name__}: {e}".strip().replace("\n", " ")
        rows.emit(workload, method, status="failed", note=message[:400])


def time_trainings(args, timed):
    """Milliseconds of whole trainings, timed() each: --reps of them, or at least 3 and as many as
    fit in about 8 seconds when one takes seconds (PyTorch eager on Exercise 1 does)."""
    times, start = [], time.monotonic()
    while len(times) < args.reps and (len(times) < 3 or time.monotonic() - start < 8.0):
        times.append(timed())
    return times


# ---------------------------------------------------------------- PyTorch

def torch_child(args, rows):
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        for w in workloads(args):
            for m in METHODS["torch"]["lecture" if w[3] else "big"]:
                rows.emit(w, m, status="missing", note=f"torch not importable: {type(e).__name__}: {e}")
        return
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        for w in workloads(args):
            for m in METHODS["torch"]["lecture" if w[3] else "big"]:
                rows.emit(w, m, status="failed", note="torch sees no CUDA device")
        return
    dev = torch.device("cuda" if cuda else "cpu")
    rows.context(torch=torch.__version__, cuda=getattr(torch.version, "cuda", None),
                 device=torch.cuda.get_device_name(0) if cuda else "cpu",
                 tf32_matmul=bool(torch.backends.cuda.matmul.allow_tf32) if cuda else None)
    has_compile = hasattr(torch, "compile")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def timed_ms(fn):
        if cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return float(start.elapsed_time(end))
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3

    def mix32_t(x):  # int64 tensor of values in [0, 2^32): products stay below 2^63
        x = x ^ (x >> 16)
        x = (x * 0x7FEB352D) & M32
        x = x ^ (x >> 15)
        x = (x * 0x1B873593) & M32
        return x ^ (x >> 16)

    def hashed(count, key):
        out = torch.empty(count, dtype=torch.float32, device=dev)
        chunk = 1 << 24
        for start in range(0, count, chunk):
            end = min(start + chunk, count)
            i = torch.arange(start, end, dtype=torch.int64, device=dev)
            h = mix32_t(((i & M32) + key) & M32)
            out[start:end] = (h >> 8).to(torch.float32) * (2.0 ** -23) - 1.0
            del i, h
        return out

    def loss_of(X, y, W, b):
        return torch.mean((X.matmul(W) + b - y) ** 2)

    compiled_loss = None
    compile_error = None
    if has_compile and not args.no_compile:
        try:
            compiled_loss = torch.compile(loss_of, dynamic=False)
        except Exception as e:  # noqa: BLE001
            compile_error = f"{type(e).__name__}: {e}"

    def methods_for(kind):
        out = [("pytorch", loss_of)]
        if args.no_compile:
            out.append(("torch.compile", "skipped (--no-compile)"))
        elif not has_compile:
            out.append(("torch.compile", f"torch {torch.__version__} has no torch.compile"))
        elif compiled_loss is None:
            out.append(("torch.compile", f"torch.compile failed: {compile_error}"))
        else:
            out.append(("torch.compile", compiled_loss))
        return out

    for w in workloads(args):
        name, n, d, lecture = w
        if lecture:
            x, yv, steps, lr = LECTURE[name]
            X = torch.tensor(x, dtype=torch.float32, device=dev)
            Y = torch.tensor(yv, dtype=torch.float32, device=dev)
            ref = lecture_reference(name)
            for method, fn in methods_for("lecture"):
                if isinstance(fn, str):
                    rows.emit(w, method, status="missing", note=fn)
                    continue

                def body(fn=fn, X=X, Y=Y, steps=steps, lr=lr, ref=ref):
                    state = {}

                    def train():
                        W = torch.zeros((d, 1), device=dev, requires_grad=True)
                        b = torch.zeros(1, device=dev, requires_grad=True)
                        optimizer = torch.optim.SGD([W, b], lr=lr)
                        state["params"] = (W, b)
                        state["last"] = None

                        def run():
                            for epoch in range(steps):
                                cost = fn(X, Y, W, b)
                                optimizer.zero_grad()
                                cost.backward()
                                optimizer.step()
                                if epoch % 100 == 0:
                                    state["last"] = cost.item()
                        return run

                    timed_ms(train())  # warm-up (and torch.compile's compilation)
                    W, b = state["params"]
                    params = W.detach().flatten().tolist() + b.detach().tolist()
                    err = lecture_error(params, ref)
                    if not err <= WRONG:
                        return dict(status="wrong", err=err, steps=steps)
                    times = time_trainings(args, lambda: timed_ms(train()))
                    ms = median(times)
                    return dict(err=err, steps=steps, training_ms=ms, ms_per_step=ms / steps,
                                repetitions=len(times), loss=state["last"],
                                note="whole training; cost.item() every 100 epochs")
                run_guarded(rows, w, method, body)
            continue

        # A big workload: data on the device, the float64 reference there too.
        X = hashed(n * d, stream_key(args.seed, STREAM_X)).reshape(n, d)
        Y = hashed(n, stream_key(args.seed, STREAM_Y)).reshape(n, 1)
        check = check_point(d, args.seed)
        with torch.no_grad():
            Xd, Yd = X.double(), Y.double()
            Wd = torch.tensor(check[:d], dtype=torch.float64, device=dev).reshape(d, 1)
            e = Xd.matmul(Wd) + check[d] - Yd
            ref_loss = float((e * e).mean())
            ref_grad = (Xd.t().matmul(e) * (2.0 / n)).flatten().tolist() + [float(e.sum()) * 2.0 / n]
            del Xd, Yd, e
        sync()
        if cuda:
            torch.cuda.empty_cache()
        for method, fn in methods_for("big"):
            if isinstance(fn, str):
                rows.emit(w, method, status="missing", note=fn)
                continue

            def body(fn=fn):
                W = torch.tensor(check[:d], dtype=torch.float32, device=dev).reshape(d, 1).requires_grad_(True)
                b = torch.tensor(check[d:], dtype=torch.float32, device=dev).requires_grad_(True)
                optimizer = torch.optim.SGD([W, b], lr=STEP_LR)
                optimizer.zero_grad()
                cost = fn(X, Y, W, b)  # the check (and torch.compile's compilation)
                cost.backward()
                grad = W.grad.flatten().tolist() + b.grad.tolist()
                err = error(cost.item(), grad, ref_loss, ref_grad)
                if not err <= WRONG:
                    return dict(status="wrong", err=err, ref_loss=ref_loss, loss=cost.item())
                loss0 = cost.item()

                def step():
                    optimizer.zero_grad()
                    c = fn(X, Y, W, b)
                    c.backward()
                    optimizer.step()

                for _ in range(args.warmup):
                    step()
                sync()
                extra = None
                if cuda:
                    torch.cuda.reset_peak_memory_stats()
                    base = torch.cuda.memory_allocated()
                    step()
                    sync()
                    extra = float(torch.cuda.max_memory_allocated() - base)
                times = [timed_ms(step) for _ in range(args.steps)]
                return dict(err=err, ref_loss=ref_loss, loss=loss0, steps=1, ms_per_step=median(times),
                            repetitions=len(times), extra_bytes=extra,
                            extra_how="torch.cuda.max_memory_allocated during a step" if cuda else "",
                            note="")
            run_guarded(rows, w, method, body)
        del X, Y
        if cuda:
            torch.cuda.empty_cache()


# ---------------------------------------------------------------- JAX

def jax_child(args, rows):
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # memory as used, not 75% of the card
    if args.device == "cpu":
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import jax
        import jax.numpy as jnp
        import numpy as np
    except Exception as e:  # noqa: BLE001
        for w in workloads(args):
            for m in METHODS["jax"]["lecture" if w[3] else "big"]:
                rows.emit(w, m, status="missing", note=f"jax not importable: {type(e).__name__}: {e}")
        return
    try:
        device = jax.devices("gpu")[0] if args.device == "cuda" else jax.devices("cpu")[0]
    except Exception as e:  # noqa: BLE001
        for w in workloads(args):
            for m in METHODS["jax"]["lecture" if w[3] else "big"]:
                rows.emit(w, m, status="failed", note=f"jax has no {args.device} device: {type(e).__name__}: {e}")
        return
    rows.context(jax=jax.__version__, device=str(getattr(device, "device_kind", device)), platform=device.platform)

    def mix32_j(x):
        x = x ^ (x >> 16)
        x = x * jnp.uint32(0x7FEB352D)
        x = x ^ (x >> 15)
        x = x * jnp.uint32(0x1B873593)
        return x ^ (x >> 16)

    def hashed(count, key):
        def gen():
            i = jax.lax.iota(jnp.uint32, count)
            h = mix32_j(i + jnp.uint32(key))
            return (h >> 8).astype(jnp.float32) * jnp.float32(2.0 ** -23) - jnp.float32(1.0)
        with jax.default_device(device):
            return jax.jit(gen)()

    def loss_fn(params, X, y):
        W, b = params
        return jnp.mean((X @ W + b - y) ** 2)

    def make_step(lr):
        def step(params, X, y):
            loss, g = jax.value_and_grad(loss_fn)(params, X, y)
            return jax.tree_util.tree_map(lambda p, gp: p - lr * gp, params, g), loss
        return step

    def extra_of(jitted, *example):
        try:
            analysis = jitted.lower(*example).compile().memory_analysis()
            return float(analysis.temp_size_in_bytes), "XLA temp buffers of the compiled step"
        except Exception as e:  # noqa: BLE001
            return None, f"not available ({type(e).__name__})"

    def put(a):
        return jax.device_put(a, device)

    def matmul_precision(precision):
        return jax.default_matmul_precision(precision) if precision else contextlib.nullcontext()

    for w in workloads(args):
        name, n, d, lecture = w
        if lecture:
            x, yv, steps, lr = LECTURE[name]
            X, Y = put(np.array(x, dtype=np.float32)), put(np.array(yv, dtype=np.float32))
            ref = lecture_reference(name)
            step = jax.jit(make_step(lr))
            zeros = (put(np.zeros((d, 1), np.float32)), put(np.zeros((1,), np.float32)))

            def python_loop(step=step, X=X, Y=Y, steps=steps, zeros=zeros):
                params, last = zeros, None
                for epoch in range(steps):
                    params, loss = step(params, X, Y)
                    if epoch % 100 == 0:
                        last = float(loss)
                jax.block_until_ready(params)
                return params, last

            body_fn = make_step(lr)

            @jax.jit
            def fori(X, Y, zeros=zeros, steps=steps, body_fn=body_fn):
                return jax.lax.fori_loop(0, steps, lambda i, p: body_fn(p, X, Y)[0], zeros)

            def one_program(fori=fori, X=X, Y=Y):
                params = jax.block_until_ready(fori(X, Y))
                return params, None

            for method, train in (("jax.jit", python_loop), ("jax.fori_loop", one_program)):
                def body(train=train, steps=steps, ref=ref, method=method):
                    params, _ = train()  # warm-up: compilation
                    flat = np.asarray(params[0]).flatten().tolist() + np.asarray(params[1]).tolist()
                    err = lecture_error(flat, ref)
                    if not err <= WRONG:
                        return dict(status="wrong", err=err, steps=steps)
                    result = {}

                    def timed():
                        t0 = time.perf_counter()
                        _, result["last"] = train()
                        return (time.perf_counter() - t0) * 1e3

                    times = time_trainings(args, timed)
                    last = result.get("last")
                    ms = median(times)
                    note = ("whole training as one jitted lax.fori_loop" if method == "jax.fori_loop"
                            else "jitted step in a Python loop; loss read every 100 epochs")
                    return dict(err=err, steps=steps, training_ms=ms, ms_per_step=ms / steps,
                                repetitions=len(times), loss=last, note=note + "; host clock")
                run_guarded(rows, w, method, body)
            continue

        X = hashed(n * d, stream_key(args.seed, STREAM_X)).reshape(n, d)
        Y = hashed(n, stream_key(args.seed, STREAM_Y)).reshape(n, 1)
        check = check_point(d, args.seed)
        # The float64 reference on the host, from the device's values, in chunks of rows.
        s_e2, s_ex, s_e = 0.0, np.zeros(d), 0.0
        wd = np.array(check[:d], dtype=np.float64)
        chunk = 1 << 22
        for start in range(0, n, chunk):
            xs = np.asarray(X[start:start + chunk]).astype(np.float64)
            ys = np.asarray(Y[start:start + chunk]).astype(np.float64)[:, 0]
            e = xs @ wd + check[d] - ys
            s_e2 += float(e @ e)
            s_ex += xs.T @ e
            s_e += float(e.sum())
        ref_loss = s_e2 / n
        ref_grad = (2.0 * s_ex / n).tolist() + [2.0 * s_e / n]
        params0 = (put(np.array(check[:d], dtype=np.float32).reshape(d, 1)),
                   put(np.array(check[d:], dtype=np.float32)))

        def body(X=X, Y=Y, params0=params0, ref_loss=ref_loss, ref_grad=ref_grad):
            note = ""

            def check_with(precision):
                vg = jax.jit(jax.value_and_grad(loss_fn))
                with matmul_precision(precision):
                    loss, g = vg(params0, X, Y)
                    flat = np.asarray(g[0]).flatten().tolist() + np.asarray(g[1]).tolist()
                return float(loss), error(float(loss), flat, ref_loss, ref_grad)

            precision = None
            loss0, err = check_with(None)
            if not err <= WRONG:  # XLA may use TF32 for float32 products by default: say so, use float32
                note = f"default matmul precision: err {err:.2e}; timed with jax.default_matmul_precision('float32')"
                precision = "float32"
                loss0, err = check_with(precision)
                if not err <= WRONG:
                    return dict(status="wrong", err=err, ref_loss=ref_loss, loss=loss0, note=note)
            with matmul_precision(precision):
                step = jax.jit(make_step(STEP_LR))
                extra, how = extra_of(step, params0, X, Y)
                params = params0
                for _ in range(max(1, args.warmup)):
                    params, _ = step(params, X, Y)
                jax.block_until_ready(params)
                times = []
                for _ in range(args.steps):
                    t0 = time.perf_counter()
                    params, loss = step(params, X, Y)
                    jax.block_until_ready(params)
                    times.append((time.perf_counter() - t0) * 1e3)
            return dict(err=err, ref_loss=ref_loss, loss=loss0, steps=1, ms_per_step=median(times),
                        repetitions=len(times), extra_bytes=extra, extra_how=how,
                        note=(note + "; " if note else "") + "host clock around step + block_until_ready")
        run_guarded(rows, w, "jax.jit", body)
        del X, Y


# ---------------------------------------------------------------- the parent: one child per framework

def expected_rows(args, framework):
    return {(w[0], m) for w in workloads(args) for m in METHODS[framework]["lecture" if w[3] else "big"]}


def main(argv):
    args = parse_args(argv)
    if args.child:
        rows = Rows(args.out, args.child)
        {"torch": torch_child, "jax": jax_child}[args.child](args, rows)
        return 0
    frameworks = [f for f in args.frameworks.split(",") if f]
    for f in frameworks:
        if f not in METHODS:
            print(f"peers.py: unknown framework {f} (torch, jax)", file=sys.stderr)
            return 2
    open(args.out, "w", encoding="utf-8").close()
    rows = Rows(args.out, "peers")
    rows.context(python=sys.version.split()[0], executable=sys.executable, device_option=args.device,
                 quick=args.quick)
    for framework in frameworks:
        print(f"peers.py: {framework} (child process, limit {args.timeout:.0f} s)", flush=True)
        with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as part:
            part_path = part.name
        child_argv = [sys.executable, os.path.abspath(__file__), *argv, "--child", framework, "--out", part_path]
        reason = None
        t0 = time.monotonic()
        with tempfile.TemporaryFile("w+") as err:
            try:
                proc = subprocess.run(child_argv, stderr=err, timeout=args.timeout,
                                      env=dict(os.environ, PYTHONUNBUFFERED="1"))
                if proc.returncode != 0:
                    err.seek(0)
                    tail = " | ".join(err.read().strip().splitlines()[-3:])
                    reason = f"the {framework} process exited with status {proc.returncode}: {tail[-300:]}"
            except subprocess.TimeoutExpired:
                reason = f"the {framework} process ran past its {args.timeout:.0f} s limit and was stopped"
        print(f"peers.py: {framework} took {time.monotonic() - t0:.1f} s", flush=True)
        seen = set()
        with open(part_path, encoding="utf-8") as f:
            for line in f:
                rows.file.write(line)
                obj = json.loads(line)
                if "workload" in obj:
                    seen.add((obj["workload"], obj["method"]))
        rows.file.flush()
        os.unlink(part_path)
        missing = Rows(args.out, framework)
        for w in workloads(args):
            for m in METHODS[framework]["lecture" if w[3] else "big"]:
                if (w[0], m) not in seen:
                    missing.emit(w, m, status="failed", note=reason or f"the {framework} process reported no row")
        missing.file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
