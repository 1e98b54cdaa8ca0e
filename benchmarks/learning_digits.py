"""Image classification learned on the chip, on the YAML path: ``neuroemu run`` of a config with a
``task: {kind: classify}`` block (train with learning on, name the output neurons, test with
learning off; docs/learning.md), for one or several seeds, with a table of the results.

    .venv/bin/python benchmarks/learning_digits.py configs/examples/digits_supervised.yaml
    .venv/bin/python benchmarks/learning_digits.py configs/examples/digits_unsupervised.yaml --seeds 1,2,3
    .venv/bin/python benchmarks/learning_digits.py configs/examples/mnist_unsupervised.yaml
    .venv/bin/python benchmarks/learning_digits.py CONFIG --set task.train.epochs=1 --out DIR

Every weight change happens in the emulator's learn phase, in fixed point; the host only encodes
images as spikes and counts spikes. Each run writes report.json (accuracy, learning curve,
confusion matrix, neuron counts, times), weights.npy, weights.png, learning_curve.png into
OUT/seed<S>/; OUT/summary.json collects them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.api import build, learn, load_config  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--seeds", default="", help="comma-separated run.seed values (default: the config's)")
    ap.add_argument("--set", action="append", default=[], help="config override PATH=VALUE (repeatable)")
    ap.add_argument("--out", default=None, help="results folder (default out/<config name>)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    out = Path(a.out or Path("out") / Path(a.config).stem)
    seeds = [int(s) for s in a.seeds.split(",") if s] or [None]
    rows = []
    for seed in seeds:
        sets = list(a.set) + ([f"run.seed={seed}"] if seed is not None else [])
        cfg = load_config(a.config, overrides=sets)
        r = learn(build(cfg), out / f"seed{cfg.run.seed}", progress=True, threads=a.threads)
        rows.append({"seed": cfg.run.seed, "test_accuracy": r["test_accuracy"], "output_neurons": r["output_neurons"],
                     "neurons_with_a_class": r["neurons_with_a_class"], "train_images": r["train_images"],
                     "epochs": r["epochs"], "train_wall_s": round(r["train_wall_s"], 1),
                     "total_wall_s": round(r["total_wall_s"], 1), "timesteps": r["timesteps"],
                     "learning_curve": [(c["train_images"], round(c["accuracy"], 3)) for c in r["learning_curve"]]})
        print(json.dumps(rows[-1]), flush=True)
    acc = [r["test_accuracy"] for r in rows]
    summary = {"config": a.config, "overrides": a.set, "runs": rows, "mean_test_accuracy": sum(acc) / len(acc),
               "min_test_accuracy": min(acc), "max_test_accuracy": max(acc)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"{a.config}: test accuracy " + ", ".join(f"seed {r['seed']}: {100 * r['test_accuracy']:.1f} %" for r in rows)
          + (f"; mean {100 * summary['mean_test_accuracy']:.1f} %" if len(rows) > 1 else ""))


if __name__ == "__main__":
    main()
