#!/usr/bin/env python
"""neuroemu against Brian2 and NEST on the same networks, in one invocation.

    python benchmarks/run.py                       # CUBA 4k, 3 repeats, every simulator
    python benchmarks/run.py --scale 16000,64000,256000 --scale-repeats 1
    python benchmarks/run.py --peers none --scale 1000000 --fanin 100 --local 2048

Every run is a fresh process (so total time and peak memory are honest) that
prints one JSON line; this script collects them, prints per figure the median
and the spread (min-max) over repeats and the ratio neuroemu / peer, and
writes everything to a JSON file. Peers run in the benchmark virtualenv
(``.venv-bench``, see benchmarks/peers/README.md; override with --peer-python).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIGURES = ("build_s", "first_step_s", "loop_s", "total_s", "spikes", "mean_rate_hz", "syn_events", "syn_events_per_s", "peak_rss_mb")
PEERS = {
    "brian2-cython": [str(HERE / "peers" / "cuba_brian2.py"), "--target", "cython"],
    "brian2-standalone": [str(HERE / "peers" / "cuba_brian2.py"), "--target", "cpp_standalone"],
    "nest": [str(HERE / "peers" / "cuba_nest.py")],
}


def run_one(python: str, argv: list[str], timeout: float) -> dict | None:
    """Run one benchmark process; its last stdout line is its JSON result (None on failure)."""
    try:
        proc = subprocess.run([python, *argv], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:.0f} s: {' '.join(argv)}", file=sys.stderr)
        return None
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(f"  failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    result = json.loads(lines[-1])
    if "syn_events_per_s" not in result and result.get("loop_s"):
        result["syn_events_per_s"] = result.get("syn_events", 0) / result["loop_s"]
    return result


def summarize(runs: list[dict]) -> dict:
    """Median and spread of every figure over repeated runs."""
    out = {"runs": len(runs)}
    for f in FIGURES:
        vals = [r[f] for r in runs if r.get(f) is not None]
        if vals:
            out[f] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
    return out


def measure(name: str, python: str, argv: list[str], repeats: int, warmup: bool, timeout: float) -> dict | None:
    print(f"- {name}: {' '.join(Path(a).name if a.endswith('.py') else a for a in argv)}", file=sys.stderr)
    if warmup:                       # fill JIT / compiler caches; not counted
        run_one(python, argv, timeout)
    runs = [r for r in (run_one(python, argv, timeout) for _ in range(repeats)) if r]
    return {"name": name, "argv": argv, **summarize(runs), "raw": runs} if runs else None


def table(title: str, results: list[dict]) -> str:
    """Medians (spread) per simulator, then the neuroemu/peer ratio of each figure."""
    lines = [f"\n{title}", f"{'simulator':<22}" + "".join(f"{f:>24}" for f in FIGURES)]
    for r in results:
        cells = []
        for f in FIGURES:
            m = r.get(f)
            cells.append(f"{m['median']:.4g} ({m['min']:.3g}-{m['max']:.3g})" if m else "-")
        lines.append(f"{r['name']:<22}" + "".join(f"{c:>24}" for c in cells))
    ours = [r for r in results if r["name"].startswith("neuroemu")]
    peers = [r for r in results if not r["name"].startswith("neuroemu")]
    for o in ours:
        for p in peers:
            ratios = [f"{o[f]['median'] / p[f]['median']:.3g}" if f in o and f in p and p[f]["median"] else "-"
                      for f in FIGURES]
            lines.append(f"{o['name'] + '/' + p['name']:<22}" + "".join(f"{c:>24}" for c in ratios))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="repeats of the CUBA 4k runs (median reported)")
    ap.add_argument("--peers", default="brian2-cython,brian2-standalone,nest",
                    help="comma-separated peers, or 'none'")
    ap.add_argument("--threads", default="1,2", help="neuroemu thread counts to run")
    ap.add_argument("--scale", default="", help="comma-separated network sizes for the scale series")
    ap.add_argument("--fanin", type=int, default=80, help="inputs per neuron in the scale series")
    ap.add_argument("--local", type=int, default=0,
                    help="scale series: draw inputs from the nearest N neurons (neuroemu only; 0 = uniform)")
    ap.add_argument("--scale-repeats", type=int, default=1)
    ap.add_argument("--peer-max", type=int, default=256000, help="largest scale size run on the peers")
    ap.add_argument("--nest-max", type=int, default=64000, help="largest scale size run on NEST")
    ap.add_argument("--skip-cuba", action="store_true")
    ap.add_argument("--timeout", type=float, default=3600)
    bench_venv = ROOT / ".venv-bench" / "bin" / "python"
    ap.add_argument("--peer-python", default=os.environ.get("NEUROEMU_BENCH_PYTHON",
                                                            str(bench_venv) if bench_venv.exists() else sys.executable),
                    help="interpreter with brian2 and nest (default: .venv-bench if present, else this one, "
                         "e.g. after pip install -e .[bench])")
    ap.add_argument("--out", default=str(HERE / "results" / time.strftime("bench-%Y%m%d-%H%M%S.json")))
    args = ap.parse_args()
    peers = [] if args.peers == "none" else [p for p in args.peers.split(",") if p]
    threads = [int(t) for t in args.threads.split(",")]
    ours = sys.executable
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": os.uname().nodename, "cpus": os.cpu_count(),
              "cuba": [], "scale": []}

    if not args.skip_cuba:
        for t in threads:
            r = measure(f"neuroemu-{t}t", ours, [str(HERE / "neuroemu_bench.py"), "--threads", str(t)],
                        args.repeats, True, args.timeout)
            report["cuba"].append(r)
        for p in peers:
            r = measure(p, args.peer_python, PEERS[p], args.repeats, p == "brian2-cython", args.timeout)
            report["cuba"].append(r)
        report["cuba"] = [r for r in report["cuba"] if r]
        print(table("CUBA, 4000 neurons, p = 0.02, dt = 0.1 ms, 1 s (median (min-max))", report["cuba"]))

    for i, n in enumerate(int(x) for x in args.scale.split(",") if x):
        net = ["--neurons", str(n), "--fanin", str(args.fanin)]
        rows = []
        for t in threads:
            extra = ["--local", str(args.local)] if args.local else []
            # one warm-up fills the JIT cache for every size (same kernel types)
            rows.append(measure(f"neuroemu-{t}t", ours, [str(HERE / "neuroemu_bench.py"), *net, *extra,
                                                         "--threads", str(t)], args.scale_repeats,
                                i == 0 and args.skip_cuba, args.timeout))
        for p in peers if not args.local and n <= args.peer_max else []:
            if p == "nest" and n > args.nest_max or p == "brian2-cython":
                continue
            rows.append(measure(p, args.peer_python, PEERS[p] + net, args.scale_repeats, False, args.timeout))
        rows = [r for r in rows if r]
        report["scale"].append({"neurons": n, "fanin": args.fanin, "local": args.local, "results": rows})
        print(table(f"scale: {n} neurons, {args.fanin} inputs each" + (f" (local {args.local})" if args.local
                                                                        else ""), rows))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1))
    os.replace(tmp, out)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
