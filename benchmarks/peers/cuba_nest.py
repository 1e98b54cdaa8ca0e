#!/usr/bin/env python
"""Vogels & Abbott (2005) CUBA benchmark in NEST (peer reference for neuroemu).

Same network, interface and JSON output as cuba_brian2.py (see there for the
scaling rule: weights x 80 / expected in-degree; default = exact CUBA with
4000 neurons, p = 0.02), simulated with NEST's iaf_psc_exp.

Usage (from the benchmark virtualenv, see README.md):

    python cuba_nest.py [--neurons N] [--fanin K | --p P] [--duration-ms 1000]
                        [--seed S] [--threads 1]

Prints ONE JSON line on stdout; NEST's own messages are sent to stderr.

Brian2 -> NEST parameter conversion
-----------------------------------
Brian2 (CUBA):  dv/dt = (ge + gi - (v - El)) / taum,  dge/dt = -ge / taue,
                a spike makes ge jump by we (a voltage, 1.62 mV).
NEST iaf_psc_exp:  C_m dV/dt = -(C_m / tau_m) (V - E_L) + I_syn,
                   dI_syn/dt = -I_syn / tau_syn,  a spike makes I_syn jump by w.
Dividing the NEST equation by C_m gives dV/dt = -(V - E_L)/tau_m + I_syn/C_m,
so the two models are identical with tau_m = taum and I_syn / C_m = ge / taum,
i.e. the PSC weight is  w = we * C_m / taum.  C_m itself is arbitrary (it
only sets the current unit); with C_m = 250 pF, taum = 20 ms:
    w_exc = 1.62 mV * 250 pF / 20 ms =   20.25 pA
    w_inh = -9   mV * 250 pF / 20 ms = -112.5  pA
The other parameters map directly (E_L = -49 mV, V_th = -50 mV,
V_reset = -60 mV, t_ref = 5 ms, tau_syn_ex = 5 ms, tau_syn_in = 10 ms).
During the refractory period NEST clamps V at V_reset and keeps integrating
I_syn, as Brian2's "(unless refractory)" does.  NEST's minimum synaptic delay
is one step (0.1 ms); Brian2's default delay is zero, which also acts on v in
the next step, so the dynamics match (mean rate ~5.6 Hz in both); NEST's
input then reaches v one step later than Brian2's, a negligible difference.
"""
import argparse
import json
import os
import resource
import time

T_START = time.perf_counter()

# NEST prints a banner and log lines on stdout from C++: keep stdout for the
# JSON line only by pointing fd 1 at stderr until the end.
_JSON_OUT = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
os.environ.setdefault("PYNEST_QUIET", "1")

import numpy as np  # noqa: E402
import nest  # noqa: E402

REF_FANIN = 80.0  # mean in-degree of the reference CUBA network (0.02 * 4000)
C_M = 250.0       # pF, arbitrary (see module docstring)
TAU_M = 20.0      # ms


def current_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--neurons", type=int, default=4000)
    conn = ap.add_mutually_exclusive_group()
    conn.add_argument("--fanin", type=int, help="exact in-degree per neuron")
    conn.add_argument("--p", type=float, default=0.02, help="connection probability")
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="local_num_threads")
    ap.add_argument("--delay-ms", type=float, default=0.1,
                    help="synaptic delay; default one step, the closest to "
                         "Brian2's zero delay (NEST exchanges spikes every "
                         "min-delay, so larger delays run faster)")
    return ap.parse_args()


def main():
    args = parse_args()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": args.threads,
                          "rng_seed": args.seed})

    t_build0 = time.perf_counter()
    n = args.neurons
    n_exc = int(round(0.8 * n))
    mean_fanin = args.fanin if args.fanin else args.p * n
    scale = REF_FANIN / mean_fanin
    we_mv = scale * (60 * 0.27 / 10)   # 1.62 mV at scale 1
    wi_mv = scale * (-20 * 4.5 / 10)   # -9 mV at scale 1
    w_exc = we_mv * C_M / TAU_M        # pA  (mV * pF / ms = pA)
    w_inh = wi_mv * C_M / TAU_M

    params = {"C_m": C_M, "tau_m": TAU_M, "E_L": -49.0, "V_th": -50.0,
              "V_reset": -60.0, "t_ref": 5.0, "tau_syn_ex": 5.0,
              "tau_syn_in": 10.0, "I_e": 0.0}
    pop = nest.Create("iaf_psc_exp", n, params=params)
    pop.V_m = nest.random.uniform(-60.0, -50.0)  # Vr + rand() * (Vt - Vr)
    exc, inh = pop[:n_exc], pop[n_exc:]
    delay = args.delay_ms
    if args.fanin:
        k_exc = int(round(0.8 * args.fanin))
        rule_e = {"rule": "fixed_indegree", "indegree": k_exc,
                  "allow_autapses": True, "allow_multapses": False}
        rule_i = dict(rule_e, indegree=args.fanin - k_exc)
    else:
        rule_e = rule_i = {"rule": "pairwise_bernoulli", "p": args.p}
    nest.Connect(exc, pop, rule_e, {"weight": w_exc, "delay": delay})
    nest.Connect(inh, pop, rule_i, {"weight": w_inh, "delay": delay})
    # NEST (apparently one container per neuron for neuron->device
    # connections) spends ~30 KiB per neuron on this connection: at 64k neurons the recorder alone
    # adds ~2 GB of RSS.  It is measured and reported as recorder_rss_mb.
    rss_before_rec = current_rss_mb()
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    recorder_rss = current_rss_mb() - rss_before_rec

    # Simulate == Prepare + Run + Cleanup; Prepare (connection tables,
    # buffers) is counted as build, Run is the simulation loop.
    nest.Prepare()
    t_loop0 = time.perf_counter()
    nest.Run(args.duration_ms)
    t_loop1 = time.perf_counter()
    nest.Cleanup()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB
    # total_s stops here: what follows (spike/out-degree analysis for
    # syn_events) is bookkeeping, reported separately as analysis_s.
    t_end = time.perf_counter()

    senders = np.asarray(rec.get("events", "senders"), dtype=np.int64)
    first = pop[0].global_id
    counts = np.bincount(senders - first, minlength=n)
    sources = np.asarray(nest.GetConnections(source=pop, target=pop).get("source"),
                         dtype=np.int64)
    out_deg = np.bincount(sources - first, minlength=n)
    spikes = int(counts.sum())
    result = {
        "simulator": "nest",
        "nest_version": nest.__version__,
        "neurons": n,
        "synapses": int(sources.size),
        "connectivity": f"fanin={args.fanin}" if args.fanin else f"p={args.p}",
        "weight_scale": scale,
        "duration_ms": args.duration_ms,
        "threads": args.threads,
        "delay_ms": args.delay_ms,
        "seed": args.seed,
        "build_s": round(t_loop0 - t_build0, 4),
        "loop_s": round(t_loop1 - t_loop0, 4),
        "total_s": round(t_end - T_START, 4),
        "analysis_s": round(time.perf_counter() - t_end, 4),
        "spikes": spikes,
        "mean_rate_hz": round(spikes / n / (args.duration_ms / 1000.0), 4),
        "syn_events": int((counts * out_deg).sum()),
        "peak_rss_mb": round(rss, 1),
        "recorder_rss_mb": round(recorder_rss, 1),
    }
    _JSON_OUT.write(json.dumps(result) + "\n")
    _JSON_OUT.flush()


if __name__ == "__main__":
    main()
