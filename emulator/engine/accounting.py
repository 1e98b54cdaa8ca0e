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
from .kernels import (AXON_EVENTS, DENDRITE_UPDATES, HOPS, LEARN_EPOCHS, LEARN_SYNAPSES, NEURON_UPDATES, PACKETS, SYNOPS,
                      TRACE_UPDATES)


def phase_cycles(counters: np.ndarray, chip: ChipSpec) -> tuple[np.ndarray, np.ndarray]:
    """(deliver, update) cycles, each (steps, cores) int64, from counters (steps, cores, 6)."""
    c = chip.cycles
    deliver = c.axon_event * counters[..., AXON_EVENTS] + c.synop * counters[..., SYNOPS]
    update = (c.neuron_update * counters[..., NEURON_UPDATES] + c.dendrite_update * counters[..., DENDRITE_UPDATES]
              + c.spike_out * counters[..., PACKETS])
    return deliver, update


def soma_pass_start(counters: np.ndarray, chip: ChipSpec) -> np.ndarray:
    """Cycle (steps, cores) at which a core starts updating its somas: the update phase first
    steps the dendritic compartments of its two-compartment neurons, then every soma in order
    (so the router's injection times are ``soma_pass_start + (i + 1) * neuron_update + ...``)."""
    return phase_cycles(counters, chip)[0] + chip.cycles.dendrite_update * counters[..., DENDRITE_UPDATES]


def learn_cycles(counters: np.ndarray, chip: ChipSpec) -> np.ndarray:
    """Learn-phase cycles (steps, cores) int64: plastic synapses, trace updates, epochs."""
    c = chip.cycles
    return (c.learn_synapse * counters[..., LEARN_SYNAPSES] + c.trace_update * counters[..., TRACE_UPDATES]
            + c.learn_epoch * counters[..., LEARN_EPOCHS])


def step_cycles(counters: np.ndarray, chip: ChipSpec, noc=None) -> tuple[np.ndarray, np.ndarray]:
    """(cycles of each timestep, mean core cycles of each timestep).

    With a NoC chunk (``emulator.router.NocChunk``, cycle mode), a core finishes
    ``core_stall`` cycles later (its datapath waited for router credit) and the step
    also waits for its last packet:
    ``max(max_c (deliver_c + update_c + stall_c), last_arrival) + barrier``.
    """
    deliver, update = phase_cycles(counters, chip)
    core = deliver + update + learn_cycles(counters, chip)
    last = np.zeros(core.shape[0], np.int64)
    if noc is not None:
        core = core + noc.core_stall
        last = noc.last_arrival
    if core.shape[1] == 0:
        return last + chip.cycles.barrier, np.zeros(core.shape[0])
    return np.maximum(core.max(axis=1), last) + chip.cycles.barrier, core.mean(axis=1)


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
