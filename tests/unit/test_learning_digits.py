"""A small learning run on the chip in CI time: ``neuroemu run`` of the supervised digits example
(its ``task:`` block) cut to its first training pass (1,257 images, rate 2^-4), tested on the
whole held-out 30 % (540 images); the report, the learned weights and the plots are written."""
import json
from pathlib import Path

import numpy as np
import pytest

from emulator.cli import main

pytest.importorskip("sklearn")

REPO = Path(__file__).resolve().parents[2]


def test_neuroemu_run_trains_and_tests_digits(tmp_path):
    """``neuroemu run`` of the supervised digits example, one training pass of the four."""
    out = tmp_path / "run"
    rc = main(["run", str(REPO / "configs/examples/digits_supervised.yaml"), "-o", str(out), "--no-progress", "-q",
               "--set", "task.train.epochs=1", "--set", "task.curve={points: 2, images: 100}"])
    assert rc == 0
    rep = json.loads((out / "report.json").read_text())
    # measured 0.898 (2026-11, seed 1) after this one pass; the full example (4 passes) 0.963. The
    # run is deterministic; the margin is for a change that alters the random streams
    assert rep["train_images"] == 1257 and rep["epochs"] == 1
    assert rep["test_accuracy"] >= 0.85, rep["test_accuracy"]
    assert len(rep["learning_curve"]) == 2 and rep["learn_synapse_updates"] > 0
    w = np.load(out / "weights.npy")
    assert w.shape == (64, rep["output_neurons"])
    for f in ("weights.png", "learning_curve.png", "weights.npy"):
        assert (out / f).stat().st_size > 0
