"""``neuroemu map``: a trained model (NIR graph or ONNX ReLU network) -> ChipImage, report, picture.

``map_model`` imports the model (``emulator.ir.nir_import`` / ``emulator.ir.ann``),
maps it (``map_network``), and with check data runs the float reference and the
chip (``emulator.mapping.check``). ``write_outputs`` writes the output folder:

* ``chip_image.npz``  -- the exact ChipImage (``ChipImage.load``)
* ``mapped.yaml`` + ``params/*.npz`` + ``synapses/*.npz`` (+ ``stimulus.npz``) -- a run config
  that ``neuroemu run`` builds into the same image (default placement strategy)
* ``mapping.json``    -- cores, per-core utilization of each limit, placement and traffic
  estimate, quantization SNR per projection, import notes, check results
* ``placement.png``   -- the mesh with the blocks and the traffic between them
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import yaml

from ..config.types import ChipSpec
from ..image import ChipImage, atomic_write
from ..ir.nir_graph import GraphError
from ..ir.nir_import import ImportedModel, ImportOptions, from_nir, import_file
from .check import CheckError, check, load_data
from .mapper import MappingReport, map_network
from .place import DEFAULT_STRATEGY

MODEL_SUFFIXES = (".nir", ".onnx")
DEFAULT_TIMESTEPS = (8, 16, 32, 64)     #: timestep counts an ANN conversion is checked at


@dataclass
class MapResult:
    model_path: str
    model: ImportedModel
    image: ChipImage
    report: MappingReport
    seconds: dict
    check: dict | None = None
    ann: dict | None = None             #: ANN conversion: scales, ANN accuracy, SNN accuracy per T
    first_sample: dict | None = field(default=None, repr=False)   #: input rasters for the mapped config


def map_model(path, chip: ChipSpec, options: ImportOptions = ImportOptions(), strategy: str = DEFAULT_STRATEGY,
              check_path=None, calibrate_path=None, timesteps=DEFAULT_TIMESTEPS, percentile: float = 99.9
              ) -> MapResult:
    """Import, map and (with ``check_path``) check one model file."""
    path = Path(path)
    if path.suffix not in MODEL_SUFFIXES:
        raise GraphError(f"{path}: unknown model type {path.suffix!r}; expected a NIR graph (.nir) or an ONNX "
                         "ReLU network (.onnx)")
    t0 = time.perf_counter()
    ann_info, ann_data = None, None
    if path.suffix == ".onnx":
        model, ann_info, ann_data = _convert_ann(path, options, check_path, calibrate_path, percentile)
    else:
        model = import_file(path, options)
    t1 = time.perf_counter()
    image, report = map_network(model.network, chip, strategy)
    t2 = time.perf_counter()
    result = MapResult(str(path), model, image, report, {"import_s": t1 - t0, "map_s": t2 - t1}, ann=ann_info)
    if ann_data is not None:
        _check_ann(result, *ann_data, timesteps)
    elif check_path is not None:
        data, labels = load_data(check_path, model)
        result.check = check(image, model, data, labels)
        result.first_sample = {k: v[0] for k, v in data.items()}
    result.seconds["check_s"] = time.perf_counter() - t2
    return result


def _convert_ann(path, options, check_path, calibrate_path, percentile):
    from ..ir.ann import ann_forward, convert, read_onnx
    ann = read_onnx(path)
    x = labels = cal = None
    if check_path is not None:
        x, labels, cal = _analog(check_path, ann.input_shape)
    if calibrate_path is not None:
        cal = _analog(calibrate_path, ann.input_shape)[2]
    conv = convert(ann, cal, percentile)
    opt = ImportOptions(dt_s=options.dt_s or 1e-3, reset="subtract", discretization=options.discretization,
                        integrator_steps=options.integrator_steps)
    model = from_nir(conv.graph, opt)
    info = {"input_scale": conv.input_scale, "layer_scales": conv.layer_scales, "percentile": percentile,
            "reset": "subtract", "calibration_samples": int(len(cal))}
    if x is not None:
        out, _ = ann_forward(ann, x)
        info["ann_accuracy"] = float(np.mean(out.argmax(1) == labels)) if labels is not None else None
        return model, info, (x, labels, out, conv.input_scale)
    return model, info, None


def _analog(path, shape):
    """(inputs (n, *shape), labels or None, calibration inputs) of an ANN data file."""
    try:
        z = np.load(path)
    except (OSError, ValueError) as exc:
        raise CheckError(f"{path}: cannot read ({exc})") from None
    with z:
        if "inputs" not in z.files:
            raise CheckError(f"{path}: needs an array 'inputs' (samples, {', '.join(map(str, shape))})")
        x = np.asarray(z["inputs"], np.float64)
        if int(np.prod(x.shape[1:])) != int(np.prod(shape)):
            raise CheckError(f"{path}: 'inputs' has shape {x.shape}; the ANN takes (samples, "
                             f"{', '.join(map(str, shape))})")
        labels = np.asarray(z["labels"]).astype(np.int64) if "labels" in z.files else None
        cal = np.asarray(z["calibration"], np.float64) if "calibration" in z.files else x
    return x.reshape(len(x), *shape), labels, cal.reshape(len(cal), *shape)


def _check_ann(result: MapResult, x, labels, ann_out, input_scale, timesteps) -> None:
    from ..ir.ann import rate_code
    rows = []
    for t in timesteps:
        data = {name: rate_code(x / input_scale, int(t)) for name in result.model.inputs}
        rep = check(result.image, result.model, data, labels)
        readout = result.model.readouts[0]
        rows.append({"timesteps": int(t), "snn_float_accuracy": rep.get("accuracy_float"),
                     "snn_chip_accuracy": rep.get("accuracy_chip"), "argmax_agreement": rep["argmax_agreement"],
                     "per_inference": rep["per_inference"],
                     "readout": readout.node})
        result.first_sample = {k: v[0] for k, v in data.items()}
        result.check = rep
    result.ann["by_timesteps"] = rows


# ------------------------------------------------------------------ outputs
def summary(result: MapResult) -> dict:
    """Everything ``mapping.json`` holds (plain JSON types)."""
    img, rep, model = result.image, result.report, result.model
    util = rep.utilization()
    for row, xy in zip(util, img.core_xy):
        row["xy"] = [int(xy[0]), int(xy[1])]
    opt = model.options
    out = {
        "model": result.model_path,
        "import": {"dt_s": model.network.dt_ms / 1e3, "reset": opt.reset, "discretization": opt.discretization,
                   "notes": list(model.notes)},
        "chip": {"name": img.chip.name, "mesh": [img.chip.mesh_width, img.chip.mesh_height],
                 "limits": asdict(img.chip.limits)},
        "cores_used": img.n_cores, "neurons": img.n_neurons, "synapses": img.n_synapses,
        "populations": [{"name": p.name, "model": p.model, "size": p.size, "cores": list(p.cores),
                         "on_host": p.on_host, "scale": p.scale} for p in img.populations],
        "readouts": [asdict(r) for r in model.readouts],
        "latency_steps": model.latency,
        "per_core": util,
        "quantization": [{"projection": p.name, "synapses": p.synapses, "weight_exp": p.weight_exp,
                          "snr_db": p.snr_db if np.isfinite(p.snr_db) else None,
                          "wrap_spikes_per_step": p.wrap_spikes, "wrap_spikes_sustained": p.wrap_spikes_sustained,
                          "max_fan_in": p.max_fan_in} for p in rep.projections],
        "placement": {"strategy": rep.strategy, "packets_per_step_all_spiking": rep.packets_per_step,
                      "packet_hops_per_step_all_spiking": rep.hop_cost,
                      "packet_hops_per_step_row_major": rep.hop_cost_linear},
        "seconds": result.seconds,
    }
    if result.check is not None:
        out["check"] = result.check
    if result.ann is not None:
        out["ann_conversion"] = result.ann
    return out


def write_outputs(result: MapResult, out_dir) -> dict:
    """Write the output folder (module docstring); returns name -> path."""
    from ..io.placement_plot import placement_png
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"image": out / "chip_image.npz", "config": out / "mapped.yaml", "report": out / "mapping.json",
             "placement": out / "placement.png"}
    result.image.save(files["image"])
    write_run_config(result, out)
    atomic_write(files["placement"], lambda f: f.write(placement_png(result.report)))
    text = json.dumps(summary(result), indent=2, default=_json)
    atomic_write(files["report"], lambda f: f.write(text.encode()))
    return {k: str(v) for k, v in files.items()}


def write_run_config(result: MapResult, out: Path) -> Path:
    """``mapped.yaml``: the imported network as a run config (per-neuron arrays and synapses in files)."""
    model, img = result.model, result.image
    net = model.network
    (out / "params").mkdir(exist_ok=True)
    (out / "synapses").mkdir(exist_ok=True)
    pops = []
    for p in net.populations:
        if p.is_source:
            pops.append({"name": p.name, "size": p.size, "model": "source"})
            continue
        scalars = {k: _plain(v) for k, v in p.params.items() if v is not None and not isinstance(v, np.ndarray)}
        arrays = {k: v for k, v in p.params.items() if isinstance(v, np.ndarray)}
        arrays.update({f"initial_{k}": v for k, v in p.initial.items()})
        entry = {"name": p.name, "size": p.size, "model": p.model, "params": scalars}
        if arrays:
            rel = f"params/{p.name}.npz"
            _save_npz(out / rel, arrays)
            entry["params_file"] = rel
        pops.append(entry)
    projs = []
    for pr in net.projections:
        rel = f"synapses/{pr.name}.npz"
        _save_npz(out / rel, {"pre": pr.pre, "post": pr.post, "weight": pr.weight, "delay": pr.delay})
        projs.append({"name": pr.name, "source": pr.source, "target": pr.target, "connectivity": "explicit",
                      "file": rel})
    steps = 100
    stimulus = {}
    for name, (pop, _shape) in model.inputs.items():
        if result.first_sample is not None:
            raster = result.first_sample[name].reshape(result.first_sample[name].shape[0], -1)
            t, i = np.nonzero(raster)
            _save_npz(out / f"stimulus_{pop}.npz", {"times": t, "indices": i})
            stimulus[pop] = {"type": "file", "file": f"stimulus_{pop}.npz"}
            steps = raster.shape[0]
        else:
            stimulus[pop] = {"type": "poisson", "rate_hz": round(0.1 / (net.dt_ms / 1e3), 6)}
    steps += max(model.latency.values(), default=0)
    probes = [{"population": r.population, "neurons": list(range(int(np.prod(r.shape)))), "variables": ["v"]}
              for r in model.readouts if r.kind == "v"]
    chip = img.chip
    chip_map = {"name": chip.name, "mesh": [chip.mesh_width, chip.mesh_height], "clock_mhz": chip.clock_mhz,
                "limits": asdict(chip.limits), "cycles": asdict(chip.cycles), "energy": asdict(chip.energy)}
    if hasattr(chip, "router"):
        chip_map["router"] = asdict(chip.router)
    cfg = {"chip": chip_map, "network": {"populations": pops, "projections": projs}, "stimulus": stimulus,
           "run": {"timesteps": int(steps), "dt_ms": float(net.dt_ms), "probes": probes}}
    header = (f"# Mapped by `neuroemu map` from {result.model_path}.\n"
              f"# `neuroemu run mapped.yaml` rebuilds the same ChipImage as chip_image.npz (with the default\n"
              f"# placement strategy); per-neuron parameters are in params/, synapses in synapses/.\n")
    path = out / "mapped.yaml"
    text = header + yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None, width=110)
    atomic_write(path, lambda f: f.write(text.encode()))
    return path


def _plain(v):
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


def _save_npz(path: Path, arrays: dict) -> None:
    import io
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, lambda f: f.write(buf.getvalue()))


def _json(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(type(o).__name__)


def format_result(result: MapResult) -> str:
    """The human summary ``neuroemu map`` prints."""
    s = summary(result)
    rep = result.report
    lines = [f"{s['model']}: {s['neurons']} neurons, {s['synapses']} synapses on {s['cores_used']} cores of chip "
             f"'{s['chip']['name']}' ({s['chip']['mesh'][0]} x {s['chip']['mesh'][1]})",
             f"  import {s['seconds']['import_s']:.2f} s, map {s['seconds']['map_s']:.2f} s"
             + (f", check {s['seconds']['check_s']:.2f} s" if result.check else "")]
    for note in s["import"]["notes"]:
        lines.append(f"  note: {note}")
    lines.append("  quantization (SNR per projection): " + ", ".join(
        f"{q['projection']} {q['snr_db']:.1f} dB" if q["snr_db"] is not None else f"{q['projection']} exact"
        for q in s["quantization"]))
    peak = {k: max(r[k + "_frac"] for r in s["per_core"]) for k in
            ("neurons", "input_axons", "output_axons", "synapse_bits")} if s["per_core"] else {}
    lines.append("  busiest core: " + ", ".join(f"{k.replace('_', ' ')} {100 * v:.0f}%" for k, v in peak.items()))
    lines.append(f"  placement {rep.strategy}: {rep.hop_cost:.0f} packet-hops per step with every neuron spiking "
                 f"(row-major {rep.hop_cost_linear:.0f})")
    if result.ann is not None and "by_timesteps" in result.ann:
        lines.append(f"  ANN accuracy {result.ann['ann_accuracy']:.4f}; converted SNN (float / chip):")
        for row in result.ann["by_timesteps"]:
            lines.append(f"    T = {row['timesteps']:>4}: {row['snn_float_accuracy']:.4f} / "
                         f"{row['snn_chip_accuracy']:.4f}")
    elif result.check is not None:
        c = result.check
        acc = (f", accuracy float {c['accuracy_float']:.4f} / chip {c['accuracy_chip']:.4f}"
               if "accuracy_float" in c else "")
        lines.append(f"  check on {c['samples']} samples: score correlation {c['score_correlation']:.4f}, argmax "
                     f"agreement {c['argmax_agreement']:.4f}{acc}")
    if result.check is not None:
        pi = result.check["per_inference"]
        lines.append(f"  per inference ({int(pi['timesteps'])} steps): {pi['synaptic_ops']:.0f} synaptic ops, "
                     f"{pi['spikes']:.0f} spikes, {pi['hops']:.0f} hops, {pi['total_cycles']:.0f} cycles "
                     f"({pi['chip_time_s'] * 1e6:.1f} us), {pi['energy_uj']:.3f} uJ")
    return "\n".join(lines)


__all__ = ["MapResult", "map_model", "summary", "write_outputs", "write_run_config", "format_result",
           "MODEL_SUFFIXES", "DEFAULT_TIMESTEPS"]
