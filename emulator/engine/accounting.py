"""Cycle and energy accounting from the per-core event counters.

The core is a sequential datapath (ARCHITECTURE.md §2); per timestep and core:

    deliver_cycles = axon_event * axon_events + synop * synops
    update_cycles  = neuron_update * neuron_updates + dendrite_update * dendrite_updates
                     + spike_out * packets
    learn_cycles   = learn_synapse * learn_synapses + trace_update * trace_updates
                     + learn_epoch * learn_epochs                   (0 without plastic synapses)
    core_cycles    = deliver_cycles + update_cycles + learn_cycles (+ stall_cycles waiting for the router)
    step_cycles    = max(max over cores (core_cycles), last packet arrival) + barrier

(the timestep is barrier-synchronous: it lasts as long as its slowest core, and in
the router's cycle mode until the network is empty; docs/router.md).
Energy is counts times the chip's price table.
"""
from __future__ import annotations

import numpy as np

from ..config.types import ChipSpec
from .._jit import kernel
from .kernels import (AXON_EVENTS, COUNTER_NAMES, DENDRITE_UPDATES, HOPS, LEARN_EPOCHS, LEARN_SYNAPSES, NEURON_UPDATES,
                      PACKETS, SYNOPS, TRACE_UPDATES)


def phase_costs(chip: ChipSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycles per event of each counter in the deliver, update and learn phases: three int64
    vectors of len(COUNTER_NAMES) (0 where the counter is not that phase's work, e.g. hops)."""
    c = chip.cycles
    deliver, update, learn = (np.zeros(len(COUNTER_NAMES), np.int64) for _ in range(3))
    deliver[AXON_EVENTS], deliver[SYNOPS] = c.axon_event, c.synop
    update[NEURON_UPDATES], update[DENDRITE_UPDATES], update[PACKETS] = c.neuron_update, c.dendrite_update, c.spike_out
    learn[LEARN_SYNAPSES], learn[TRACE_UPDATES], learn[LEARN_EPOCHS] = c.learn_synapse, c.trace_update, c.learn_epoch
    return deliver, update, learn


def phase_cycles(counters: np.ndarray, chip: ChipSpec) -> tuple[np.ndarray, np.ndarray]:
    """(deliver, update) cycles, each (steps, cores) int64, from counters (steps, cores, counters)."""
    deliver, update, _ = phase_costs(chip)
    return counters @ deliver, counters @ update


def soma_pass_start(counters: np.ndarray, chip: ChipSpec) -> np.ndarray:
    """Cycle (steps, cores) at which a core starts updating its somas: the update phase first
    steps the dendritic compartments of its two-compartment neurons, then every soma in order
    (so the router's injection times are ``soma_pass_start + (i + 1) * neuron_update + ...``)."""
    return phase_cycles(counters, chip)[0] + chip.cycles.dendrite_update * counters[..., DENDRITE_UPDATES]


def learn_cycles(counters: np.ndarray, chip: ChipSpec) -> np.ndarray:
    """Learn-phase cycles (steps, cores) int64: plastic synapses, trace updates, epochs."""
    return counters @ phase_costs(chip)[2]


def cycle_costs(chip: ChipSpec) -> np.ndarray:
    """int64 (len(COUNTER_NAMES),): datapath cycles per event of each counter, all phases."""
    return sum(phase_costs(chip))


def step_cycles(counters: np.ndarray, chip: ChipSpec, noc=None,
                totals: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(cycles of each timestep, mean core cycles of each timestep).

    ``core_c = deliver_c + update_c + learn_c`` is the dot product of the core's counters
    with ``cycle_costs``. With a NoC chunk (``emulator.router.NocChunk``, cycle mode), a core
    finishes ``core_stall`` cycles later (its datapath waited for router credit) and the step
    also waits for its last packet: ``max(max_c (core_c + stall_c), last_arrival) + barrier``.
    ``totals`` (cores, counters), when given, gets the counters summed over the steps.
    """
    steps, cores = counters.shape[0], counters.shape[1]
    stall = noc.core_stall if noc is not None else np.zeros((0, 0), np.int64)
    last = noc.last_arrival if noc is not None else np.zeros(steps, np.int64)
    cycles, mean = np.zeros(steps, np.int64), np.zeros(steps)
    _step_cycles(np.ascontiguousarray(counters, np.int64), cycle_costs(chip), np.asarray(stall, np.int64),
                 np.asarray(last, np.int64), int(chip.cycles.barrier), cycles, mean,
                 totals if totals is not None else np.zeros((cores, counters.shape[2]), np.int64))
    return cycles, mean


@kernel
def _step_cycles(counters, cost, stall, last, barrier, cycles, mean, totals):
    """One pass over the chunk's counters: per step the slowest core and the mean, and the totals."""
    steps, cores, n_counters = counters.shape
    for k in range(steps):
        slowest = np.int64(0)
        summed = np.int64(0)
        for c in range(cores):
            core = np.int64(0)
            for i in range(n_counters):
                core += cost[i] * counters[k, c, i]
                totals[c, i] += counters[k, c, i]
            if stall.shape[0] > 0:
                core += stall[k, c]
            slowest = max(slowest, core)
            summed += core
        cycles[k] = max(slowest, last[k]) + barrier
        mean[k] = summed / cores if cores > 0 else 0.0


def energy_pj(totals: np.ndarray, chip: ChipSpec, hops: int | None = None) -> dict:
    """Energy breakdown in pJ from counter totals summed over cores, shape (6,).

    ``hops``: router hops counted by the NoC model (chip and host packets); default
    the cores' HOPS counter (chip packets only).
    """
    e = chip.energy
    parts = {
        "synops": float(totals[SYNOPS]) * e.synop_pj,
        # a dendritic compartment is one more compartment update (Loihi prices them alike)
        "neuron_updates": float(totals[NEURON_UPDATES] + totals[DENDRITE_UPDATES]) * e.neuron_update_pj,
        "spikes": float(totals[PACKETS]) * e.spike_pj,
        "hops": float(totals[HOPS] if hops is None else hops) * e.hop_pj,
        "learning": (float(totals[LEARN_SYNAPSES]) * e.learn_update_pj
                     + float(totals[TRACE_UPDATES]) * e.trace_update_pj),
    }
    parts["total"] = sum(parts.values())
    return parts
