#!/usr/bin/env python
"""Vogels & Abbott (2005) CUBA benchmark in Brian2 (peer reference for neuroemu).

This is the "CUBA" example of the Brian2 documentation: 4000 LIF neurons
(3200 excitatory, 800 inhibitory), connection probability 0.02, dt = 0.1 ms,
1 s of biological time.  Brian2 reports a mean rate of about 5.6 Hz.

Usage (from the benchmark virtualenv, see README.md):

    python cuba_brian2.py --target cython|cpp_standalone [--neurons N]
                          [--fanin K | --p P] [--duration-ms 1000]
                          [--seed S] [--threads 1] [--cold-cache]

Prints ONE JSON line on stdout (Brian2's own log/compiler noise goes to stderr).

Scaling rule (shared with cuba_nest.py): every neuron receives on average
80 inputs in the reference network (0.02 * 4000).  For any other network the
weights we and wi are multiplied by 80 / (expected in-degree), so the mean
synaptic drive per neuron stays that of CUBA.  The default network is
therefore exactly CUBA (factor 1).  Connectivity:
  * default / --p P : pairwise Bernoulli with probability P (default 0.02),
                      expected in-degree P * N;
  * --fanin K       : every neuron receives exactly K distinct inputs,
                      round(0.8 K) from excitatory and the rest from
                      inhibitory neurons (drawn with numpy, then given to
                      Brian2 as explicit i/j arrays).
"""
import argparse
import json
import os
import resource
import sys
import tempfile
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import brian2 as b2  # noqa: E402
from brian2 import mV, ms  # noqa: E402

REF_FANIN = 80.0  # mean in-degree of the reference CUBA network (0.02 * 4000)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", choices=["cython", "cpp_standalone"], required=True)
    ap.add_argument("--neurons", type=int, default=4000)
    conn = ap.add_mutually_exclusive_group()
    conn.add_argument("--fanin", type=int, help="exact in-degree per neuron")
    conn.add_argument("--p", type=float, default=0.02, help="connection probability")
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1,
                    help="OpenMP threads (cpp_standalone only; cython is serial)")
    ap.add_argument("--cold-cache", action="store_true",
                    help="cython: compile into an empty temporary cache")
    return ap.parse_args()


def fixed_indegree(rng, n_targets, n_sources, k, offset):
    """Exactly k distinct random sources (offset .. offset+n_sources-1) per target."""
    pre = np.empty(n_targets * k, dtype=np.int32)
    for t in range(n_targets):
        pre[t * k:(t + 1) * k] = rng.choice(n_sources, size=k, replace=False)
    post = np.repeat(np.arange(n_targets, dtype=np.int32), k)
    return pre + offset, post


# The standalone binary is started through this tiny wrapper so that its own
# peak RSS can be read (RUSAGE_CHILDREN would also count the compiler and the
# forked copies of this Python process).  It writes ru_maxrss (KiB) to a file.
RSS_WRAPPER = (
    "import os,sys;p=os.posix_spawn('./main',['./main']+sys.argv[1:],os.environ);"
    "_,st,ru=os.wait4(p,0);open('main_maxrss_kb','w').write(str(ru.ru_maxrss));"
    "sys.exit(os.waitstatus_to_exitcode(st))")


def main():
    args = parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="cuba_brian2_")
    standalone = args.target == "cpp_standalone"
    if standalone:
        b2.set_device("cpp_standalone", directory=tmp.name, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = (
            args.threads if args.threads > 1 else 0)
        b2.prefs.devices.cpp_standalone.run_cmd_unix = [
            sys.executable, "-c", RSS_WRAPPER]
    else:
        b2.prefs.codegen.target = "cython"
        if args.cold_cache:
            b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(tmp.name, "cache")
    b2.prefs.core.default_float_dtype = np.float64
    b2.seed(args.seed)
    rng = np.random.default_rng(args.seed)

    t_build0 = time.perf_counter()
    n = args.neurons
    n_exc = int(round(0.8 * n))
    n_inh = n - n_exc
    mean_fanin = args.fanin if args.fanin else args.p * n
    scale = REF_FANIN / mean_fanin

    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    we = scale * (60 * 0.27 / 10) * mV  # 1.62 mV at scale 1
    wi = scale * (-20 * 4.5 / 10) * mV  # -9 mV at scale 1
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    b2.defaultclock.dt = 0.1 * ms
    P = b2.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr",
                       refractory=5 * ms, method="exact", name="P")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    Ce = b2.Synapses(P, P, on_pre="ge += we", name="Ce")
    Ci = b2.Synapses(P, P, on_pre="gi += wi", name="Ci")
    if args.fanin:
        k_exc = int(round(0.8 * args.fanin))
        pre, post = fixed_indegree(rng, n, n_exc, k_exc, 0)
        Ce.connect(i=pre, j=post)
        pre, post = fixed_indegree(rng, n, n_inh, args.fanin - k_exc, n_exc)
        Ci.connect(i=pre, j=post)
    else:
        Ce.connect(f"i<{n_exc}", p=args.p)
        Ci.connect(f"i>={n_exc}", p=args.p)
    mon = b2.SpikeMonitor(P, record=False, name="mon")  # counts only
    net = b2.Network(P, Ce, Ci, mon)
    duration = args.duration_ms * ms

    t_run0 = time.perf_counter()
    net.run(duration, namespace=locals())
    t_run1 = time.perf_counter()
    extra = {}
    if standalone:
        # code generation happened in net.run (fast); compile, then run apart.
        t_c0 = time.perf_counter()
        b2.device.build(directory=tmp.name, compile=True, run=False,
                        with_output=False)
        t_c1 = time.perf_counter()
        b2.device.run(directory=tmp.name, with_output=False)
        t_r1 = time.perf_counter()
        loop_s = float(b2.device._last_run_time)  # measured inside the binary
        build_s = (t_run1 - t_build0) + (t_c1 - t_c0)
        extra["binary_s"] = t_r1 - t_c1  # loop + loading/writing arrays
        extra["make_s"] = t_c1 - t_c0
        with open(os.path.join(tmp.name, "main_maxrss_kb")) as f:
            rss_child = int(f.read()) / 1024.0
    else:
        rss_child = 0.0
        # Network.run = before_run (code generation + Cython compilation or
        # cache load) + loop; Brian2 stores the loop time in _last_run_time.
        loop_s = float(b2.device._last_run_time)
        build_s = (t_run0 - t_build0) + (t_run1 - t_run0 - loop_s)
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB
    # total_s stops here: what follows (spike/out-degree analysis for
    # syn_events) is bookkeeping, reported separately as analysis_s.
    t_end = time.perf_counter()

    counts = np.asarray(mon.count[:], dtype=np.int64)
    out_deg = (np.bincount(np.asarray(Ce.i[:]), minlength=n)
               + np.bincount(np.asarray(Ci.i[:]), minlength=n))
    spikes = int(counts.sum())
    result = {
        "simulator": "brian2-standalone" if standalone else "brian2-cython",
        "brian2_version": b2.__version__,
        "neurons": n,
        "synapses": int(len(Ce) + len(Ci)),
        "connectivity": f"fanin={args.fanin}" if args.fanin else f"p={args.p}",
        "weight_scale": scale,
        "duration_ms": args.duration_ms,
        "threads": args.threads if standalone else 1,
        "seed": args.seed,
        "build_s": round(build_s, 4),
        "loop_s": round(loop_s, 4),
        "total_s": round(t_end - T_START, 4),
        "analysis_s": round(time.perf_counter() - t_end, 4),
        "spikes": spikes,
        "mean_rate_hz": round(spikes / n / (args.duration_ms / 1000.0), 4),
        "syn_events": int((counts * out_deg).sum()),
        # standalone: Python process + simulation binary (both alive at once)
        "peak_rss_mb": round(rss_self + rss_child, 1),
    }
    result.update({k: round(v, 4) for k, v in extra.items()})
    if standalone:
        result["peak_rss_python_mb"] = round(rss_self, 1)
        result["peak_rss_binary_mb"] = round(rss_child, 1)
    else:  # standalone always compiles from scratch in a temp dir
        result["cold_cache"] = bool(args.cold_cache)
    tmp.cleanup()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
