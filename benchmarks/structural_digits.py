"""Structural plasticity on the digits task (docs/structural.md): the dense supervised network
against the same network at 10 % density, static and rewired during training. Every run is an
ordinary ``neuroemu run`` of a classify task (``emulator.learning.runner.run_learning``): the chip
learns and rewires itself; the host only encodes images and counts spikes.

    .venv/bin/python benchmarks/structural_digits.py --seeds 1,2,3 [--out out/structural_digits]
    .venv/bin/python benchmarks/structural_digits.py --seeds 1,2,3 --validation 0.3   # tune without the test split
    .venv/bin/python benchmarks/structural_digits.py --set network.projections[0].indegree=13 --only static,structural
    .venv/bin/python benchmarks/structural_digits.py --seeds 1,2,3 \
        --dense-config configs/examples/digits_dense_levels.yaml \
        --sparse-config configs/examples/digits_structural_levels.yaml    # 4 channels per pixel
    .venv/bin/python benchmarks/structural_digits.py --seeds 1,2,3 --only static,structural \
        --dense-config configs/examples/digits_dense_levels.yaml \
        --sparse-config configs/examples/digits_structural_error.yaml    # the error-driven rule

Variants: ``dense`` (the dense config, ``--dense-config``, default
``configs/examples/digits_dense_wide.yaml``: all-to-all), ``static`` (the sparse config,
``--sparse-config``, default ``configs/examples/digits_structural.yaml``, without its
``structural`` block), ``structural`` (the sparse config as written). ``--set`` overrides the
sparse config, ``--set-dense`` the dense one; ``--neurons`` resizes all three. Writes ``report.json``
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


def _plastic_rule(raw: dict) -> str | None:
    """The built-in rule name of the config's first plastic projection from the task's input (None: a
    rule written in the grammar, or no plastic projection)."""
    for p in raw["network"]["projections"]:
        if p["source"] == raw["task"]["input"] and p.get("plasticity"):
            return p["plasticity"].get("rule")
    return None


def variant_config(name: str, dense: dict, sparse: dict) -> dict:
    """The raw config of a variant: the sparse config's task block for all three, so they see the same
    images, schedule, split and readout. The dense network keeps its own learning rates per pass
    (``task.train.params``, its rule's annealing), unless both use the same built-in rule and the
    sparse config gives rates per pass: then they share those too and train alike."""
    if name == "dense":
        raw = copy.deepcopy(dense)
        raw["task"] = copy.deepcopy(sparse["task"])
        train, rule = raw["task"]["train"], _plastic_rule(dense)
        if rule is not None and rule == _plastic_rule(sparse) and train.get("params") is not None:
            return raw                                   # one rule, one annealing: train alike
        train.pop("params", None)
        own = (dense.get("task", {}).get("train") or {}).get("params")
        if own is not None:
            train["params"] = copy.deepcopy(own)
        return raw
    raw = copy.deepcopy(sparse)
    if name == "static":
        for p in raw["network"]["projections"]:
            (p.get("plasticity") or {}).pop("structural", None)
    return raw


def resize(raw: dict, neurons: int, out: Path) -> dict:
    """The config with ``neurons`` output neurons (10 equal class groups) and a teacher file to match
    (+6 into the label's group, -128 into the others, as configs/examples/digits_teacher_10x10.npy).
    A config whose output already has ``neurons`` keeps its own teacher file (and its weights)."""
    if neurons % 10:
        raise SystemExit(f"--neurons {neurons}: needs 10 equal class groups")
    if any(p["name"] == raw["task"]["output"] and p["size"] == neurons for p in raw["network"]["populations"]):
        return raw
    raw = copy.deepcopy(raw)
    for p in raw["network"]["populations"]:
        if p["name"] == raw["task"]["output"]:
            p["size"] = neurons
    teach = np.where(np.arange(10)[:, None] == np.arange(neurons)[None, :] * 10 // neurons, 6, -128).astype(np.int16)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / f"teacher_10x{neurons}.npy", teach)
    for p in raw["network"]["projections"]:
        if p.get("connectivity") == "explicit" and p["source"] == raw["task"].get("teacher"):
            p["file"] = str((out / f"teacher_10x{neurons}.npy").resolve())
    return raw


def use_validation(fraction: float) -> None:
    """Tune without the test split: the runner trains on the training split less a stratified held-out
    ``fraction`` of it (fixed draw, random_state 0) and tests on that held-out part; the test split
    is never read."""
    from sklearn.model_selection import train_test_split

    from emulator.learning import runner, tasks

    def load(name):
        xtr, ytr, _, _ = tasks.load_dataset(name)
        xa, xv, ya, yv = train_test_split(xtr, ytr, test_size=fraction, random_state=0, stratify=ytr)
        return xa, ya, xv, yv
    runner.load_dataset = load


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


def plot(rows: dict, out: Path, split: str = "540 test images") -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from emulator.learning.trains import level_sum
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [1, 1.3, 1.7]})
    names = [n for n in VARIANTS if n in rows]
    acc = [100 * np.mean([r["test_accuracy"] for r in rows[n]]) for n in names]
    labels = [f"{n}\n{rows[n][0]['plastic_synapses']} synapses\n({100 * rows[n][0]['density']:.1f} %)" for n in names]
    colors = {"dense": "0.5", "static": "tab:orange", "structural": "tab:blue"}
    ax[0].bar(labels, acc, color=[colors[n] for n in names])
    for i, n in enumerate(names):
        pts = [100 * r["test_accuracy"] for r in rows[n]]
        ax[0].plot([i] * len(pts), pts, "k.", ms=4)
        ax[0].text(i + 0.05, acc[i] + 2, f"{acc[i]:.1f}", ha="left", fontsize=9)
    ax[0].set_ylabel("test accuracy (%)")
    ax[0].set_ylim(0, 105)
    ax[0].tick_params(axis="x", labelsize=8)
    ax[0].set_title(f"digits, {split} ({len(rows[names[0]])} seeds, mean and runs)", fontsize=10)
    st = rows.get("structural", [{}])[0].get("structural")
    if st:
        h = np.array(st["history"])
        n_syn = rows["structural"][0]["plastic_synapses"]
        ax[1].step(h[:, 0] / 1000, h[:, 1], where="post", lw=0.8)
        ax[1].set_xlabel("training timestep (thousands)")
        ax[1].set_ylabel("synapses rewired in the pass")
        ax[1].set_title(f"rewiring: {st['rewired_synapses']} synapses moved in {len(h)} passes "
                        f"({n_syn} synapses)", fontsize=10)
    else:
        ax[1].axis("off")
    # what each class group looks at: the group's summed weights as an 8x8 image, static vs rewired
    tiles, tile_names = [], []
    for n in ("static", "structural"):
        f = Path(rows[n][0]["dir"]) / "weights.npy" if n in rows else None
        if f is not None and f.exists():
            tile_names.append("rewired" if n == "structural" else n)
            w = np.load(f).astype(float)
            g = w.reshape(w.shape[0], 10, -1).sum(axis=2)           # (inputs, classes): groups in order
            levels = json.loads((f.parent / "report.json").read_text())["levels"]   # the run's task.encoding.levels
            g = level_sum(g, levels)                                # sum each pixel's channels
            g /= np.maximum(g.max(axis=0, keepdims=True), 1)
            tiles.append(np.concatenate([np.pad(g[:, c].reshape(8, 8), 1) for c in range(10)], axis=1))
    if tiles:
        ax[2].imshow(np.concatenate(tiles, axis=0), cmap="gray_r")
        ax[2].set_yticks([5 + 10 * i for i in range(len(tiles))], tile_names)
        ax[2].set_xticks([5 + 10 * c for c in range(10)], [str(c) for c in range(10)])
        ax[2].set_title("learned weights summed over each class group", fontsize=10)
    else:
        ax[2].axis("off")
    fig.tight_layout()
    fig.savefig(out / "structural.png", dpi=110)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sparse-config", "--config", dest="config",
                    default=str(REPO / "configs/examples/digits_structural.yaml"),
                    help="the sparse config (static and structural variants)")
    ap.add_argument("--dense-config", "--dense", dest="dense",
                    default=str(REPO / "configs/examples/digits_dense_wide.yaml"), help="the dense config")
    ap.add_argument("--out", default=str(REPO / "out/structural_digits"))
    ap.add_argument("--only", default=",".join(VARIANTS), help="comma-separated variants")
    ap.add_argument("--seeds", default="", help="comma-separated run seeds (default: the config's)")
    ap.add_argument("--set", action="append", default=[], help="override KEY=VALUE of the sparse config")
    ap.add_argument("--neurons", type=int, default=None, help="output neurons of every variant (default: configs')")
    ap.add_argument("--set-dense", action="append", default=[], help="override KEY=VALUE of the dense config")
    ap.add_argument("--validation", type=float, default=0.0,
                    help="tune on a validation split: hold out this fraction of the training set (stratified) "
                         "and test on it instead of the test split")
    a = ap.parse_args(argv)
    if a.validation:
        use_validation(a.validation)
    from emulator.config.schema import apply_overrides, read_yaml
    sparse = apply_overrides(read_yaml(a.config), a.set)
    dense = apply_overrides(read_yaml(a.dense), a.set_dense)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in a.seeds.split(",") if s] or [None]
    rows = {}
    for name in a.only.split(","):
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; valid: {', '.join(VARIANTS)}")
        base = Path(a.dense if name == "dense" else a.config).parent
        raw = variant_config(name, dense, sparse)
        if a.neurons:
            raw = resize(raw, a.neurons, out)
        for s in seeds:
            row = run_variant(name, raw, base, out / (name if s is None else f"{name}_seed{s}"), s)
            rows.setdefault(name, []).append(row)
            brief = {k: row[k] for k in ("test_accuracy", "plastic_synapses", "train_wall_s")}
            print(name, s, json.dumps(brief), flush=True)
    report = {"config": a.config, "dense_config": a.dense, "overrides": a.set, "dense_overrides": a.set_dense,
              "neurons": a.neurons, "split": f"validation ({a.validation} of train)" if a.validation else "test",
              "variants": rows,
              "mean_test_accuracy": {n: float(np.mean([r["test_accuracy"] for r in v])) for n, v in rows.items()}}
    (out / "report.json").write_text(json.dumps(report, indent=2, default=float))
    try:
        first = next(iter(rows.values()))[0]
        n_eval = json.loads((Path(first["dir"]) / "report.json").read_text())["test_images"]
        plot(rows, out, f"{n_eval} {'validation' if a.validation else 'test'} images")
    except ImportError:
        pass
    print(json.dumps(report["mean_test_accuracy"], indent=2))


if __name__ == "__main__":
    main()
