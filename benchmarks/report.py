#!/usr/bin/env python3
"""Turns one run of the benchmark suite into a Markdown report and a plot.

Usage: benchmarks/report.py JSON_DIR --out PREFIX    (writes PREFIX.md and PREFIX.png)

JSON_DIR holds what scripts/bench wrote (any *.json is read; its shape says what it is):
  - Google Benchmark output of the C++ executables (--benchmark_out_format=json) and of
    benchmarks/peers/python_peers.py (the same shape): benchmark names "<workload>/<method>/threads:<t>",
    one file per executable and round (the median over the rounds is reported) or medians of R
    repetitions (Python peers), counters `err` (the check against the double reference) and `bytes`;
    a method that failed its check is an entry with "error_occurred" and "wrong: err=...";
  - compile.json from benchmarks/compile/measure (compile wall time, peak memory, compile-fail output);
  - meta.json from scripts/bench (date, host, CPU, compilers, flags, R, OMP_WAIT_POLICY, filter, and
    the peers that are not installed).
The report has, per workload, a table (method, threads, median time/step, effective GB/s, × floor,
× hand, × libtorch, err; wrong methods shown as wrong and left out of every ratio; methods of the
suite that did not run listed as "not run" or "not installed"); the FastAD metric (tapeless's
value_and_grad step ÷ its loss alone); the accuracy at lr-1e7x3; the compile-cost tables; the host
speed targets of the benchmark issue against what was measured; and the plot, time per step against
N at D = 3 for every method (1 thread; tapeless-omp also at 2 threads, dashed), log-log, with the
memory-bandwidth floor drawn as a line.
"""

import argparse
import glob
import json
import math
import os
import re
import socket
import sys

# ---------------------------------------------------------------- the suite (benchmarks/README.md)

# id -> (N, D, kind); kind: step (lr-*, logistic-*) or lecture (time of the whole training)
WORKLOADS = {
    "lr-1e7x3": (10**7, 3, "step"),
    "lr-1e6x16": (10**6, 16, "step"),
    "lr-2e5x128": (2 * 10**5, 128, "step"),
    "logistic-1e6x16": (10**6, 16, "step"),
    "exercise1": (3, 1, "lecture"),
    "quiz1": (5, 3, "lecture"),
    "lr-1e4x3": (10**4, 3, "step"),
    "lr-1e5x3": (10**5, 3, "step"),
    "lr-1e6x3": (10**6, 3, "step"),
}
MAIN_WORKLOADS = ["lr-1e7x3", "lr-1e6x16", "lr-2e5x128", "logistic-1e6x16", "exercise1", "quiz1"]
PLOT_WORKLOADS = ["lr-1e4x3", "lr-1e5x3", "lr-1e6x3", "lr-1e7x3"]  # time against N at D = 3
SYSTEMS = ["omp", "tbb", "cpp"]

METHOD_ORDER = ["tapeless-omp", "tapeless-tbb", "tapeless-cpp", "tapeless-loss-omp", "tapeless-loss-tbb",
                "tapeless-loss-cpp", "hand", "naive", "eigen", "libtorch", "pytorch", "numpy", "floor"]
DESCRIPTION = {
    "tapeless-omp": "tl::value_and_grad + tl::optim::sgd, OMP host system",
    "tapeless-tbb": "same, TBB host system",
    "tapeless-cpp": "same, CPP (sequential) host system",
    "tapeless-loss-omp": "the same expression's loss alone (FastAD metric's denominator)",
    "tapeless-loss-tbb": "loss alone, TBB",
    "tapeless-loss-cpp": "loss alone, CPP",
    "hand": "hand-written fused loop (one pass, D compile-time, double accumulators, OpenMP)",
    "naive": "multi-pass C++ with N-sized temporaries (OpenMP loops)",
    "eigen": "Eigen 3.4 (Map of the data, r = Xw + b - y, X^T r)",
    "libtorch": "LibTorch C++: the lecture's autograd loop, torch::optim::SGD",
    "pytorch": "PyTorch (Python): the lecture's autograd loop, torch.optim.SGD",
    "numpy": "numpy: float32 arrays, gradient by hand",
    "floor": "STREAM-style read of X and y: the memory-bandwidth floor",
}
# What a complete run has, per kind of workload: method -> thread counts.
EXPECTED = {
    "step": {"tapeless-omp": [1, 2], "tapeless-tbb": [1, 2], "tapeless-cpp": [1], "tapeless-loss-omp": [1, 2],
             "hand": [1, 2], "naive": [1, 2], "eigen": [1, 2], "libtorch": [1, 2], "pytorch": [1, 2],
             "numpy": [1, 2], "floor": [1, 2]},
    "lecture": {"tapeless-omp": [1], "tapeless-tbb": [1], "tapeless-cpp": [1], "hand": [1], "libtorch": [1],
                "pytorch": [1], "numpy": [1]},
}
# Method -> the package that provides it (for "not installed").
PACKAGE = {"eigen": "libeigen3-dev", "libtorch": "libtorch-dev", "pytorch": "python3-torch",
           "numpy": "python3-numpy", "tapeless-tbb": "libtbb-dev"}
# Plot colours: tapeless in blue/cyan/green (its loss alone lighter, dotted), peers in warm colours.
COLOUR = {"tapeless-omp": "#1f77b4", "tapeless-tbb": "#17becf", "tapeless-cpp": "#2ca02c",
          "tapeless-loss-omp": "#aec7e8", "tapeless-loss-tbb": "#9edae5", "tapeless-loss-cpp": "#98df8a",
          "hand": "#ff7f0e", "naive": "#8c564b", "eigen": "#bcbd22", "libtorch": "#d62728", "pytorch": "#e377c2",
          "numpy": "#9467bd"}
UNIT_TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
NAME = re.compile(r"^(?P<workload>[^/]+)/(?P<method>[^/]+)/threads:(?P<threads>\d+)")


class Result:
    """One (workload, method, threads): the median time per step in ms, or why it has none."""

    def __init__(self, workload, method, threads):
        self.workload, self.method, self.threads = workload, method, threads
        self.ms = self.err = self.bytes = None
        self.samples = []  # one time per round (C++ executables) or one median (Python peers)
        self.wrong = None  # the message of a method that was not timed (wrong, or failed)
        self.source = self.repetitions = None

    @property
    def ok(self):
        return self.ms is not None and self.wrong is None


# ---------------------------------------------------------------- reading

def load(directory):
    results, contexts, compile_data, meta = {}, {}, None, {}
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            print(f"report: skipping {path}: {exc}", file=sys.stderr)
            continue
        name = os.path.basename(path)
        if "compiles" in data or "compile_fail" in data:
            compile_data = data
        elif "suite" in data:
            meta = data
        elif "benchmarks" in data:
            contexts[name] = data.get("context", {})
            for entry in data["benchmarks"]:
                read_entry(results, entry, name)
        else:
            print(f"report: skipping {path}: not a file of the suite", file=sys.stderr)
    return results, contexts, compile_data, meta


def read_entry(results, entry, source):
    match = NAME.match(entry.get("run_name") or entry.get("name", ""))
    if not match:
        return
    key = (match["workload"], match["method"], int(match["threads"]))
    result = results.setdefault(key, Result(*key))
    result.source = source
    result.repetitions = entry.get("repetitions") or result.repetitions
    if entry.get("error_occurred") or entry.get("skipped"):
        # Google Benchmark writes one such entry per repetition (no aggregate): keep the first.
        result.wrong = entry.get("error_message") or "error"
        found = re.search(r"err=([-+0-9.eEinfa]+)", result.wrong)
        if found:
            try:
                result.err = float(found.group(1))
            except ValueError:
                pass
        return
    if entry.get("run_type") == "aggregate" and entry.get("aggregate_name") != "median":
        return
    # scripts/bench runs each C++ executable once per round (R rounds, one repetition each, so that
    # the VM's drift spreads over every executable alike): the result is the median over the rounds.
    result.samples.append(entry["real_time"] * UNIT_TO_MS[entry.get("time_unit", "ns")])
    result.ms = median(result.samples)
    result.err = entry.get("err")
    result.bytes = entry.get("bytes")


def natural_key(text):
    """Sorts "x.round10" after "x.round9"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# ---------------------------------------------------------------- formatting

def fmt_time(ms):
    if ms is None:
        return "—"
    for unit, scale in (("s", 1e3), ("ms", 1.0), ("µs", 1e-3), ("ns", 1e-6)):
        if ms >= scale or unit == "ns":
            value = ms / scale
            return f"{value:.3g} {unit}" if value < 999.5 else f"{value:.0f} {unit}"


def fmt_ratio(x):
    if x is None:
        return "—"
    return f"{x:.0f}×" if x >= 100 else f"{x:.2f}×" if x >= 0.1 else f"{x:.2g}×"


def fmt_err(e):
    if e is None:
        return "—"
    return "inf" if math.isinf(e) else f"{e:.1e}"


def ratio(a, b):
    return a.ms / b.ms if a is not None and b is not None and a.ok and b.ok else None


def escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def method_key(method):
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


# ---------------------------------------------------------------- sections

class Report:
    def __init__(self, results, contexts, compile_data, meta):
        self.results, self.contexts, self.compile, self.meta = results, contexts, compile_data, meta
        self.not_installed = dict(meta.get("not_installed", {}))
        for context in contexts.values():
            for method in context.get("not_installed", []) or []:
                self.not_installed.setdefault(method, PACKAGE.get(method, "not installed"))
        self.not_built = dict(meta.get("not_built", {}))
        self.filter = meta.get("filter") or ""

    def get(self, workload, method, threads):
        return self.results.get((workload, method, threads))

    def why_missing(self, workload, method, threads):
        if method in self.not_installed:
            return f"not installed ({self.not_installed[method]})"
        if method in self.not_built:
            return f"not run ({self.not_built[method]})"
        name = f"{workload}/{method}/threads:{threads}"
        if self.filter:
            try:
                if not re.search(self.filter, name):
                    return "not run (filtered out)"
            except re.error:
                pass
        return "not run"

    # -- header
    def header(self):
        m, contexts = self.meta, list(self.contexts.values())
        first = lambda key: next((c[key] for c in contexts if c.get(key)), None)  # noqa: E731
        date = m.get("date") or first("date") or "unknown"
        host = m.get("host") or first("host_name") or "unknown"
        cpu = m.get("cpu_model") or (cpu_model() if host == socket.gethostname() else None) or "unknown"
        nproc = m.get("nproc") or first("num_cpus") or "unknown"
        compilers = dict(m.get("compilers", {}))
        if self.compile:
            for compiler, version in self.compile.get("compilers", {}).items():
                compilers.setdefault(compiler, version)
        seen = sorted({r.repetitions for r in self.results.values() if r.repetitions})
        repetitions = m.get("repetitions") or ", ".join(map(str, seen)) or "unknown"
        lines = [f"# tapeless benchmarks: {date[:10]}, {host}", "",
                 f"- **Date**: {date}",
                 f"- **Host**: {host}; CPU: {cpu}; {nproc} CPUs",
                 "- **Compilers**: " + ("; ".join(f"{k}: {v}" for k, v in compilers.items()) or "unknown"),
                 f"- **Flags** (C++ benchmarks): `{m.get('cxx_flags', 'unknown')}`",
                 f"- **Repetitions** R = {repetitions} (C++: R rounds over all executables, one repetition each, "
                 f"random order within an executable; Python: R repetitions, random order; medians"
                 f"{'; `--quick`: small workloads only' if m.get('quick') else ''})",
                 f"- **OMP_WAIT_POLICY** = {m.get('omp_wait_policy') or first('omp_wait_policy') or 'unknown'}"]
        if self.filter:
            lines.append(f"- **Filter**: `{self.filter}`")
        if m.get("libtorch"):
            lines.append(f"- **LibTorch**: {m['libtorch']}")
        python = next((c for c in contexts if "threads_note" in c), None)
        if python:
            lines.append(f"- **Python peers**: Python {python.get('python')}, torch {python.get('torch')}, "
                         f"numpy {python.get('numpy')}. Threads: {python.get('threads_note')}")
        by_executable = {}  # executable -> 1-minute load average at each start (one per round)
        for name, c in sorted(self.contexts.items(), key=lambda item: natural_key(item[0])):
            if c.get("load_avg"):
                executable = re.sub(r"\.round\d+$", "", os.path.splitext(name)[0])
                by_executable.setdefault(executable, []).append(c["load_avg"][0])
        loads = [f"{name} {', '.join(f'{x:.2f}' for x in values)}" for name, values in by_executable.items()]
        if loads:
            lines.append("- **Load average** (1 minute) when each executable started, per round: " + "; ".join(loads))
        if m.get("failed"):
            lines.append("- **Failed to run** (their results are missing or partial): " + ", ".join(m["failed"]))
        if self.not_installed:
            lines.append("- **Not installed**: " + ", ".join(f"{k} ({v})" for k, v in sorted(self.not_installed.items())))
        lines += ["", "Times are medians per step (lecture problems: per whole training). `GB/s` counts the bytes "
                  "of X and y once per step. `× floor`, `× hand` and `× libtorch` divide a method's time by that "
                  "method's time at the same thread count (below 1 is faster). `err` is the check against the "
                  "double-precision reference made before timing; a method above 1e-3 is **wrong** and not "
                  "timed. On a shared VM only ratios within one run mean much."]
        return "\n".join(lines)

    # -- per workload
    def workload_table(self, workload):
        n, d, kind = WORKLOADS.get(workload, (None, None, "step"))
        present = {m for (w, m, _t) in self.results if w == workload}
        methods = sorted(present | set(EXPECTED[kind]), key=method_key)
        rows = []
        for method in methods:
            threads_list = sorted({t for (w, m, t) in self.results if w == workload and m == method}
                                  | set(EXPECTED[kind].get(method, [])))
            missing = [t for t in threads_list if self.get(workload, method, t) is None]
            for t in threads_list:
                r = self.get(workload, method, t)
                if r is None:
                    continue
                if not r.ok:
                    rows.append([method, str(t), f"**{r.wrong}**" if r.wrong.startswith("wrong")
                                 else f"**failed**: {r.wrong}", "—", "—", "—", "—", fmt_err(r.err)])
                    continue
                gbs = f"{r.bytes / (r.ms * 1e-3) / 1e9:.2f}" if r.bytes and kind == "step" else "—"
                rows.append([method, str(t), fmt_time(r.ms), gbs,
                             fmt_ratio(ratio(r, self.get(workload, "floor", t))) if kind == "step" else "—",
                             fmt_ratio(ratio(r, self.get(workload, "hand", t))),
                             fmt_ratio(ratio(r, self.get(workload, "libtorch", t))), fmt_err(r.err)])
            if missing:
                rows.append([method, ", ".join(map(str, missing)), self.why_missing(workload, method, missing[0]),
                             "", "", "", "", ""])
        what = (f"one training step, N = {n:,}, D = {d}" if kind == "step"
                else f"whole training ({'3001' if workload == 'exercise1' else '1001'} steps), {n} rows, D = {d}")
        return f"### `{workload}`: {what}\n\n" + table(
            ["method", "threads", "time" if kind == "lecture" else "time/step", "GB/s", "× floor", "× hand",
             "× libtorch", "err"], rows)

    def workloads_section(self):
        seen = {w for (w, _m, _t) in self.results}
        main = [w for w in MAIN_WORKLOADS if w in seen]
        extra = [w for w in PLOT_WORKLOADS if w in seen and w not in MAIN_WORKLOADS]
        unknown = sorted(seen - set(WORKLOADS))
        parts = ["## Results per workload"] + [self.workload_table(w) for w in main + unknown]
        if extra:
            parts += ["## The plot's smaller sizes (D = 3)"] + [self.workload_table(w) for w in extra]
        return "\n\n".join(parts)

    # -- FastAD metric
    def fastad_section(self):
        rows = []
        for workload in [w for w in WORKLOADS if WORKLOADS[w][2] == "step"]:
            for system in SYSTEMS:
                for t in (1, 2):
                    grad = self.get(workload, f"tapeless-{system}", t)
                    loss = self.get(workload, f"tapeless-loss-{system}", t)
                    if grad is None and loss is None:
                        continue
                    value = ratio(grad, loss)
                    rows.append([workload, system, str(t), fmt_time(grad.ms) if grad and grad.ok else "—",
                                 fmt_time(loss.ms) if loss and loss.ok else "—", fmt_ratio(value)])
        if not rows:
            return "## FastAD metric\n\nNo tapeless results in this run."
        return ("## FastAD metric: value_and_grad ÷ loss alone\n\n"
                "Time of a tapeless step (`tl::value_and_grad` and the SGD update) divided by the time of "
                "evaluating the same loss alone (`tl::value`). FastAD reports 2.05× on a regression "
                "likelihood, tape libraries 18–250×; one fused pass that is memory-bound should cost barely "
                "more than reading the data once (target ≤ 1.2× at the memory-bound sizes).\n\n"
                + table(["workload", "host system", "threads", "value_and_grad step", "loss alone", "ratio"], rows))

    # -- accuracy
    def accuracy_section(self, workload="lr-1e7x3"):
        methods = sorted({m for (w, m, _t) in self.results if w == workload and m != "floor"}, key=method_key)
        if not methods:
            return f"## Accuracy at `{workload}`\n\n`{workload}` was not run."
        rows = []
        for method in methods:
            cells = []
            for t in (1, 2):
                r = self.get(workload, method, t)
                cells.append("—" if r is None else fmt_err(r.err) + (" (wrong)" if r.wrong else ""))
            rows.append([method] + cells)
        return (f"## Accuracy at `{workload}` (10^7 rows)\n\n"
                "`err` = max(|L − Lref| / |Lref|, max_k |g_k − gref_k| / max_k |gref_k|) against a double-precision "
                "reference at the check point (tapeless-loss: the loss alone). Target for tapeless: ≤ 1e-6; "
                "above 1e-3 a method is wrong. The Python peers draw their own data (same distributions).\n\n"
                + table(["method", "err, 1 thread", "err, 2 threads"], rows))

    # -- compile cost
    def compile_section(self):
        if not self.compile:
            return ("## Compile cost\n\nNo `compile.json` in this run (`scripts/bench --no-compile`, `--quick`, "
                    "or `benchmarks/compile/measure` absent).")
        data = self.compile
        parts = ["## Compile cost"]
        compilers = list(data.get("compilers", {})) or sorted({c["compiler"] for c in data.get("compiles", [])})
        groups = []
        for c in data.get("compiles", []):
            if c["group"] not in groups:
                groups.append(c["group"])
        for group in groups:
            entries = [c for c in data["compiles"] if c["group"] == group]
            names = []
            for c in entries:
                if c["name"] not in names:
                    names.append(c["name"])
            flags = sorted({c.get("flags", "") for c in entries})
            rows = []
            for name in names:
                row = [name]
                for compiler in compilers:
                    c = next((c for c in entries if c["name"] == name and c["compiler"] == compiler), None)
                    if c is None:
                        row += ["—", "—"]
                    elif not c.get("ok", True):
                        row += [f"**failed** ({c.get('seconds', 0):.1f} s)", f"{c.get('peak_mb', 0):.0f}"
                                + (f" — {c['note']}" if c.get("note") else "")]
                    else:
                        row += [f"{c['seconds']:.2f}", f"{c['peak_mb']:.0f}" + (f" ({c['note']})" if c.get("note") else "")]
                rows.append(row)
            header = ["name"] + [h for compiler in compilers for h in (f"{compiler} s", f"{compiler} peak MB")]
            parts.append(f"### {group}\n\nFlags: " + ", ".join(f"`{f}`" for f in flags) + "\n\n" + table(header, rows))
        if data.get("compile_fail"):
            rows = [[c["name"], c["compiler"], f"{c['bytes']:,}", str(c["lines"]), c.get("first_line", "")[:160]]
                    for c in data["compile_fail"]]
            parts.append("### Compiler output of the compile-fail tests\n\n"
                         + table(["test", "compiler", "bytes", "lines", "first line"], rows))
        return "\n\n".join(parts)

    # -- targets of the benchmark issue
    def targets_section(self):
        rows = []

        def verdict(ok):
            return "—" if ok is None else ("met" if ok else "**missed**")

        def worst(pairs, bound, smaller_is_better=True):
            pairs = [(w, x) for w, x in pairs if x is not None]
            if not pairs:
                return "no data", None
            w, x = max(pairs, key=lambda p: p[1]) if smaller_is_better else min(pairs, key=lambda p: p[1])
            text = ", ".join(f"{w_}: {x_:.2f}×" for w_, x_ in pairs)
            return text, (x <= bound) if smaller_is_better else (x >= bound)

        steps = ["lr-1e4x3", "lr-1e5x3", "lr-1e6x3", "lr-1e7x3", "lr-1e6x16", "lr-2e5x128"]  # the sizes of the target
        for system in SYSTEMS:
            pairs = [(w, ratio(self.get(w, f"tapeless-{system}", 1), self.get(w, "hand", 1))) for w in steps]
            if any(x is not None for _w, x in pairs):
                text, ok = worst(pairs, 1.0)
                rows.append([f"tapeless-{system} ≤ 1.0× hand at every size (1 thread)", text, verdict(ok)])
        pairs = [(w, ratio(self.get(w, "tapeless-omp", 1), self.get(w, "floor", 1))) for w in PLOT_WORKLOADS]
        text, ok = worst(pairs, 1.3)
        rows.append(["tapeless-omp ≤ 1.3× floor at D = 3 (1 thread)", text, verdict(ok)])
        for workload, bound in (("lr-1e7x3", 10.0), ("lr-1e6x16", 4.0)):
            x = ratio(self.get(workload, "libtorch", 1), self.get(workload, "tapeless-omp", 1))
            rows.append([f"tapeless-omp ≥ {bound:.0f}× faster than LibTorch at {workload} (1 thread)",
                         "no data" if x is None else f"{x:.1f}× faster", verdict(None if x is None else x >= bound)])
        pairs = [(w, ratio(self.get(w, "tapeless-omp", 1), self.get(w, "tapeless-loss-omp", 1)))
                 for w in ["lr-1e7x3", "lr-1e6x16", "lr-2e5x128"]]
        text, ok = worst(pairs, 1.2)
        rows.append(["value_and_grad ≤ 1.2× loss alone, memory-bound sizes (tapeless-omp, 1 thread)", text, verdict(ok)])
        x = ratio(self.get("exercise1", "tapeless-omp", 1), self.get("exercise1", "hand", 1))
        r = self.get("exercise1", "tapeless-omp", 1)
        rows.append(["Exercise 1 trained to the end ≤ 2× hand",
                     "no data" if x is None else f"{x:.2f}× ({fmt_time(r.ms)})", verdict(None if x is None else x <= 2)])
        errs = [(s, self.get("lr-1e7x3", f"tapeless-{s}", t)) for s in SYSTEMS for t in (1, 2)]
        errs = [(s, r.err) for s, r in errs if r is not None and r.err is not None]
        rows.append(["loss and gradient within 1e-6 of the double reference at 10^7 rows",
                     "no data" if not errs else f"worst err {max(e for _s, e in errs):.1e}",
                     verdict(None if not errs else max(e for _s, e in errs) <= 1e-6)])
        if self.compile:
            lecture = [c for c in self.compile.get("compiles", []) if c["group"] == "lecture" and c["compiler"] == "g++"]
            if lecture:
                slowest = max(lecture, key=lambda c: c["seconds"])
                ok = all(c.get("ok", True) for c in lecture) and slowest["seconds"] <= 5
                rows.append(["a lecture example compiles in ≤ 5 s with g++",
                             f"slowest {slowest['name']}: {slowest['seconds']:.2f} s", verdict(ok)])
            depth = [c for c in self.compile.get("compiles", []) if c["group"] == "depth"]
            if depth:
                failed = [f"{c['name']} ({c['compiler']})" for c in depth if not c.get("ok", True)]
                rows.append(["generated depth-100 expressions compile",
                             "all compiled" if not failed else "failed: " + ", ".join(failed), verdict(not failed)])
        return ("## Host speed targets (benchmark issue) in this run\n\n"
                "Computed from the tables above; “missed” says by how much in the measured column.\n\n"
                + table(["target", "measured", ""], rows))

    def plot_section(self, png_name, plot_note):
        return (f"## Time per step against N (D = 3)\n\n![time per step against N at D = 3]({png_name})\n\n"
                + (plot_note or "One line per method at 1 thread (tapeless-omp also at 2 threads, dashed; tapeless's loss alone dotted); "
                   "the floor is the time to read X and y once. Log-log; wrong methods are left out."))

    def methods_section(self):
        methods = sorted({m for (_w, m, _t) in self.results} | set(EXPECTED["step"]), key=method_key)
        return "## Methods\n\n" + "\n".join(f"- `{m}`: {DESCRIPTION.get(m, '')}" for m in methods)

    def sources_section(self):
        names = sorted(self.contexts) + (["compile.json"] if self.compile else []) + (["meta.json"] if self.meta else [])
        return "Read from: " + ", ".join(f"`{n}`" for n in names) + "."

    def markdown(self, png_name, plot_note):
        return "\n\n".join([self.header(), self.targets_section(), self.workloads_section(), self.fastad_section(),
                            self.accuracy_section(), self.compile_section(), self.plot_section(png_name, plot_note),
                            self.methods_section(), self.sources_section()]) + "\n"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


# ---------------------------------------------------------------- plot

def plot(report, png):
    """Writes the plot; returns None, or a note on why it was not drawn."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "The plot was not drawn: matplotlib is not installed (`apt-get install python3-matplotlib`)."
    fig, ax = plt.subplots(figsize=(9, 6), dpi=110)
    methods = sorted({m for (w, m, _t) in report.results if w in PLOT_WORKLOADS}, key=method_key)
    others = iter(plt.get_cmap("Dark2").colors * 4)  # methods the suite does not name
    drawn = 0
    for method in methods:
        for threads, style in ((1, "-"), (2, "--")):
            if threads == 2 and method != "tapeless-omp":
                continue
            points = [(WORKLOADS[w][0], report.get(w, method, threads)) for w in PLOT_WORKLOADS]
            points = [(n, r.ms) for n, r in points if r is not None and r.ok]
            if not points:
                continue
            xs, ys = zip(*points)
            if method == "floor":
                ax.plot(xs, ys, "-", color="black", linewidth=3, alpha=0.6, label="floor (read X, y once)", zorder=1)
            else:
                loss_alone = method.startswith("tapeless-loss-")
                ax.plot(xs, ys, ":" if loss_alone else style, marker="v" if loss_alone else "o" if
                        method.startswith("tapeless") else "s", markersize=4,
                        color=COLOUR.get(method) or next(others),
                        label=f"{method}" + (f", {threads} threads" if threads == 2 else ""), zorder=2)
            drawn += 1
    if not drawn:
        plt.close(fig)
        return "The plot was not drawn: no lr-1e4x3 … lr-1e7x3 results in this run."
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (rows), D = 3")
    ax.set_ylabel("time per training step (ms)")
    ax.set_title("One linear-regression step (loss, gradient, SGD update), 1 thread")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Report of one benchmark run: PREFIX.md and PREFIX.png")
    parser.add_argument("json_dir", help="directory of the run's JSON files (build/bench/json)")
    parser.add_argument("--out", required=True, help="output prefix, e.g. benchmarks/results/<date>-<host>")
    args = parser.parse_args(argv)
    results, contexts, compile_data, meta = load(args.json_dir)
    if not results and not compile_data:
        print(f"report: no benchmark results in {args.json_dir}", file=sys.stderr)
        return 1
    report = Report(results, contexts, compile_data, meta)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)) or ".", exist_ok=True)
    png = args.out + ".png"
    note = plot(report, png)
    with open(args.out + ".md", "w") as f:
        f.write(report.markdown(os.path.basename(png), note))
    print(f"report: {args.out}.md" + ("" if note else f" and {png}"))
    if note:
        print(f"report: {note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
