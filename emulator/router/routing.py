"""Route a Traffic directly, cycle by cycle: the validating public wrapper of ``cycle.route_steps``.

Used by the tests, the benchmark and studies of a placement; a Simulation goes through
``model.NocModel`` instead, which builds the traffic from the engine's spikes.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..config.types import RouterSpec
from .cycle import RouterState, Stats, make_fabric, run
from .mesh import PORTS, Mesh
from .traffic import Traffic


class Routed(NamedTuple):
    """Result of ``route``: every packet's injection and arrival, per-step and per-port figures."""
    arrival: np.ndarray       #: int64 (n_packets,): cycle (from its step's start) it reached its core
    injected: np.ndarray      #: int64 (n_packets,): cycle it entered its source's input FIFO
    last_arrival: np.ndarray  #: int64 (steps,)
    core_stall: np.ndarray    #: int64 (steps, n_sources - 1): stall of each core (source)
    stalls: np.ndarray        #: int64 (steps,)
    inj_stalls: np.ndarray    #: int64 (steps,)
    link_load: np.ndarray     #: int64 (n_routers * 5,): packets per output port, index 5 * router + port
    max_fifo: np.ndarray      #: int64 (n_routers * 5,): most packets in each input FIFO
    rr: np.ndarray            #: int64 (n_routers * 5,): arbiter pointers after the run
    trace: np.ndarray         #: int64 (grants, 4): (cycle, router, output port, packet) of every hop and
                              #: delivery, in the kernel's order (with ``trace=True``; else empty)


def route(mesh: Mesh, spec: RouterSpec, traffic: Traffic, rr: np.ndarray | None = None,
          trace: bool = False) -> Routed:
    """Route ``traffic`` cycle by cycle on ``mesh`` with ``spec``'s FIFO depth and hop latency.

    ``traffic.src`` indexes ``mesh.source_fifo`` (cores, then the host link last); within a
    step, sources must ascend and each source's ``ready`` cycles must not decrease.
    ``rr``: initial arbiter pointers (default: every output last granted port L).
    ``trace``: also return every grant (one per hop and one per delivery).
    """
    n_src = mesh.source_fifo.size
    n_routers = mesh.width * mesh.height
    tr = Traffic(*(np.ascontiguousarray(a, np.int64) for a in traffic))
    _check_traffic(tr, n_src, n_routers)
    st = RouterState.empty(n_routers, spec.fifo_depth)
    if rr is not None:
        st.rr[:] = rr
    grants = 0
    if trace:
        r = mesh.source_fifo[tr.src] // PORTS
        grants = tr.src.size + int((np.abs(r % mesh.width - tr.dst % mesh.width)
                                    + np.abs(r // mesh.width - tr.dst // mesh.width)).sum())
    out = Stats.empty(n_routers, tr.src.size, tr.step_ptr.size - 1, n_src - 1, grants)
    run(make_fabric(mesh, spec), tr, st, out)
    return Routed(out.arrival, out.injected, out.last_arrival, out.core_stall, out.stalls, out.inj_stalls,
                  out.link_load, out.max_fifo, st.rr.copy(), out.trace[:out.n_trace[0]])


def _check_traffic(tr: Traffic, n_src: int, n_routers: int) -> None:
    n = tr.src.size
    if tr.step_ptr[0] != 0 or tr.step_ptr[-1] != n or (np.diff(tr.step_ptr) < 0).any():
        raise ValueError("traffic.step_ptr must rise from 0 to the number of packets")
    if n and (tr.src.min() < 0 or tr.src.max() >= n_src or tr.dst.min() < 0 or tr.dst.max() >= n_routers
              or tr.ready.min() < 0):
        raise ValueError(f"traffic: sources must be in [0, {n_src}), destinations in [0, {n_routers}), "
                         "ready cycles >= 0")
    first = np.zeros(n, bool)
    first[tr.step_ptr[:-1][np.diff(tr.step_ptr) > 0]] = True     # first packet of each step
    same = ~first[1:]
    if (same & (np.diff(tr.src) < 0)).any():
        raise ValueError("traffic: within a step, packets must be grouped by ascending source")
    if (same & (np.diff(tr.src) == 0) & (np.diff(tr.ready) < 0)).any():
        raise ValueError("traffic: a source's ready cycles must not decrease")
