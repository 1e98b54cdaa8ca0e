"""Results of a run: spikes, probes, counters, cycles, energy; saved atomically."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine.accounting import energy_pj
from ..engine.kernels import COUNTER_NAMES, PROBE_VARS
from ..image import ChipImage, atomic_write


@dataclass(eq=False)
class Results:
    image: ChipImage
    t_start: int
    timesteps: int
    spike_t: np.ndarray            #: int64 timestep of every spike
    spike_id: np.ndarray           #: int32 global chip neuron id of every spike
    probes: dict                   #: (population, variable) -> int32 (timesteps, n) ; see probe_indices
    probe_indices: dict            #: population -> tuple of probed neuron indices
    counter_totals: np.ndarray     #: int64 (cores, 6), see COUNTER_NAMES
    step_cycles: np.ndarray        #: int64 (timesteps,): max core cycles + barrier
    mean_core_cycles: np.ndarray   #: float (timesteps,)
    wall_s: float
    jit_s: float = 0.0             #: kernel compilation / cache loading, not in wall_s
    extra: dict = field(default_factory=dict)
    noc: object = None             #: emulator.router.NocStats: router figures (docs/router.md)
    learned_weights: np.ndarray | None = None   #: int16 (n_synapses): weights after learning (plastic images)
    learned_tables: dict | None = None   #: axon_syn_ptr / syn_target / syn_delay as rewired (docs/structural.md)
    engine_bytes: int = 0          #: tables the engine built beside the image (source-major synapses, narrow registers)

    @classmethod
    def from_simulation(cls, sim) -> "Results":
        cat = np.concatenate
        vals = cat(sim._probe_vals) if sim._probe_vals else np.zeros((0, sim.probe_ids.size, len(PROBE_VARS)))
        probes, indices, col = {}, {}, 0
        for p in sim.probes:
            n = len(p.indices)
            indices[p.population] = tuple(p.indices)
            for var in p.variables:
                probes[(p.population, var)] = vals[:, col:col + n, PROBE_VARS.index(var)]
            col += n
        return cls(sim.image, sim.t_start, sim.t - sim.t_start,
                   cat(sim._spike_t) if sim._spike_t else np.zeros(0, np.int64),
                   cat(sim._spike_id) if sim._spike_id else np.zeros(0, np.int32),
                   probes, indices, sim.counter_totals.copy(),
                   cat(sim._step_cycles) if sim._step_cycles else np.zeros(0, np.int64),
                   cat(sim._mean_cycles) if sim._mean_cycles else np.zeros(0), sim.wall_s, sim.jit_s,
                   noc=sim.noc.stats() if getattr(sim, "noc", None) is not None else None,
                   learned_weights=sim.weights if sim.image.n_rules else None,
                   engine_bytes=sim.engine_bytes,
                   **_structural(sim))

    # ------------------------------------------------------------------ queries
    def spikes(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        """(timesteps, neuron indices within the population) of its spikes."""
        p = self.image.population(population)
        sel = (self.spike_id >= p.first_id) & (self.spike_id < p.first_id + p.size)
        return self.spike_t[sel], (self.spike_id[sel] - p.first_id).astype(np.int64)

    def spike_counts(self, population: str) -> np.ndarray:
        p = self.image.population(population)
        return np.bincount(self.spikes(population)[1], minlength=p.size)

    @property
    def totals(self) -> dict:
        return {name: int(v) for name, v in zip(COUNTER_NAMES, self.counter_totals.sum(axis=0))}

    def summary(self) -> dict:
        """The figures of the CLI summary table and report.json."""
        tot = self.totals
        n = self.image.n_neurons
        seconds = self.timesteps * self.image.dt_ms / 1000.0
        rate = len(self.spike_t) / (n * seconds) if n and seconds else 0.0
        energy = energy_pj(self.counter_totals.sum(axis=0), self.image.chip,
                           hops=self.noc.hops if self.noc is not None else None)
        cyc = self.step_cycles
        return {
            "timesteps": self.timesteps,
            "dt_ms": self.image.dt_ms,
            "biological_time_s": seconds,
            "neurons": n,
            "synapses": self.image.n_synapses,
            "cores": self.image.n_cores,
            "spikes": int(len(self.spike_t)),
            "mean_rate_hz": rate,
            "rates_hz": {p.name: self.population_rate(p.name) for p in self.image.populations if not p.on_host},
            "synaptic_ops": tot["synops"],
            "counters": tot,
            "cycles_per_timestep_max": int(cyc.max()) if cyc.size else 0,
            "cycles_per_timestep_mean": float(cyc.mean()) if cyc.size else 0.0,
            "core_cycles_per_timestep_mean": float(self.mean_core_cycles.mean()) if cyc.size else 0.0,
            "total_cycles": int(cyc.sum()),
            "chip_time_s": float(cyc.sum()) / (self.image.chip.clock_mhz * 1e6),
            "energy_pj": energy,
            "energy_source": self.image.chip.energy.source,
            "wall_s": self.wall_s,
            "jit_s": self.jit_s,
            "synaptic_events_per_s": tot["synops"] / self.wall_s if self.wall_s > 0 else 0.0,
            "noc": self.noc.summary(cyc, self.image.chip.cycles.barrier) if self.noc is not None else None,
            **self.extra,
        }

    def population_rate(self, name: str) -> float:
        p = self.image.population(name)
        seconds = self.timesteps * self.image.dt_ms / 1000.0
        return float(self.spike_counts(name).sum() / (p.size * seconds)) if seconds else 0.0

    # ------------------------------------------------------------------ output
    def save(self, out_dir: str | Path, spikes: bool = True, probes: bool = True, raster: bool = True,
             report_extra: dict | None = None, heatmap: bool = True) -> dict:
        """Write report.json, spikes.npz, probes.npz, raster.png, noc_heatmap.png into ``out_dir`` (atomically)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = {}
        if spikes:
            arrays = {}
            for p in self.image.populations:
                if not p.on_host:
                    t, i = self.spikes(p.name)
                    arrays[f"{p.name}_times"], arrays[f"{p.name}_indices"] = t, i
            written["spikes"] = _save_npz(out / "spikes.npz", arrays)
        if probes and self.probes:
            arrays = {f"{pop}_{var}": v for (pop, var), v in self.probes.items()}
            arrays.update({f"{pop}_neurons": np.array(idx) for pop, idx in self.probe_indices.items()})
            written["probes"] = _save_npz(out / "probes.npz", arrays)
        if raster:
            from .plots import raster_png
            written["raster"] = str(out / "raster.png")
            atomic_write(out / "raster.png", lambda f: f.write(raster_png(self)))
        if heatmap and self.noc is not None:
            from .plots import noc_heatmap_png
            written["noc_heatmap"] = str(out / "noc_heatmap.png")
            atomic_write(out / "noc_heatmap.png", lambda f: f.write(noc_heatmap_png(self.noc)))
        if self.learned_weights is not None:        # on-chip learning: the learned weights (docs/learning.md)
            im, lt = self.image, self.learned_tables            # rewired tables (docs/structural.md), if any
            ptr, tgt = (lt["axon_syn_ptr"], lt["syn_target"]) if lt else (im.axon_syn_ptr, im.syn_target)
            written["weights"] = _save_npz(out / "weights.npz", {
                "syn_weight": self.learned_weights, "mapped_weight": im.syn_weight,
                "plastic": np.repeat(im.axon_rule >= 0, np.diff(ptr)), "axon_syn_ptr": ptr,
                "axon_rule": im.axon_rule, "syn_target": tgt,
                **({"mapped_axon_syn_ptr": im.axon_syn_ptr, "mapped_syn_target": im.syn_target} if lt else {})})
        report = {**self.summary(), **(report_extra or {}), "files": written}
        atomic_write(out / "report.json", lambda f: f.write(json.dumps(report, indent=2, default=_json).encode()))
        return report


def _structural(sim) -> dict:
    """Results fields of a rewiring simulation (docs/structural.md): its tables and counts."""
    rw = getattr(sim, "structural", None)
    if rw is None:
        return {}
    tb = sim.tables
    counts = {k: v for k, v in rw.summary(sim.image.chip).items() if k != "history"}
    return {"learned_tables": {"axon_syn_ptr": tb.axon_syn_ptr.copy(), "syn_target": tb.syn_target.copy(),
                               "syn_delay": sim.delays},
            "extra": {"structural": counts}}


def _save_npz(path: Path, arrays: dict) -> str:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, lambda f: f.write(buf.getvalue()))
    return str(path)


def _json(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)
