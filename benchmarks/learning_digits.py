"""Digits learned on the chip: train (learning on), name the neurons (learning off, train
set), test (learning off, held-out set). Every weight change happens in the emulator's
learn phase, in fixed point; the host only encodes images as spikes and counts spikes
(``emulator.learning.tasks.run_digits``).

    .venv/bin/python benchmarks/learning_digits.py configs/examples/digits_unsupervised.yaml [--out DIR]
    .venv/bin/python benchmarks/learning_digits.py configs/examples/digits_supervised.yaml
    .venv/bin/python benchmarks/learning_digits.py CONFIG --dataset mnist5k     (benchmark, not a test)

Writes report.json (accuracies, neuron counts, times), weights.npy and weights.png.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.learning.tasks import load_dataset, run_digits  # noqa: E402,F401

run_task = run_digits


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    ap.add_argument("--set", action="append", default=[], help="config override KEY=VALUE")
    ap.add_argument("--present", type=int, default=50, help="timesteps each image is shown")
    ap.add_argument("--present-test", type=int, default=None,
                    help="timesteps each image is shown while naming neurons and testing (default --present)")
    ap.add_argument("--rest", type=int, default=30, help="silent timesteps after each image")
    ap.add_argument("--max-prob", type=float, default=1.0, help="spike probability per step of a full pixel")
    ap.add_argument("--anneal", default="",
                    help="comma-separated exponents k, one per epoch: rule 2^k*x1*y0 - 2^k*w*y0 in that epoch")
    ap.add_argument("--keep-thresholds", action="store_true", help="test with the trained adaptive thresholds")
    a = ap.parse_args(argv)
    anneal = tuple(f"2^{k}*x1*y0 - 2^{k}*w*y0" for k in a.anneal.split(",") if k)
    r = run_task(a.config, a.dataset, a.epochs, a.present, a.rest, a.max_prob, out=a.out, limit=a.limit,
                 overrides=a.set, anneal=anneal, reset_thresholds=not a.keep_thresholds,
                 t_present_test=a.present_test)
    print(json.dumps({k: v for k, v in r.items() if k != "neuron_classes"}, indent=2))


if __name__ == "__main__":
    main()
