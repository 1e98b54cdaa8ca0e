"""Cycle and energy accounting from the per-core event counters.

The core is a sequential datapath (ARCHITECTURE.md §2); per timestep and core:

    deliver_cycles = axon_event * axon_events + synop * synops
    update_cycles  = neuron_update * neuron_updates + spike_out * packets
    core_cycles    = deliver_cycles + update_cycles
    step_cycles    = max over cores (core_cycles) + barrier

(the timestep is barrier-synchronous: it lasts as long as its slowest core).
Energy is counts times the chip's price table.
"""
from __future__ import annotations

import numpy as np

from ..config.types import ChipSpec
from .kernels import AXON_EVENTS, HOPS, NEURON_UPDATES, PACKETS, SYNOPS


def phase_cycles(counters: np.ndarray, chip: ChipSpec) -> tuple[np.ndarray, np.ndarray]:
    """(deliver, update) cycles, each (steps, cores) int64, from counters (steps, cores, 6)."""
    c = chip.cycles
    deliver = c.axon_event * counters[..., AXON_EVENTS] + c.synop * counters[..., SYNOPS]
    update = c.neuron_update * counters[..., NEURON_UPDATES] + c.spike_out * counters[..., PACKETS]
    return deliver, update


def step_cycles(counters: np.ndarray, chip: ChipSpec) -> tuple[np.ndarray, np.ndarray]:
    """(cycles of each timestep, mean core cycles of each timestep)."""
    deliver, update = phase_cycles(counters, chip)
    core = deliver + update
    if core.shape[1] == 0:
        return np.full(core.shape[0], chip.cycles.barrier, np.int64), np.zeros(core.shape[0])
    return core.max(axis=1) + chip.cycles.barrier, core.mean(axis=1)


def energy_pj(totals: np.ndarray, chip: ChipSpec) -> dict:
    """Energy breakdown in pJ from counter totals summed over cores, shape (6,)."""
    e = chip.energy
    parts = {
        "synops": float(totals[SYNOPS]) * e.synop_pj,
        "neuron_updates": float(totals[NEURON_UPDATES]) * e.neuron_update_pj,
        "spikes": float(totals[PACKETS]) * e.spike_pj,
        "hops": float(totals[HOPS]) * e.hop_pj,
    }
    parts["total"] = sum(parts.values())
    return parts
