#!/usr/bin/env python
"""Where the engine's time goes: each phase of a timestep timed on its own.

    python benchmarks/profile_phases.py [--neurons N --fanin K] [--steps 10000]

Runs the network once to get a realistic state and spike pattern, then replays
``steps`` timesteps of (a) the neuron update alone, (b) delivery of the recorded
spike pattern alone, (c) the full step, and reports ns per neuron update and per
synaptic event, i.e. what bounds the engine.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import emulator as ne  # noqa: E402
from emulator._jit import step_kernel  # noqa: E402
from emulator.engine import Simulation  # noqa: E402
from emulator.engine import kernels as K  # noqa: E402


@step_kernel
def _updates(steps, tb, p, s, buf, cnt):
    for t in range(steps):
        K.update(t, 0, tb, p, s, buf, cnt)


@step_kernel
def _delivers(steps, tb, buf, spike_ptr, spike_ids, no_host, cnt):
    for t in range(steps):
        k = t % (spike_ptr.size - 1)
        n = spike_ptr[k + 1] - spike_ptr[k]
        q = (t - 1) & 1               # deliver reads the spikes of step t-1 (one thread group)
        for i in range(n):
            buf.pending[q, i] = spike_ids[spike_ptr[k] + i]
        buf.n_pending[q, 0, 0] = n
        K.deliver(t, 0, tb, buf, no_host, cnt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--neurons", type=int)
    ap.add_argument("--fanin", type=int, default=80)
    ap.add_argument("--steps", type=int, default=10000)
    args = ap.parse_args()
    if args.neurons:
        from neuroemu_bench import scaled_config
        cfg = ne.load_config(scaled_config(args.neurons, args.fanin, 1, args.steps * 0.1))
    else:
        cfg = ne.load_config("configs/examples/cuba.yaml", overrides=[f"run.timesteps={args.steps}"])
    b = ne.build(cfg)
    sim = Simulation(b.image, b.stimulus)
    res = sim.run(args.steps)
    full = res.wall_s
    n, steps = b.image.n_neurons, args.steps
    cnt = np.zeros((b.image.n_cores, len(K.COUNTER_NAMES)), np.int64)
    _updates(1, sim.tables, sim.params, sim.state, sim.buffers, cnt)
    t0 = time.perf_counter()
    _updates(steps, sim.tables, sim.params, sim.state, sim.buffers, cnt)
    upd = time.perf_counter() - t0
    order = np.argsort(res.spike_t, kind="stable")
    ptr = np.searchsorted(res.spike_t[order], np.arange(steps + 1)).astype(np.int64)
    ids = res.spike_id[order].astype(np.int32)
    _delivers(1, sim.tables, sim.buffers, ptr[:2], ids, np.zeros(0, np.int32), cnt)
    cnt[:] = 0
    t0 = time.perf_counter()
    _delivers(steps, sim.tables, sim.buffers, ptr, ids, np.zeros(0, np.int32), cnt)
    dlv = time.perf_counter() - t0
    synops = int(cnt[:, K.SYNOPS].sum())
    rest = full - upd - dlv
    print(f"{n} neurons, {b.image.n_synapses} synapses, {b.image.n_cores} cores, {steps} steps, "
          f"{res.spike_t.size} spikes, {synops} synaptic events")
    print(f"full run          {full:8.3f} s")
    print(f"neuron update     {upd:8.3f} s  {100 * upd / full:5.1f} %  {upd / (n * steps) * 1e9:6.2f} ns per neuron-step")
    print(f"spike delivery    {dlv:8.3f} s  {100 * dlv / full:5.1f} %  {dlv / max(synops, 1) * 1e9:6.2f} ns per synaptic event")
    print(f"rest (emit, record, counters, chunking) {rest:8.3f} s  {100 * rest / full:5.1f} %  "
          f"{rest / steps * 1e6:6.2f} us per step")


if __name__ == "__main__":
    main()
