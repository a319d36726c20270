#!/usr/bin/env python3
"""The GPU benchmark's report: one Markdown table from bench.gpu.step's and peers.py's JSON lines.

Usage: report.py ROWS.jsonl... --out FILE [--copy-to DIR] [--meta "Key=value"]... [--quick]

Per problem and method: ms per step (lecture problems: also the whole training), effective
bandwidth (bytes of X and y / time), the fraction of the read floor, the time over tapeless's (the
ratio to each peer), the extra device memory during a step and err against the float64
reference; then issue 6's targets, each computed from the rows (met, not met, not measured). A
method that is missing, failed or wrong is shown as such, never dropped. Nothing here is typed in:
every number comes from the JSON lines.
"""

import argparse
import datetime
import json
import math
import os
import shutil
import sys

WORKLOADS = ["lr-1e8x3", "lr-2e7x16", "exercise1", "quiz1"]
TITLES = {"lr-1e8x3": "N × D = {n} × {d}", "lr-2e7x16": "N × D = {n} × {d}",
          "exercise1": "Exercise 1 ({n} rows, {steps} steps)", "quiz1": "Quiz 1 ({n} rows × {d}, {steps} steps)"}
# Methods in table order, and who makes them.
METHODS = [
    ("floor", "cpp"), ("tapeless", "cpp"), ("tapeless-fit", "cpp"), ("hand", "cpp"), ("hand-1launch", "cpp"),
    ("pytorch", "torch"), ("torch.compile", "torch"), ("jax.jit", "jax"), ("jax.fori_loop", "jax"),
]
BIG_ONLY = {"floor"}
LECTURE_ONLY = {"tapeless-fit", "hand-1launch", "jax.fori_loop"}
DESCRIPTIONS = {
    "floor": "a plain reduction (Σ X + Σ y, 16-byte loads, CUB block reduce), the fastest of 4 grids: "
             "the card's read bandwidth, timed kernel + combine with CUDA events",
    "tapeless": "one training step: `tl::value_and_grad(tl::mse_loss(X.matmul(w) + b, y), w, b)` over views of "
                "device memory, which runs the pass on the GPU (`tl::detail::run_pass_cuda`: pass kernel + combine "
                "kernel + copy of the K row sums) and reads the loss and gradients from the sums; SGD on the host. "
                "Lecture problems: that step per epoch (a launch and a copy each), the lecture's loop",
    "tapeless-fit": "the lecture training as `tl::fit(loss, sgd, {.steps, .record_every = 100})` over views of "
                    "device memory: every step in one launch of one warp (backend/cuda/fit.hpp), the loss recorded "
                    "every 100 steps, parameters and losses copied back once",
    "hand": "a hand-written fused CUDA kernel at compile-time D: grid-stride over groups of 4 rows (16-byte "
            "loads), float within a group, double across, CUB block reduce, a second kernel adds the blocks; "
            "copy of the D + 2 sums, SGD on the host",
    "hand-1launch": "a hand-written kernel that runs the whole lecture training in one launch of one warp "
                    "(rows and parameters in registers): the bound for tapeless-fit",
    "pytorch": "PyTorch eager, the lecture loop: requires_grad tensors, torch.optim.SGD, zero_grad / forward / "
               "backward / step",
    "torch.compile": "the same loop with the cost from a torch.compile'd function (forward and backward "
                     "compiled; the optimizer step eager)",
    "jax.jit": "a jitted step: jax.value_and_grad + p − lr·g (lecture problems: called from a Python loop)",
    "jax.fori_loop": "the whole lecture training as one jitted lax.fori_loop",
}
TARGET_FLOOR = {"lr-1e8x3": 0.90, "lr-2e7x16": 0.80}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("rows", nargs="+", help="JSON lines files (bench.gpu.step, peers.py)")
    p.add_argument("--out", required=True, help="Markdown file to write")
    p.add_argument("--copy-to", default="", help="also copy the report there (a folder), e.g. $OUT")
    p.add_argument("--meta", action="append", default=[], help="'Key=value' line for the header")
    p.add_argument("--quick", action="store_true", help="a smoke run at reduced sizes: say so loudly")
    return p.parse_args(argv)


def load(paths):
    rows, contexts, errors = [], [], []
    for path in paths:
        if not os.path.exists(path):
            errors.append(f"{path}: no such file (that part of the run did not write it)")
            continue
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    errors.append(f"{os.path.basename(path)}:{number}: not JSON ({e})")
                    continue
                if "context" in obj:
                    contexts.append(obj["context"])
                elif "error" in obj:
                    errors.append(obj["error"])
                elif "workload" in obj:
                    rows.append(obj)
    return rows, contexts, errors


def num(v):
    return v if isinstance(v, (int, float)) and v is not None and math.isfinite(v) else None


def fmt_ms(ms):
    if ms is None:
        return "—"
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 1:
        return f"{ms:.3g}" if ms < 10 else f"{ms:.1f}"
    return f"{ms:.3g}"


def fmt_bytes(b):
    if b is None:
        return "—"
    if b < 1e3:
        return f"{b:.0f} B"
    for unit, scale in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if b < scale * 1e3 or unit == "GB":
            return f"{b / scale:.3g} {unit}"
    return f"{b:.0f} B"


def fmt_ratio(r):
    return "—" if r is None else (f"{r:.3g}×" if r < 100 else f"{r:.0f}×")


def time_of(row):
    """The compared time: ms per step for a big workload, the whole training for a lecture problem."""
    if row is None or row.get("status") != "ok":
        return None
    return num(row.get("training_ms")) if row.get("lecture") else num(row.get("ms_per_step"))


def build(rows, contexts, errors, meta, quick):
    by = {}
    for r in rows:
        by[(r["workload"], r["method"])] = r
    ctx = {}
    for c in contexts:
        ctx.setdefault(c.get("source", "?"), {}).update(c)
    cpp, torch_ctx, jax_ctx, peers = ctx.get("cpp", {}), ctx.get("torch", {}), ctx.get("jax", {}), ctx.get("peers", {})
    gpu = cpp.get("device") or torch_ctx.get("device") or jax_ctx.get("device") or "unknown GPU"
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    out = []
    out.append(f"# tapeless on the GPU: {gpu}, {date[:10]}")
    out.append("")
    if quick:
        out.append("**QUICK SMOKE RUN** (`--quick`): the big workloads at 10^6 × 3 and 2·10^5 × 16, so launch "
                   "overhead dominates; these are not results.")
        out.append("")
    out.append(f"- **Date**: {date}")
    if cpp:
        peak = num(cpp.get("peak_bandwidth"))
        out.append(f"- **GPU**: {cpp.get('device')} (sm_{str(cpp.get('compute_capability', '')).replace('.', '')}, "
                   f"{cpp.get('sms')} SMs, {fmt_bytes(num(cpp.get('memory_bytes')))}, L2 "
                   f"{fmt_bytes(num(cpp.get('l2_bytes')))}); CUDA driver {cpp.get('cuda_driver')}, runtime "
                   f"{cpp.get('cuda_runtime')}" + (f"; datasheet bandwidth from the memory clock × bus width: "
                                                  f"{peak / 1e12:.2f} TB/s" if peak else ""))
    versions = []
    if torch_ctx:
        versions.append(f"PyTorch {torch_ctx.get('torch')} (CUDA {torch_ctx.get('cuda')}, TF32 matmul "
                        f"{'on' if torch_ctx.get('tf32_matmul') else 'off'})")
    if jax_ctx:
        versions.append(f"JAX {jax_ctx.get('jax')} ({jax_ctx.get('platform')}: {jax_ctx.get('device')})")
    if peers:
        versions.append(f"Python {peers.get('python')}")
    if versions:
        out.append("- **Peers**: " + "; ".join(versions))
    for m in meta:
        key, _, value = m.partition("=")
        out.append(f"- **{key.strip()}**: {value.strip()}")

    # The same data everywhere: the float64 losses at the check point must agree.
    spreads = []
    for w in WORKLOADS[:2]:
        refs = [(r["source"], num(r.get("ref_loss"))) for r in rows if r["workload"] == w and num(r.get("ref_loss"))]
        if len(refs) >= 2:
            values = [v for _, v in refs]
            spread = (max(values) - min(values)) / abs(max(values))
            sources = sorted({s for s, _ in refs})
            spreads.append(f"{w}: {values[0]:.12g} from {', '.join(sources)} (spread {spread:.1e})"
                           + (" **— the data differ between sources**" if spread > 1e-9 else ""))
    if spreads:
        out.append("- **Same data** (float64 loss at the check point, each source's own reference): "
                   + "; ".join(spreads))
    out.append("")

    out.append("| problem | method | status | ms/step | whole training, ms | TB/s | of floor | time ÷ tapeless's "
               "| extra device memory | err |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for w in WORKLOADS:
        present = [r for r in rows if r["workload"] == w]
        if not present and not any(e for e in errors):
            continue
        sample = present[0] if present else {"n": "?", "d": "?", "steps": "?", "lecture": w not in WORKLOADS[:2]}
        lecture = bool(sample.get("lecture"))
        steps = next((r.get("steps") for r in present if r.get("steps") and r.get("steps") > 1), "?")
        n = sample.get("n")
        title = TITLES[w].format(n=f"{n:,}" if isinstance(n, int) else n, d=sample.get("d"), steps=steps)
        floor = by.get((w, "floor"))
        floor_ms = time_of(floor)
        tapeless_t = time_of(by.get((w, "tapeless")))
        for method, source in METHODS:
            if (lecture and method in BIG_ONLY) or (not lecture and method in LECTURE_ONLY):
                continue
            r = by.get((w, method))
            if r is None:
                why = "not run" + (" (see the notes)" if errors else "")
                out.append(f"| {title} | {method} | {why} | — | — | — | — | — | — | — |")
                continue
            status = r.get("status", "?")
            shown = {"ok": "ok", "wrong": "**wrong**"}.get(status, status)
            t = time_of(r)
            ms_step = num(r.get("ms_per_step")) if status == "ok" else None
            training = num(r.get("training_ms")) if status == "ok" and lecture else None
            bw = of_floor = None
            if not lecture and ms_step:
                bw = r["bytes"] / (ms_step * 1e-3) / 1e12
                if floor_ms:
                    of_floor = floor_ms / ms_step
            ratio = t / tapeless_t if t and tapeless_t else None
            err = num(r.get("err"))
            out.append(f"| {title} | {method} | {shown} | {fmt_ms(ms_step)} | {fmt_ms(training)} | "
                       f"{'—' if bw is None else f'{bw:.3g}'} | {'—' if of_floor is None else f'{of_floor:.0%}'} | "
                       f"{fmt_ratio(ratio) if method != 'floor' else '—'} | "
                       f"{fmt_bytes(num(r.get('extra_bytes')))} | {'—' if err is None else f'{err:.1e}'} |")
            if r.get("note"):
                notes.append(f"- {w} / {method} ({status}): {r['note']}")
    out.append("")
    out.append("*ms/step*: median of the timed steps (lecture problems: the whole training ÷ its steps). "
               "*TB/s*: bytes of X and y (N·(D+1)·4) ÷ ms/step. *of floor*: the floor's time ÷ this row's. "
               "*time ÷ tapeless's*: this row's time (lecture problems: the whole training) ÷ tapeless's: "
               "above 1× tapeless is faster. *extra device memory*: bytes a step allocates beyond X, y and the "
               "parameters — C++ rows: what the code allocates for it (exactly; `memgetinfo_delta` in the JSON "
               "is cudaMemGetInfo's view, in 2 MiB pages); PyTorch: torch.cuda.max_memory_allocated during a "
               "step minus memory_allocated before it; JAX: the compiled step's XLA temp buffers. *err*: against "
               "float64 at the check point (lecture problems: the trained w, b against a float64 training); "
               "above 1e-3 a row is wrong and not timed. Timing: CUDA events (C++, PyTorch), host clock with "
               "block_until_ready (JAX).")
    out.append("")

    out.append("## Issue 6 targets, from the rows above")
    out.append("")
    out.extend(targets(by))
    out.append("")
    out.append("## Methods")
    out.append("")
    for method, _ in METHODS:
        out.append(f"- **{method}**: {DESCRIPTIONS[method]}")
    out.append("")
    if notes or errors:
        out.append("## Notes from the run")
        out.append("")
        out.extend(f"- {e}" for e in errors)
        out.extend(notes)
        out.append("")
    return "\n".join(out), gpu


def targets(by):
    lines = []

    def verdict(ok, text):
        return f"- {'met' if ok else '**not met**'}: {text}"

    for w, bound in TARGET_FLOOR.items():
        t, f = time_of(by.get((w, "tapeless"))), time_of(by.get((w, "floor")))
        if t and f:
            lines.append(verdict(f / t >= bound, f"{w}: tapeless at {f / t:.0%} of the read floor "
                                                 f"(target ≥ {bound:.0%})"))
        else:
            lines.append(f"- not measured: {w}: tapeless against the floor (target ≥ {bound:.0%})")
    for method, factor in (("pytorch", 10), ("jax.jit", 8)):
        t, p = time_of(by.get(("lr-1e8x3", "tapeless"))), time_of(by.get(("lr-1e8x3", method)))
        if t and p:
            lines.append(verdict(p / t >= factor, f"lr-1e8x3: tapeless {p / t:.3g}× faster than {method} "
                                                  f"(target ≥ {factor}×)"))
        else:
            lines.append(f"- not measured: lr-1e8x3: tapeless against {method} (target ≥ {factor}×)")
    for w in WORKLOADS[:2]:
        r = by.get((w, "tapeless"))
        b = num(r.get("extra_bytes")) if r and r.get("status") == "ok" else None
        if b is not None:
            lines.append(verdict(b < 1e6, f"{w}: tapeless's extra device memory {fmt_bytes(b)} (target < 1 MB)"))
        else:
            lines.append(f"- not measured: {w}: tapeless's extra device memory (target < 1 MB)")
    t = time_of(by.get(("exercise1", "tapeless-fit")))
    if t:
        lines.append(verdict(t < 2.0, f"Exercise 1 trained on the GPU by tl::fit in {fmt_ms(t)} ms, launch and "
                                      "copies included (target < 2 ms)"))
    else:
        lines.append("- not measured: Exercise 1's whole training by tl::fit (target < 2 ms)")
    return lines


def main(argv):
    args = parse_args(argv)
    rows, contexts, errors = load(args.rows)
    text, gpu = build(rows, contexts, errors, args.meta, args.quick)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    print(f"\nreport.py: wrote {args.out}", file=sys.stderr)
    if args.copy_to:
        os.makedirs(args.copy_to, exist_ok=True)
        shutil.copy(args.out, os.path.join(args.copy_to, os.path.basename(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
