"""The Numba router agrees cycle for cycle with its plain-Python twin on random traffic."""
import numpy as np
import pytest

from emulator.config.types import RouterSpec
from emulator.router import PORTS, Traffic, make_mesh, route
from tests.reference.router_ref import route_step_ref


def random_case(seed):
    """A random mesh, placement, router spec and a few timesteps of traffic.

    Returns (mesh, spec, traffic, per-step twin sources, initial arbiter pointers).
    """
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    n_cores = int(rng.integers(1, w * h + 1))
    routers = rng.permutation(w * h)[:n_cores]                  # a random placement
    mesh = make_mesh(w, h, np.stack([routers % w, routers // w], 1))
    spec = RouterSpec("cycle", fifo_depth=int(rng.choice([1, 1, 2, 3, 4, 8])),
                      hop_latency=int(rng.choice([1, 1, 2, 3, 5])))
    heavy = rng.random() < 0.5
    ptr, src, dst, ready, twin = [0], [], [], [], []
    for _ in range(int(rng.integers(1, 4))):
        sources = []
        for s in range(n_cores + 1):
            n = int(rng.integers(0, 30 if heavy else 6)) if rng.random() < 0.8 else 0
            span = int(rng.choice([1, 5, 40, 200]))
            r = np.sort(rng.integers(0, span, n))                  # same-cycle packets test serialization
            d = rng.integers(0, w * h, n)
            src += [s] * n
            dst += d.tolist()
            ready += r.tolist()
            fifo = int(mesh.source_fifo[s])
            sources.append((fifo // PORTS, fifo % PORTS, list(zip(r.tolist(), d.tolist()))))
        ptr.append(len(src))
        twin.append(sources)
    rr0 = rng.integers(0, PORTS, w * h * PORTS)
    tr = Traffic(np.array(ptr), np.array(src, np.int64), np.array(dst, np.int64), np.array(ready, np.int64),
                 np.zeros(len(src), np.int64))
    return mesh, spec, tr, twin, rr0


@pytest.mark.parametrize("seed", range(60))
def test_router_matches_twin_cycle_for_cycle(seed):
    mesh, spec, tr, twin, rr0 = random_case(seed)
    got = route(mesh, spec, tr, rr=rr0, trace=True)
    rr = {(f // PORTS, f % PORTS): int(v) for f, v in enumerate(rr0)}
    link, max_fifo, offset = {}, {}, 0
    for k, sources in enumerate(twin):
        want = route_step_ref(mesh.width, mesh.height, spec.fifo_depth, spec.hop_latency, sources, rr)
        flat = [a for per_src in want["arrival"] for a in per_src]
        assert got.arrival[offset:offset + len(flat)].tolist() == flat, f"step {k}: arrival cycles"
        assert got.injected[offset:offset + len(flat)].tolist() == [a for per in want["injected"] for a in per]
        hops = {(t, r, o, p + offset) for t, r, o, p in want["trace"]}      # every hop's cycle
        step_grants = got.trace[(got.trace[:, 3] >= offset) & (got.trace[:, 3] < offset + len(flat))]
        assert {tuple(g) for g in step_grants.tolist()} == hops and len(step_grants) == len(hops)
        offset += len(flat)
        assert got.last_arrival[k] == want["last_arrival"]
        assert got.core_stall[k].tolist() == want["stall"][:-1]       # the last source is the host
        assert (got.stalls[k], got.inj_stalls[k]) == (want["stalls"], want["inj_stalls"])
        for key, v in want["link_load"].items():
            link[key] = link.get(key, 0) + v
        for key, v in want["max_fifo"].items():
            max_fifo[key] = max(max_fifo.get(key, 0), v)
    assert offset == tr.src.size
    n = mesh.width * mesh.height * PORTS
    assert got.link_load.tolist() == [link.get((f // PORTS, f % PORTS), 0) for f in range(n)]
    assert got.max_fifo.tolist() == [max_fifo[(f // PORTS, f % PORTS)] for f in range(n)]
    assert got.rr.tolist() == [rr[(f // PORTS, f % PORTS)] for f in range(n)]


def test_random_cases_exercise_contention():
    """The twin comparison is only as good as its traffic: it must stall, back up and fill FIFOs."""
    stalls = inj = full = multi = 0
    for seed in range(60):
        mesh, spec, tr, _, rr0 = random_case(seed)
        got = route(mesh, spec, tr, rr=rr0)
        stalls += got.stalls.sum() > 0
        inj += got.inj_stalls.sum() > 0
        full += got.max_fifo.max(initial=0) == spec.fifo_depth and spec.fifo_depth > 1
        multi += mesh.width * mesh.height > 4
    assert stalls >= 30 and inj >= 15 and full >= 8 and multi >= 30, (stalls, inj, full, multi)
