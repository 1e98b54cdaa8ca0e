"""What the emulator says a ChipImage does, timestep by timestep: the scoreboard's reference.

``emulate`` runs the emulator's own compiled timestep (``emulator.engine.kernels.run_chunk``,
the kernel ``Simulation.run`` drives) on a ``Simulation`` of the image, with every neuron probed
and the per-core counters of every timestep kept (``Results`` keeps only their totals). The
phase cycles come from the cycle model ``emulator.engine.accounting.phase_cycles`` and
``step_cycles``. Nothing of the model is re-implemented here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..engine.accounting import phase_cycles, step_cycles
from ..engine.kernels import COUNTER_NAMES, PROBE_VARS, run_chunk, used_counters
from ..engine.simulation import Simulation, recorded_spikes
from ..image import ChipImage
from ..io.stimulus import Stimulus
from .learning import learns, run_stepwise

#: per-core per-timestep counters compared with the RTL (emulator counter index, RTL counter name)
#: the engine counters the RTL also keeps, with their column in the engine's counter array
COUNTERS = tuple((name, COUNTER_NAMES.index(name))
                 for name in ("axon_events", "synops", "neuron_updates", "spikes", "packets"))
STATE_FIELDS = ("u", "u_inh", "v", "th")     #: registers compared for every neuron after every update


@dataclass
class Trace:
    """Per-timestep observations of one run (emulator or RTL), in global neuron ids and image cores."""
    spikes: np.ndarray                    #: bool (T, N): the neuron spiked in this timestep's update
    state: dict                           #: field -> int64 (T, N), registers after the update
    counters: dict                        #: name -> int64 (T, cores): events of this timestep
    deliver_cycles: np.ndarray            #: int64 (T, cores)
    update_cycles: np.ndarray             #: int64 (T, cores)
    step_cycles: np.ndarray               #: int64 (T,): max core (deliver + update) + barrier
    wall_s: float = 0.0                   #: time the run took (kernel or simulator)
    extra: dict = field(default_factory=dict)

    @property
    def timesteps(self) -> int:
        return int(self.step_cycles.size)

    def to_npz(self) -> dict:
        out = {"spikes": self.spikes, "deliver_cycles": self.deliver_cycles, "update_cycles": self.update_cycles,
               "step_cycles": self.step_cycles, "wall_s": np.float64(self.wall_s)}
        out.update({f"state_{k}": v for k, v in self.state.items()})
        out.update({f"counter_{k}": v for k, v in self.counters.items()})
        out.update({f"extra_{k}": v for k, v in self.extra.items()})       # learning state (bridge.learning)
        return out

    @classmethod
    def from_npz(cls, z) -> "Trace":
        return cls(spikes=z["spikes"], state={k: z[f"state_{k}"] for k in STATE_FIELDS},
                   counters={k: z[f"counter_{k}"] for k, _ in COUNTERS}, deliver_cycles=z["deliver_cycles"],
                   update_cycles=z["update_cycles"], step_cycles=z["step_cycles"], wall_s=float(z["wall_s"]),
                   extra={k[len("extra_"):]: z[k] for k in z.files if k.startswith("extra_")})


def host_spikes_per_step(stimulus: Stimulus, timesteps: int) -> list[np.ndarray]:
    """Host spike ids delivered at each timestep t (emitted at t - 1), as the engine reads them."""
    ptr, ids = stimulus.window(-1, timesteps - 1)
    return [ids[ptr[t]:ptr[t + 1]].astype(np.int64) for t in range(timesteps)]


def emulate(image: ChipImage, stimulus: Stimulus | None, timesteps: int, reward=None) -> Trace:
    """Run the emulator for ``timesteps`` steps from the image's initial state; return its Trace.

    A plastic image runs one step at a time (``learning.run_stepwise``, the same kernel) so the Trace's
    ``extra`` holds the learning state after every step; ``reward``: r of every neuron (default 0).
    """
    sim = Simulation(image, stimulus)
    if reward is not None and sim.buffers.reward.size:
        sim.buffers.reward[:] = reward
    sim._compile()                                   # JIT outside the timed call
    n = image.n_neurons
    host_ptr, host_ids = sim.stimulus.window(-1, timesteps - 1)
    rec = sim.new_recorder(timesteps, np.arange(n, dtype=np.int64), every_spike=True)   # never full
    start = time.perf_counter()
    if learns(image):
        t_end, extra = run_stepwise(sim, rec, host_ptr, host_ids, timesteps)
    else:
        t_end, extra = run_chunk(0, timesteps, sim.tables, sim.params, sim.state, sim.buffers, host_ptr, host_ids,
                                 rec, np.zeros(2, np.int64)), {}
    wall = time.perf_counter() - start
    if t_end != timesteps:                           # cannot happen with the capacity above
        raise RuntimeError(f"emulator stopped at step {t_end}")
    spike_t, spike_id = recorded_spikes(rec)
    spikes = np.zeros((timesteps, n), bool)
    spikes[spike_t, spike_id] = True
    state = {name: rec.probe_vals[:, :, PROBE_VARS.index(name)].astype(np.int64) for name in STATE_FIELDS}
    deliver, update = phase_cycles(used_counters(rec.counters), image.chip)
    noc = None
    if image.chip.router.mode == "cycle":            # every packet through the router model (bridge.noc)
        from .noc import route_run
        hp, hi = sim.stimulus.window(0, timesteps)   # host spikes travel in the step that emits them
        packets, noc = route_run(image, spike_t, spike_id, deliver, hp, hi)
        extra = {**extra, **packets.to_extra()}
    steps, _ = step_cycles(used_counters(rec.counters), image.chip, noc)
    counters = {name: rec.counters[:, :, i].astype(np.int64) for name, i in COUNTERS}
    return Trace(spikes, state, counters, deliver.astype(np.int64), update.astype(np.int64),
                 steps.astype(np.int64), wall, extra)
