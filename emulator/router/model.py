"""NocModel: the network-on-chip of a Simulation, run after the engine on each chunk of timesteps.

The engine computes spikes without the router (the timestep is barrier-synchronous,
so spike values never depend on router timing); the NoC then replays each step's
packets -- cycle by cycle in ``cycle`` mode, as counts along XY routes in ``fast``
mode -- and returns what the step's cycle count needs::

    step_cycles = max(max_c (deliver_c + update_c + stall_c), last_arrival) + barrier

(``emulator/engine/accounting.py``; ``stall_c`` and ``last_arrival`` are 0 in fast mode).
"""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import NamedTuple

import numpy as np

from ..errors import ResumeError
from .cycle import RouterState, Stats, make_fabric, run
from .mesh import PORTS, make_mesh
from .stats import NocStats, grid
from .traffic import build_traffic, count_routes, out_tables, packets_per_step

#: packets routed per kernel call (bounds the traffic arrays of one call to ~100 MB)
BATCH_PACKETS = 1 << 22


class NocChunk(NamedTuple):
    """Per-step NoC figures of one chunk (all zero in fast mode)."""
    last_arrival: np.ndarray   #: int64 (steps,): cycle the step's last packet reached its core
    core_stall: np.ndarray     #: int64 (steps, n_cores): cycles each core's datapath waited for credit
    stalls: np.ndarray         #: int64 (steps,): head-of-line stall cycles in the routers
    inj_stalls: np.ndarray     #: int64 (steps,): cycles sources waited to inject


class NocModel:
    """The mesh of a ChipImage (``image.chip.router`` chooses the mode); see docs/router.md."""

    def __init__(self, image):
        chip = image.chip
        self.spec = chip.router
        self.cycle_mode = self.spec.mode == "cycle"
        self.width, self.height = chip.mesh_width, chip.mesh_height
        self.n_cores = image.n_cores
        self.mesh = make_mesh(self.width, self.height, image.core_xy)
        self.tables = out_tables(image, self.mesh.core_router)
        self.costs = (chip.cycles.neuron_update, chip.cycles.spike_out)
        self.fabric = make_fabric(self.mesh, self.spec)
        n_routers = self.width * self.height
        self.state = RouterState.empty(n_routers if self.cycle_mode else 0, self.spec.fifo_depth)
        self.link_load = np.zeros(n_routers * PORTS, np.int64)
        self.max_fifo = np.zeros(n_routers * PORTS, np.int64)
        self.host_packets = 0
        # fast mode counts spikes per source and routes them only when the loads are read
        self._sends = np.zeros(image.n_neurons, np.int64)
        self._host_sends = np.zeros(image.host_out_ptr.size - 1, np.int64)
        self._history: list[tuple[np.ndarray, ...]] = []     # per chunk: last_arrival, stalls, inj_stalls

    # ------------------------------------------------------------------ running
    def run_chunk(self, t0: int, spike_t, spike_id, deliver, host_ptr, host_ids) -> NocChunk:
        """Route the packets of steps ``t0 .. t0 + len(deliver) - 1``.

        ``spike_t/spike_id``: the chunk's spikes; ``deliver``: int64 (steps, cores)
        cycle at which each core starts its soma pass (cycle mode; fast mode reads only its length); ``host_ptr[k] .. host_ptr[k + 1]`` index the host ids
        emitted at step ``t0 + k`` (in ``host_ids``). Zero steps compile the kernels.
        """
        steps = deliver.shape[0]
        if not self.cycle_mode:     # no per-step figures: only the link loads, summed per source
            self._sends += np.bincount(np.asarray(spike_id, np.int64), minlength=self._sends.size)
            emitted = np.asarray(host_ids[host_ptr[0]:host_ptr[-1]], np.int64)
            self._host_sends += np.bincount(emitted, minlength=self._host_sends.size)
            self.host_packets += int(np.diff(self.tables.host_out_ptr)[emitted].sum())
            zeros = np.zeros(steps, np.int64)
            self._history.append((zeros, zeros, zeros))
            return NocChunk(zeros, np.zeros((steps, self.n_cores), np.int64), zeros, zeros)
        spike_t, spike_id = _datapath_order(np.asarray(spike_t, np.int64), np.asarray(spike_id, np.int64))
        host_ptr = np.asarray(host_ptr, np.int64)
        counts = packets_per_step(self.tables, t0, steps, spike_t, spike_id, host_ptr, host_ids)
        out = NocChunk(np.zeros(steps, np.int64), np.zeros((steps, self.n_cores), np.int64),
                       np.zeros(steps, np.int64), np.zeros(steps, np.int64))
        for a, b in _batches(counts) if steps else [(0, 0)]:
            lo, hi = np.searchsorted(spike_t, [t0 + a, t0 + b])
            tr = build_traffic(self.tables, self.costs, t0 + a, spike_t[lo:hi], spike_id[lo:hi], deliver[a:b],
                               host_ptr[a:b + 1], host_ids)
            self.host_packets += int(np.count_nonzero(tr.src == self.n_cores))
            self._route(tr, NocChunk(*(x[a:b] for x in out)))
        self._history.append((out.last_arrival, out.stalls, out.inj_stalls))
        return out

    def _flush(self) -> None:
        """Fast mode: route the spikes counted since the last call into ``link_load``."""
        if self.cycle_mode or not (self._sends.any() or self._host_sends.any()):
            return
        tb = self.tables
        count_routes(self.width, self.mesh.source_fifo, self.n_cores, tb.neuron_ptr, tb.out_ptr, tb.out_router,
                     self._sends, tb.host_out_ptr, tb.host_out_router, self._host_sends, self.link_load)
        self._sends[:] = 0
        self._host_sends[:] = 0

    def _route(self, tr, out: NocChunk) -> None:
        n = tr.src.size
        run(self.fabric, tr, self.state, Stats(self.link_load, self.max_fifo, np.zeros(n, np.int64), *out,
                                               np.zeros(n, np.int64), np.zeros((0, 4), np.int64),
                                               np.zeros(1, np.int64)))

    # ------------------------------------------------------------------ results
    def stats(self) -> NocStats:
        """Everything routed so far (per-step figures of every chunk, concatenated)."""
        self._flush()
        cols = list(zip(*self._history)) or [(), (), ()]
        last, stalls, inj = (np.concatenate(c) if c else np.zeros(0, np.int64) for c in cols)
        return NocStats(self.spec, self.width, self.height, grid(self.link_load, self.width, self.height).copy(),
                        grid(self.max_fifo, self.width, self.height).copy(), self.host_packets,
                        last if self.cycle_mode else np.zeros(0, np.int64), stalls, inj)

    # ------------------------------------------------------------------ checkpoints
    def state_arrays(self) -> dict:
        """Everything a resumed run needs: arbiter pointers, accumulated loads, per-step figures."""
        s = self.stats()
        return {"noc_spec": np.array(json.dumps(asdict(self.spec))), "noc_rr": self.state.rr,
                "noc_link_load": self.link_load, "noc_max_fifo": self.max_fifo,
                "noc_host_packets": np.int64(self.host_packets), "noc_last_arrival": s.noc_cycles,
                "noc_stalls": s.stalls, "noc_inj_stalls": s.inj_stalls}

    def load_state(self, z) -> None:
        if "noc_spec" not in z or str(z["noc_spec"]) != json.dumps(asdict(self.spec)):
            raise ResumeError("the checkpoint was written with other router settings (chip.router); "
                              "rerun without --resume")
        self.state.rr[:] = z["noc_rr"]
        self.link_load[:], self.max_fifo[:] = z["noc_link_load"], z["noc_max_fifo"]
        self.host_packets = int(z["noc_host_packets"])
        stalls = z["noc_stalls"].copy()
        last = z["noc_last_arrival"].copy() if self.cycle_mode else np.zeros(stalls.size, np.int64)
        self._history = [(last, stalls, z["noc_inj_stalls"].copy())]


def _datapath_order(spike_t: np.ndarray, spike_id: np.ndarray):
    """Spikes sorted by (step, neuron id): core order, then the order each core updates its neurons."""
    if spike_t.size > 1:
        step, d_id = np.diff(spike_t), np.diff(spike_id)
        if (step < 0).any() or ((step == 0) & (d_id < 0)).any():
            order = np.lexsort((spike_id, spike_t))
            return spike_t[order], spike_id[order]
    return spike_t, spike_id


def _batches(counts: np.ndarray):
    """Consecutive step ranges [a, b) of at most BATCH_PACKETS packets (a single bigger step alone)."""
    a, steps = 0, counts.size
    cum = np.concatenate([[0], np.cumsum(counts)])
    while a < steps:
        b = int(np.searchsorted(cum, cum[a] + BATCH_PACKETS, side="right")) - 1
        b = min(max(b, a + 1), steps)
        yield a, b
        a = b
