#!/usr/bin/env python
"""Cycle-accurate router throughput: routed packet-hops per second on one core; prints ONE JSON line.

    python benchmarks/router_bench.py [--mesh 8 16] [--steps 50] [--packets 20000] [--span 2000]
                                      [--depth 4] [--latency 2] [--pattern uniform|hotspot] [--repeat 3]

Traffic: every router has a core; each timestep ``--packets`` packets from uniformly random
sources (the cores and the host link) are ready at uniformly random cycles in
``[0, --span)``, to uniformly random routers (``uniform``) or, for a quarter of them, to the
centre router (``hotspot``). The figure is mesh-link traversals (hops) routed per second of
``emulator.router.route`` (validation included), best of ``--repeat`` runs after a warm-up.
Target (issue #4): >= 10 million packet-hops/s.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from emulator.config.types import RouterSpec
from emulator.router import PORTS, Traffic, make_mesh, route


def make_traffic(w: int, h: int, steps: int, packets: int, span: int, pattern: str, seed: int) -> Traffic:
    """Random traffic, grouped by step, then source, then ready cycle (what ``route`` expects)."""
    rng = np.random.default_rng(seed)
    n_src = w * h + 1
    src = rng.integers(0, n_src, (steps, packets))
    ready = rng.integers(0, span, (steps, packets))
    dst = rng.integers(0, w * h, (steps, packets))
    if pattern == "hotspot":
        dst[rng.random((steps, packets)) < 0.25] = (h // 2) * w + w // 2
    step = np.repeat(np.arange(steps), packets)
    order = np.lexsort((ready.ravel(), src.ravel(), step))
    ptr = np.arange(steps + 1, dtype=np.int64) * packets
    return Traffic(ptr, src.ravel()[order], dst.ravel()[order], ready.ravel()[order],
                   np.zeros(steps * packets, np.int64))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mesh", type=int, nargs=2, default=(8, 16), metavar=("W", "H"))
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--packets", type=int, default=20000, help="packets per timestep")
    ap.add_argument("--span", type=int, default=2000, help="ready cycles are uniform in [0, span)")
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--latency", type=int, default=2)
    ap.add_argument("--pattern", choices=("uniform", "hotspot"), default="uniform")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    w, h = a.mesh
    routers = np.arange(w * h)
    mesh = make_mesh(w, h, np.stack([routers % w, routers // w], 1))
    spec = RouterSpec("cycle", fifo_depth=a.depth, hop_latency=a.latency)
    tr = make_traffic(w, h, a.steps, a.packets, a.span, a.pattern, a.seed)
    t0 = time.perf_counter()
    route(mesh, spec, make_traffic(w, h, 1, 10, 10, a.pattern, a.seed))        # compile / load the cache
    jit_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        got = route(mesh, spec, tr)
        best = min(best, time.perf_counter() - t0)
    load = got.link_load.reshape(-1, PORTS)
    hops, packets = int(load[:, :4].sum()), int(load[:, 4].sum())
    print(json.dumps({
        "benchmark": "router", "pattern": a.pattern, "mesh": [w, h], "fifo_depth": a.depth,
        "hop_latency": a.latency, "timesteps": a.steps, "packets": packets, "hops": hops,
        "mean_hops": hops / packets, "stall_cycles": int(got.stalls.sum()),
        "injection_stall_cycles": int(got.inj_stalls.sum()), "max_fifo": int(got.max_fifo.max()),
        "noc_cycles_per_timestep_mean": float(got.last_arrival.mean()),
        "wall_s": best, "jit_s": jit_s, "packet_hops_per_s": hops / best, "packets_per_s": packets / best}))


if __name__ == "__main__":
    main()
