"""``neuroemu map --check``: run an imported graph in float (NIR semantics) and on the chip, compare.

The chip runs each sample from a fresh state (a new ``Simulation`` of the same
ChipImage). Host input spikes of reference step ``t`` are emitted at chip step
``t``; a spike needs one step per synaptic hop (plus its delay), so a readout
population whose latency is ``L`` (``ImportedModel.latency``) shows at chip step
``t + L`` what the reference shows at ``t``. The chip therefore runs ``T + L``
steps and its readout is compared over steps ``L .. T + L - 1``.

Scores per sample and readout: spike counts (spiking readouts) or the mean
voltage over the steps (LI / CubaLI / I readouts); the prediction is the
argmax of the first Output node's score.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.simulation import ProbeSpec, Simulation
from ..errors import NeuroemuError
from ..image import ChipImage
from ..io.stimulus import Stimulus
from ..ir.nir_import import ImportedModel
from ..ir.nir_sim import simulate_nir


class CheckError(NeuroemuError):
    """The --check data does not fit the graph (names the array and what was expected)."""


class ArrayTrain:
    """A host spike source from a 0/1 raster ``(steps, n)``: spikes of step ``t`` are emitted at ``t``."""

    def __init__(self, raster: np.ndarray):
        t, i = np.nonzero(np.asarray(raster))
        order = np.lexsort((i, t))
        self.times, self.ids = t[order].astype(np.int64), i[order].astype(np.int64)

    def window(self, t_lo: int, t_hi: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.searchsorted(self.times, [t_lo, t_hi])
        return self.times[lo:hi], self.ids[lo:hi]


@dataclass
class ChipRun:
    """Readout values per Output node ``(batch, T, n)`` aligned to the reference, and per-inference costs."""
    outputs: dict
    per_inference: dict = field(default_factory=dict)
    readout_spikes: int = 0           #: spikes of non-spiking readouts (their v reached the worst-case bound)


def load_data(path, model: ImportedModel) -> tuple[dict, np.ndarray | None]:
    """(Input node -> 0/1 raster (batch, T, *shape), labels or None) from a ``.npz``.

    Arrays: ``inputs`` (one Input node) or ``input_<name>`` per Input node; optional ``labels``.
    """
    try:
        z = np.load(path)
    except (OSError, ValueError) as exc:
        raise CheckError(f"--check {path}: cannot read ({exc})") from None
    with z:
        files = set(z.files)
        data = {}
        for name, (_pop, shape) in model.inputs.items():
            key = "inputs" if len(model.inputs) == 1 and "inputs" in files else f"input_{name}"
            if key not in files:
                raise CheckError(f"--check {path}: no array '{key}' for Input node '{name}' "
                                 f"(arrays: {', '.join(sorted(files))})")
            x = np.asarray(z[key])
            if x.ndim < 3 or tuple(x.shape[2:]) != tuple(shape) and int(np.prod(x.shape[2:])) != int(np.prod(shape)):
                raise CheckError(f"--check {path}: '{key}' has shape {x.shape}; expected (samples, timesteps, "
                                 f"{', '.join(map(str, shape))}) for Input node '{name}'")
            if not np.all((x == 0) | (x == 1)):
                raise CheckError(f"--check {path}: '{key}' must hold spikes (0 or 1 per step); the chip's host "
                                 "inputs are spike events")
            data[name] = x.reshape(x.shape[0], x.shape[1], *shape).astype(np.uint8)
        labels = np.asarray(z["labels"]).astype(np.int64) if "labels" in files else None
    sizes = {v.shape[:2] for v in data.values()}
    if len(sizes) != 1:
        raise CheckError(f"--check {path}: the input arrays disagree on (samples, timesteps): {sorted(sizes)}")
    if labels is not None and labels.shape[0] != next(iter(data.values())).shape[0]:
        raise CheckError(f"--check {path}: {labels.shape[0]} labels for {next(iter(data.values())).shape[0]} samples")
    return data, labels


def run_chip(image: ChipImage, model: ImportedModel, data: dict) -> ChipRun:
    """Run every sample on the chip image; readouts aligned to the reference's steps."""
    batch, steps = next(iter(data.values())).shape[:2]
    probes = tuple(ProbeSpec(r.population, tuple(range(int(np.prod(r.shape)))), ("v",))
                   for r in model.readouts if r.kind == "v")
    lat = {r.node: model.latency[r.population] for r in model.readouts}
    total = steps + max(lat.values(), default=0)
    outs = {r.node: np.zeros((batch, steps, int(np.prod(r.shape)))) for r in model.readouts}
    costs, readout_spikes = [], 0
    v_shift = {p.name: np.asarray(p.initial.get("v", 0.0)) for p in model.network.populations}
    for b in range(batch):
        trains = [(ArrayTrain(data[name][b].reshape(steps, -1)), image.population(pop).first_id)
                  for name, (pop, _shape) in model.inputs.items()]
        res = Simulation(image, Stimulus(trains), probes).run(total)
        for r in model.readouts:
            pm = image.population(r.population)
            sl = slice(lat[r.node], lat[r.node] + steps)
            if r.kind == "spikes":
                t, i = res.spikes(r.population)
                raster = np.zeros((total, pm.size))
                raster[t, i] = 1.0
                outs[r.node][b] = raster[sl]
            else:
                outs[r.node][b] = res.probes[(r.population, "v")][sl] / pm.scale + v_shift[r.population]
                readout_spikes += int(res.spike_counts(r.population).sum())
        s = res.summary()
        costs.append({"timesteps": total, "synaptic_ops": s["synaptic_ops"], "spikes": s["spikes"],
                      "hops": s["counters"]["hops"], "total_cycles": s["total_cycles"],
                      "chip_time_s": s["chip_time_s"], "energy_uj": s["energy_pj"]["total"] / 1e6})
    mean = {k: float(np.mean([c[k] for c in costs])) for k in costs[0]} if costs else {}
    return ChipRun(outs, mean, readout_spikes)


def scores(values: np.ndarray, kind: str) -> np.ndarray:
    """Per-sample class scores from a readout ``(batch, T, n)``: spike counts or mean voltage."""
    return values.sum(axis=1) if kind == "spikes" else values.mean(axis=1)


def agreement(ref: np.ndarray, chip: np.ndarray, labels: np.ndarray | None) -> dict:
    """Correlation of the scores, argmax agreement, and accuracies when labels are given."""
    a, b = ref.ravel(), chip.ravel()
    corr = float(np.corrcoef(a, b)[0, 1]) if a.size > 1 and a.std() > 0 and b.std() > 0 else float(a.std() == b.std())
    pr, pc = ref.argmax(axis=1), chip.argmax(axis=1)
    out = {"samples": int(ref.shape[0]), "score_correlation": corr, "argmax_agreement": float(np.mean(pr == pc))}
    if labels is not None:
        out["accuracy_float"] = float(np.mean(pr == labels))
        out["accuracy_chip"] = float(np.mean(pc == labels))
    return out


def check(image: ChipImage, model: ImportedModel, data: dict, labels: np.ndarray | None) -> dict:
    """Reference vs chip on ``data``: agreement of the first Output node plus per-inference costs."""
    ref = simulate_nir(model.graph, data, model.options)
    chip = run_chip(image, model, data)
    readout = model.readouts[0]
    report = agreement(scores(ref.outputs[readout.node], readout.kind),
                       scores(chip.outputs[readout.node], readout.kind), labels)
    report.update({"readout": readout.node, "readout_kind": readout.kind,
                   "timesteps": int(next(iter(data.values())).shape[1]),
                   "latency_steps": int(model.latency[readout.population]),
                   "per_inference": chip.per_inference})
    if chip.readout_spikes:
        report["warning"] = (f"the non-spiking readout spiked {chip.readout_spikes} times: its voltage reached "
                             "the worst-case bound the mapper sized it for")
    return report


__all__ = ["CheckError", "ArrayTrain", "ChipRun", "load_data", "run_chip", "scores", "agreement", "check"]
