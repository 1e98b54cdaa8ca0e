"""Structural plasticity on the digits task (docs/structural.md): the dense supervised network
against the same network at 10 % density, static and rewired during training. Every run is an
ordinary ``neuroemu run`` of a classify task (``emulator.learning.runner.run_learning``): the chip
learns and rewires itself; the host only encodes images and counts spikes.

    .venv/bin/python benchmarks/structural_digits.py [--out out/structural_digits]
    .venv/bin/python benchmarks/structural_digits.py --set network.projections[0].p=0.2 --only static,structural

Variants: ``dense`` (the dense config, all-to-all), ``static`` (the sparse config without its
``structural`` block), ``structural`` (the sparse config as written). Writes ``report.json``
(accuracies, neuron and synapse counts, training times, rewiring counts) and ``structural.png``
(test accuracy per variant; synapses rewired per pass over training; learned weights of one
neuron per class, static vs rewired), and each run's own outputs in a folder of its name.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("dense", "static", "structural")


def variant_config(name: str, dense: dict, sparse: dict) -> dict:
    """The raw config of a variant (the sparse config's task block for all three, so they agree)."""
    if name == "dense":
        raw = copy.deepcopy(dense)
        raw["task"] = copy.deepcopy(sparse["task"])
        return raw
    raw = copy.deepcopy(sparse)
    if name == "static":
        for p in raw["network"]["projections"]:
            (p.get("plasticity") or {}).pop("structural", None)
    return raw


def run_variant(name: str, raw: dict, base_dir: Path, out: Path, seed: int | None) -> dict:
    """Run one variant into folder ``out``; return its row of the report."""
    from emulator.api import build
    from emulator.config.loader import load
    from emulator.learning.runner import run_learning
    if seed is not None:
        raw = {**raw, "run": {**raw.get("run", {}), "seed": seed}}
    cfg = load(raw, base_dir=base_dir)
    b = build(cfg)
    r = run_learning(b, out, progress=False)
    ff = [p for p in b.network.projections if p.plasticity is not None and p.source == cfg.task.input]
    pairs = sum(b.network.population(p.source).size * b.network.population(p.target).size for p in ff)
    keep = ("test_accuracy", "train_wall_s", "total_wall_s", "timesteps", "plastic_synapses", "output_neurons",
            "neurons_spiking_in_test", "learn_synapse_updates", "energy_pj", "structural")
    row = {k: r.get(k) for k in keep}
    row.update(density=r["plastic_synapses"] / pairs, synapses_total=int(b.image.n_synapses),
               neurons=int(b.image.n_neurons), seed=cfg.run.seed, dir=str(out))
    return row


def plot(rows: dict, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [1, 1.4, 1.6]})
    names = [n for n in VARIANTS if n in rows]
    acc = [100 * np.mean([r["test_accuracy"] for r in rows[n]]) for n in names]
    labels = [f"{n}\n{rows[n][0]['plastic_synapses']} syn ({100 * rows[n][0]['density']:.0f} %)" for n in names]
    ax[0].bar(labels, acc, color=["0.5", "tab:orange", "tab:blue"][:len(names)])
    for i, n in enumerate(names):
        pts = [100 * r["test_accuracy"] for r in rows[n]]
        ax[0].plot([i] * len(pts), pts, "k.", ms=4)
        ax[0].text(i, acc[i] + 1, f"{acc[i]:.1f}", ha="center")
    ax[0].set_ylabel("test accuracy (%)")
    ax[0].set_ylim(0, 105)
    ax[0].set_title("digits, 540 test images")
    if "structural" in rows and rows["structural"][0]["structural"]:
        h = np.array(rows["structural"][0]["structural"]["history"])
        n_syn = rows["structural"][0]["plastic_synapses"]
        ax[1].step(h[:, 0] / 1000, np.cumsum(h[:, 1]) / n_syn, where="post")
        ax[1].set_xlabel("training timestep (thousands)")
        ax[1].set_ylabel("synapses rewired / synapses (cumulative)")
        ax[1].set_title(f"{h[0, 1]} synapses rewired per pass, {len(h)} passes")
    else:
        ax[1].axis("off")
    # one neuron per class (the first of each group), static vs rewired: 8x8 weight images side by side
    tiles = []
    for n in ("static", "structural"):
        f = Path(rows[n][0]["dir"]) / "weights.npy" if n in rows else None
        if f is not None and f.exists():
            w = np.load(f)
            tiles.append(np.concatenate([np.pad(w[:, 10 * c].reshape(8, 8), 1) for c in range(10)], axis=1))
    if tiles:
        ax[2].imshow(np.concatenate(tiles, axis=0), cmap="gray_r")
        ax[2].set_yticks([5 + 10 * i for i in range(len(tiles))], ["static", "rewired"][:len(tiles)])
        ax[2].set_xticks([5 + 10 * c for c in range(10)], [str(c) for c in range(10)])
        ax[2].set_title("learned weights, first neuron of each class")
    else:
        ax[2].axis("off")
    fig.tight_layout()
    fig.savefig(out / "structural.png", dpi=110)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(REPO / "configs/examples/digits_structural.yaml"))
    ap.add_argument("--dense", default=str(REPO / "configs/examples/digits_supervised.yaml"))
    ap.add_argument("--out", default=str(REPO / "out/structural_digits"))
    ap.add_argument("--only", default=",".join(VARIANTS), help="comma-separated variants")
    ap.add_argument("--seeds", default="", help="comma-separated run seeds (default: the config's)")
    ap.add_argument("--set", action="append", default=[], help="override KEY=VALUE of the sparse config")
    a = ap.parse_args(argv)
    from emulator.config.schema import apply_overrides, read_yaml
    sparse = apply_overrides(read_yaml(a.config), a.set)
    dense = read_yaml(a.dense)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in a.seeds.split(",") if s] or [None]
    rows = {}
    for name in a.only.split(","):
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; valid: {', '.join(VARIANTS)}")
        base = Path(a.dense if name == "dense" else a.config).parent
        raw = variant_config(name, dense, sparse)
        for s in seeds:
            row = run_variant(name, raw, base, out / (name if s is None else f"{name}_seed{s}"), s)
            rows.setdefault(name, []).append(row)
            brief = {k: row[k] for k in ("test_accuracy", "plastic_synapses", "train_wall_s")}
            print(name, s, json.dumps(brief), flush=True)
    report = {"config": a.config, "dense_config": a.dense, "overrides": a.set, "variants": rows,
              "mean_test_accuracy": {n: float(np.mean([r["test_accuracy"] for r in v])) for n, v in rows.items()}}
    (out / "report.json").write_text(json.dumps(report, indent=2, default=float))
    try:
        plot(rows, out)
    except ImportError:
        pass
    print(json.dumps(report["mean_test_accuracy"], indent=2))


if __name__ == "__main__":
    main()
