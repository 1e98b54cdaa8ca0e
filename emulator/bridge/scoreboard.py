"""Scoreboard: the RTL's Trace against the emulator's, exactly, and the first divergence.

Per timestep, in the order the hardware produces them:

1. deliver phase, per core: input-axon events, synaptic ops, deliver cycles
2. update phase, per neuron (core order): spike, u, u_inh, v, th after the update
3. update phase, per core: neuron updates, spikes, packets, update cycles
4. learn phase of a plastic image, per core (``learning.compare_step``): x0-x2 of every plastic
   row, y0-y3 of every learning neuron, every plastic weight, learn counters, cycles and LFSR
5. cycle-mode router (``noc.divergence``): every packet's arrival cycle, destination core and axon,
   and source, in the order a monitor watching the arrivals would notice a difference
6. the timestep's cycles (slowest core (+ router stalls), last packet arrival, + barrier)

The first mismatch in that order is the divergence; its report names the timestep, the chip
cycle (model cycles of the earlier timesteps plus the model's cycle of that operation within the
timestep), the core, the neuron, the field, the expected and the RTL values, and a few
timesteps of context of that field.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..image import ChipImage
from .expected import STATE_FIELDS, Trace

DELIVER_COUNTERS = ("axon_events", "synops")
UPDATE_COUNTERS = ("neuron_updates", "spikes", "packets")


@dataclass(frozen=True)
class Divergence:
    timestep: int
    cycle: int                 #: chip cycle (from the start of the run) of the diverging operation
    core: int | None
    neuron: int | None         #: global neuron id (None for per-core and per-step fields)
    local: int | None          #: neuron index within its core
    field: str
    expected: int
    got: int
    context: str = ""
    axon: int | None = None    #: global input-axon row (learn phase: pre traces, weights)
    synapse: int | None = None #: global synapse id (learn phase: weights)
    src: str | None = None     #: a packet's source ("core 1", "host"); core is its destination

    def format(self) -> str:
        where = f"core {self.core}" if self.core is not None else "chip"
        if self.src is not None:
            where = f"packet {self.src} -> {where}"
        if self.synapse is not None:
            where += f", synapse {self.synapse}"
        if self.axon is not None:
            where += f", input axon {self.axon}"
        if self.neuron is not None:
            where += f", neuron {self.local} (global id {self.neuron})"
        return (f"first divergence at timestep {self.timestep}, cycle {self.cycle}, {where}: "
                f"{self.field} expected {self.expected}, got {self.got}\n{self.context}")


def compare(image: ChipImage, want: Trace, got: Trace, context: int = 3) -> Divergence | None:
    """The first divergence of ``got`` (RTL) from ``want`` (emulator), or None when they agree."""
    steps = min(want.timesteps, got.timesteps)
    start = np.concatenate([[0], np.cumsum(want.step_cycles)])
    for t in range(steps):
        d = _step(image, want, got, t, int(start[t]))
        if d is not None:
            return Divergence(**{**d.__dict__, "context": d.context or _context(image, want, got, d, context)})
    if want.timesteps != got.timesteps:
        return Divergence(steps, int(start[steps]), None, None, None, "timesteps run", want.timesteps,
                          got.timesteps)
    return None


def _step(image, want, got, t, t0) -> Divergence | None:
    cc = image.chip.cycles
    for c in range(image.n_cores):
        for name in DELIVER_COUNTERS:
            if want.counters[name][t, c] != got.counters[name][t, c]:
                return Divergence(t, t0 + int(want.deliver_cycles[t, c]), c, None, None, name,
                                  int(want.counters[name][t, c]), int(got.counters[name][t, c]))
        if want.deliver_cycles[t, c] != got.deliver_cycles[t, c]:
            return Divergence(t, t0 + int(want.deliver_cycles[t, c]), c, None, None, "deliver_cycles",
                              int(want.deliver_cycles[t, c]), int(got.deliver_cycles[t, c]))
    for c in range(image.n_cores):
        lo, hi = int(image.neuron_ptr[c]), int(image.neuron_ptr[c + 1])
        cycle = t0 + int(want.deliver_cycles[t, c])
        for n in range(lo, hi):
            cycle += cc.neuron_update
            fields = [("spike", want.spikes[t, n], got.spikes[t, n])]
            fields += [(f, want.state[f][t, n], got.state[f][t, n]) for f in STATE_FIELDS]
            for name, w, g in fields:
                if w != g:
                    return Divergence(t, cycle, c, n, n - lo, name, int(w), int(g))
            if want.spikes[t, n]:
                cycle += cc.spike_out * int(image.out_ptr[n + 1] - image.out_ptr[n])
    for c in range(image.n_cores):
        end = t0 + int(want.deliver_cycles[t, c] + want.update_cycles[t, c])
        for name in UPDATE_COUNTERS:
            if want.counters[name][t, c] != got.counters[name][t, c]:
                return Divergence(t, end, c, None, None, name, int(want.counters[name][t, c]),
                                  int(got.counters[name][t, c]))
        if want.update_cycles[t, c] != got.update_cycles[t, c]:
            return Divergence(t, end, c, None, None, "update_cycles", int(want.update_cycles[t, c]),
                              int(got.update_cycles[t, c]))
    if "w" in want.extra:                   # 4. learn phase (emulator.bridge.learning)
        from .learning import compare_step
        d = compare_step(image, want, got, t, t0)
        if d is not None:
            return d
    if "pkt_step" in want.extra:            # 5. every packet's arrival (cycle-mode router, bridge.noc)
        from .noc import divergence as packet_divergence
        d = packet_divergence(image, want, got, t, t0)
        if d is not None:
            return d
    if want.step_cycles[t] != got.step_cycles[t]:
        return Divergence(t, t0 + int(want.step_cycles[t]), None, None, None, "step_cycles",
                          int(want.step_cycles[t]), int(got.step_cycles[t]))
    return None


def _series(trace: Trace, d: Divergence, t: int):
    if d.neuron is not None:
        if d.field == "spike":
            return int(trace.spikes[t, d.neuron])
        return int(trace.state[d.field][t, d.neuron])
    if d.field == "deliver_cycles":
        return int(trace.deliver_cycles[t, d.core])
    if d.field == "update_cycles":
        return int(trace.update_cycles[t, d.core])
    if d.field == "step_cycles":
        return int(trace.step_cycles[t])
    return int(trace.counters[d.field][t, d.core])


def _context(image, want, got, d: Divergence, k: int) -> str:
    """The field around the divergence: k timesteps before it, and it, for both sides."""
    steps = range(max(0, d.timestep - k), min(d.timestep + 1, want.timesteps, got.timesteps))
    rows = [f"  {'timestep':>8}  {'expected':>12}  {'got':>12}"]
    for t in steps:
        w, g = _series(want, d, t), _series(got, d, t)
        rows.append(f"  {t:>8}  {w:>12}  {g:>12}{'   <-- diverges' if w != g else ''}")
    if d.neuron is not None:
        extra = ", ".join(f"{f}={int(want.state[f][d.timestep, d.neuron])}/{int(got.state[f][d.timestep, d.neuron])}"
                          for f in STATE_FIELDS)
        rows.append(f"  at timestep {d.timestep} (expected/got): spike={int(want.spikes[d.timestep, d.neuron])}/"
                    f"{int(got.spikes[d.timestep, d.neuron])}, {extra}")
    return "\n".join(rows)


def summary(image: ChipImage, want: Trace) -> str:
    """What an agreeing comparison covered."""
    T, n = want.timesteps, image.n_neurons
    return (f"{T} timesteps x {n} neurons on {image.n_cores} core(s): {int(want.spikes.sum())} spikes, "
            f"{T * n * len(STATE_FIELDS)} register values ({', '.join(STATE_FIELDS)}), "
            f"{T * image.n_cores * (len(DELIVER_COUNTERS) + len(UPDATE_COUNTERS) + 2)} per-core counters and "
            f"phase cycle counts, {T} step cycle counts ({int(want.step_cycles.sum())} cycles) -- all exact"
            + (f"; {_learning_summary(image, want)}" if "w" in want.extra else "")
            + (f"; {want.extra['pkt_step'].size} packet arrival cycles (cycle-mode router: source, destination "
               "core and axon of each)" if "pkt_step" in want.extra else ""))


def _learning_summary(image: ChipImage, want: Trace) -> str:
    from .learning import summary as learning_summary
    return learning_summary(image, want)
