"""The packets of a run of timesteps, and the cycle at which each is ready to leave its source.

Injection model (cycle 0 = start of the timestep; costs from ``chip.cycles``, docs/chip.md).
Core ``c`` first consumes its input events (the deliver phase) for
``D_c = axon_event * axon_events + synop * synops`` cycles, then updates its local
neurons ``i = 0, 1, ...`` in order, ``neuron_update`` cycles each, and right after a
neuron's update sends its packets one by one, ``spike_out`` cycles each. So the
``j``-th packet the core sends in the step (``j = 0, 1, ...`` over all its spikes),
sent by local neuron ``i``, is ready at::

    ready = D_c + (i + 1) * neuron_update + (j + 1) * spike_out

and the core's last cycle is ``D_c + n_c * neuron_update + P_c * spike_out`` (deliver
+ update of the accounting). Host packets of a step (host ids in order, each id's
output entries in order) are ready at cycles ``0, 1, 2, ...``: one per cycle over
the host link. A packet leaves at its ready cycle unless backpressure stalls its
source (``cycle.py``).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._jit import kernel
from .mesh import PORTS, L, neighbour, xy_port_of


class Traffic(NamedTuple):
    """Packets of a range of timesteps, grouped by step, then source, then sending order."""
    step_ptr: np.ndarray   #: int64 (steps + 1): packets of step k are step_ptr[k] .. step_ptr[k + 1] - 1
    src: np.ndarray        #: int64 (n): source: core index, or n_cores for the host link
    dst: np.ndarray        #: int64 (n): destination router
    ready: np.ndarray      #: int64 (n): nominal injection cycle within its step
    axon: np.ndarray       #: int64 (n): destination input axon (the packet's payload; timing ignores it)


class OutTables(NamedTuple):
    """The ChipImage's output-axon tables with each entry's destination router."""
    neuron_ptr: np.ndarray       #: int64 (n_cores + 1)
    out_ptr: np.ndarray          #: int64 (n_neurons + 1)
    out_router: np.ndarray       #: int64 (n_out): router of the destination core of each entry
    out_axon: np.ndarray         #: int64 (n_out): its input axon
    host_out_ptr: np.ndarray     #: int64 (n_host + 1)
    host_out_router: np.ndarray  #: int64 (n_host_out)
    host_out_axon: np.ndarray    #: int64 (n_host_out)


def out_tables(image, core_router: np.ndarray) -> OutTables:
    """OutTables of a ChipImage (destination core = the core of the entry's input axon)."""
    axon_router = core_router[image.axon_core]
    return OutTables(image.neuron_ptr.astype(np.int64), image.out_ptr.astype(np.int64),
                     axon_router[image.out_axon].astype(np.int64), image.out_axon.astype(np.int64),
                     image.host_out_ptr.astype(np.int64), axon_router[image.host_out_axon].astype(np.int64),
                     image.host_out_axon.astype(np.int64))


def packets_per_step(tb: OutTables, t0: int, steps: int, spike_t, spike_id, host_ptr, host_ids) -> np.ndarray:
    """int64 (steps,): chip packets (one per output entry of each spike) plus host packets of each step."""
    fan_out = np.diff(tb.out_ptr)[spike_id]
    chip = np.bincount(spike_t - t0, weights=fan_out, minlength=steps)[:steps]
    host_cum = np.concatenate([[0], np.cumsum(np.diff(tb.host_out_ptr)[host_ids])])
    host = host_cum[host_ptr[1:]] - host_cum[host_ptr[:-1]]
    return chip.astype(np.int64) + host


def build_traffic(tb: OutTables, costs: tuple[int, int], t0: int, spike_t, spike_id, deliver, host_ptr,
                  host_ids) -> Traffic:
    """Traffic of steps ``t0 .. t0 + len(deliver) - 1``.

    ``spike_t/spike_id``: the steps' spikes, sorted by (step, id) -- the order the cores'
    datapaths emit them; ``deliver``: int64 (steps, cores) deliver-phase cycles ``D_c``;
    ``host_ptr[k] .. host_ptr[k + 1]`` index ``host_ids`` emitted at step ``t0 + k``;
    ``costs = (neuron_update, spike_out)``.
    """
    steps = deliver.shape[0]
    if host_ptr.size != steps + 1:
        raise ValueError(f"host_ptr has {host_ptr.size} entries for {steps} steps")
    counts = packets_per_step(tb, t0, steps, spike_t, spike_id, host_ptr, host_ids)
    step_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    n = int(step_ptr[-1])
    tr = Traffic(step_ptr, *(np.empty(n, np.int64) for _ in range(4)))
    _fill(t0, spike_t.astype(np.int64), spike_id.astype(np.int64), np.ascontiguousarray(deliver, np.int64),
          host_ptr.astype(np.int64), host_ids.astype(np.int64), tb, int(costs[0]), int(costs[1]), tr)
    return tr


@kernel
def _fill(t0, spike_t, spike_id, deliver, host_ptr, host_ids, tb, neuron_update, spike_out, tr):
    """Write every packet's source, destination and ready cycle (formulas in the module docstring)."""
    pos = tr.step_ptr[:-1].copy()
    c_prev, k_prev, j = -1, -1, 0
    for q in range(spike_t.size):
        k, n = spike_t[q] - t0, spike_id[q]
        c = np.searchsorted(tb.neuron_ptr, n, side="right") - 1
        if c != c_prev or k != k_prev:
            c_prev, k_prev, j = c, k, 0          # packet count j restarts per core and step
        updated = deliver[k, c] + (n - tb.neuron_ptr[c] + 1) * neuron_update
        for e in range(tb.out_ptr[n], tb.out_ptr[n + 1]):
            j += 1
            p = pos[k]
            tr.src[p], tr.dst[p], tr.axon[p] = c, tb.out_router[e], tb.out_axon[e]
            tr.ready[p] = updated + j * spike_out
            pos[k] = p + 1
    host = tb.neuron_ptr.size - 1
    for k in range(host_ptr.size - 1):
        i = 0
        for h in host_ids[host_ptr[k]:host_ptr[k + 1]]:
            for e in range(tb.host_out_ptr[h], tb.host_out_ptr[h + 1]):
                p = pos[k]
                tr.src[p], tr.dst[p], tr.axon[p] = host, tb.host_out_router[e], tb.host_out_axon[e]
                tr.ready[p] = i
                pos[k] = p + 1
                i += 1


@kernel
def count_links(width, source_fifo, tr, link_load):
    """Fast mode: walk every packet's XY route, adding 1 to each output port it uses; return the hops.

    ``link_load[5 * r + o]`` counts packets router ``r`` sent on output ``o``
    (``o = L``: delivered to its core). The same counts as cycle-accurate routing.
    """
    hops = 0
    for p in range(tr.src.size):
        hops += _add_route(width, source_fifo[tr.src[p]] // PORTS, tr.dst[p], 1, link_load)
    return hops


@kernel
def count_routes(width, source_fifo, n_cores, neuron_ptr, out_ptr, out_router, sends, host_out_ptr, host_out_router,
                 host_sends, link_load):
    """Fast mode, from spike counts: neuron ``n`` spiked ``sends[n]`` times, host source ``h``
    ``host_sends[h]`` times; add the packets of each of their output entries along its XY route.

    The same link loads as ``count_links`` on the packets one by one (a route depends only on
    the entry), in work per output entry instead of per packet.
    """
    for c in range(neuron_ptr.size - 1):
        for n in range(neuron_ptr[c], neuron_ptr[c + 1]):
            if sends[n] != 0:
                for e in range(out_ptr[n], out_ptr[n + 1]):
                    _add_route(width, source_fifo[c] // PORTS, out_router[e], sends[n], link_load)
    for h in range(host_sends.size):
        if host_sends[h] != 0:
            for e in range(host_out_ptr[h], host_out_ptr[h + 1]):
                _add_route(width, source_fifo[n_cores] // PORTS, host_out_router[e], host_sends[h], link_load)


@kernel
def _add_route(width, r, dst, count, link_load):
    """Add ``count`` packets from router ``r`` to router ``dst`` along the XY route, ejection
    included; return the route's mesh hops."""
    hops = 0
    o = xy_port_of(width, r, dst)
    while o != L:
        link_load[r * PORTS + o] += count
        hops += 1
        r = neighbour(width, r, o)
        o = xy_port_of(width, r, dst)
    link_load[r * PORTS + L] += count
    return hops
