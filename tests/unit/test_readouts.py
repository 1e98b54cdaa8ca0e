"""Classification readouts (emulator.learning.tasks, task.readout): the proportion readout's votes
by hand, its YAML errors and defaults, and a run whose reported accuracy is the readout of its own
saved spikes."""
import numpy as np
import pytest

import emulator as ne
from emulator.api import build
from emulator.errors import ConfigError
from emulator.learning.runner import run_learning
from emulator.learning.tasks import assign_labels, class_proportions, classify, classify_proportion


def _label_pass():
    # 4 images (classes 0, 0, 1, 2) x 4 neurons; neuron 3 never fires
    responses = np.array([[4, 2, 0, 0],
                          [2, 2, 0, 0],
                          [0, 2, 3, 0],
                          [0, 0, 1, 0]], float)
    return responses, np.array([0, 0, 1, 2])


def test_proportions_by_hand():
    r, y = _label_pass()
    p = class_proportions(r, y, 3)
    # neuron 0: means (3, 0, 0); neuron 1: (2, 2, 0); neuron 2: (0, 3, 1); neuron 3 silent
    assert np.allclose(p, [[1, 0, 0], [0.5, 0.5, 0], [0, 0.75, 0.25], [0, 0, 0]])
    # a prior of 1 spike per image on each neuron's group (0, 0, 2, 1): the silent neuron votes for its group
    q = class_proportions(r, y, 3, groups=np.array([0, 0, 2, 1]), prior=1.0)
    assert np.allclose(q, [[1, 0, 0], [3 / 5, 2 / 5, 0], [0, 3 / 5, 2 / 5], [0, 1, 0]])
    assert np.allclose(q.sum(axis=1), 1)


def test_proportion_votes_split_where_hard_labels_do_not():
    r, y = _label_pass()
    test = np.array([[0, 4, 0, 0],      # only the shared neuron 1 fires: a tie 0/1, argmax takes 0
                     [0, 1, 2, 0],      # neuron 2 (mostly class 1) and neuron 1
                     [0, 0, 0, 0]], float)
    pred = classify_proportion(test, class_proportions(r, y, 3))
    assert pred.tolist() == [0, 1, -1]
    # the hard assignment names neuron 1 class 0 (a tie goes to the first) and neuron 2 class 1
    assert assign_labels(r, y, 3).tolist() == [0, 0, 1, -1]
    assert classify(test, assign_labels(r, y, 3), 3).tolist() == [0, 1, -1]
    # two neurons that answer class 1 nearly as often as class 0 (hard label 0) and one pure class-1 neuron:
    # the hard labels count the two as class 0, the proportions give class 1 their 45 %
    r3 = np.array([[11, 11, 0], [11, 11, 0], [9, 9, 5], [0, 0, 0]], float)
    p3 = class_proportions(r3, y, 3)
    assert np.allclose(p3, [[0.55, 0.45, 0], [0.55, 0.45, 0], [0, 1, 0]])
    hits = np.array([[2, 2, 1]], float)
    assert classify(hits, assign_labels(r3, y, 3), 3).tolist() == [0]
    assert classify_proportion(hits, p3).tolist() == [1]           # 2.2 for class 0 against 2.8 for class 1


def _digits(task):
    cfg = {"network": {"populations": [
        {"name": "pixels", "size": 64, "model": "source"},
        *([{"name": "teacher", "size": 10, "model": "source"}] if "teacher" in task else []),
        {"name": "exc", "size": 20, "model": "alif", "fixed": {"vth": 2000}}],
        "projections": [{"name": "ff", "source": "pixels", "target": "exc", "connectivity": "all_to_all",
                         "weight": {"uniform": [0, 100]}, "plasticity": "competitive"}]},
        "run": {"seed": 3}}
    cfg["task"] = {"kind": "classify", "dataset": "digits", "input": "pixels", "output": "exc",
                   "train": {"limit": 30, "present": 4, "rest": 1}, "test": {"present": 3}, **task}
    return cfg


@pytest.mark.parametrize("task, path, words", [
    ({"readout": "assign", "readout_prior": 0.5}, "task.readout_prior", "needs readout: proportion and a teacher"),
    ({"readout": "proportion", "readout_prior": 0.5}, "task.readout_prior", "needs readout: proportion and a teacher"),
    ({"readout": "proportion", "teacher": "teacher", "readout_prior": -1}, "task.readout_prior", ">= 0"),
    ({"readout": "proportio"}, "task.readout", "valid: assign, groups, proportion"),
])
def test_readout_errors_name_the_field(task, path, words):
    with pytest.raises(ConfigError) as e:
        ne.load_config(_digits(task))
    assert e.value.path == path and words in str(e.value), str(e.value)


def test_readout_prior_defaults():
    assert ne.load_config(_digits({"readout": "proportion"})).task.readout_prior == 0
    assert ne.load_config(_digits({"readout": "proportion", "teacher": "teacher"})).task.readout_prior == 0.2
    t = ne.load_config(_digits({"readout": "proportion", "teacher": "teacher", "readout_prior": 1.5})).task
    assert (t.readout, t.readout_prior) == ("proportion", 1.5)


def test_proportion_run_reports_the_readout_of_its_own_spikes(tmp_path):
    pytest.importorskip("sklearn")
    from emulator.learning.runner import _count
    from emulator.learning.tasks import load_dataset
    reps = {}
    for readout in ("assign", "proportion"):
        cfg = _digits({"readout": readout})
        cfg["run"]["outputs"] = {"spikes": True}
        reps[readout] = run_learning(build(ne.load_config(cfg)), tmp_path / readout, progress=False)
    za, zp = np.load(tmp_path / "assign" / "spikes.npz"), np.load(tmp_path / "proportion" / "spikes.npz")
    # both readouts run the same label pass, so the chip's spikes are the same; only the vote differs
    assert all(np.array_equal(za[k], zp[k]) for k in za.files)
    _, ytr, _, yte = load_dataset("digits")
    ytr = ytr[:30]
    rep = reps["proportion"]
    t_train = rep["epochs"] * 30 * 5
    t, i = zp["exc_times"], zp["exc_indices"].astype(np.int64)
    lab = _count(t, i, 0, 20, 30, t_train, 4)
    tst = _count(t, i, 0, 20, len(yte), t_train + 30 * 4, 4)
    assert lab.sum() > 0 and tst.sum() > 0
    p = class_proportions(lab, ytr, 10)
    assert rep["test_accuracy"] == float(np.mean(classify_proportion(tst, p) == yte))
    assert rep["readout"] == "proportion" and rep["readout_prior"] == 0
    assert reps["assign"]["test_accuracy"] == float(np.mean(classify(tst, assign_labels(lab, ytr, 10), 10) == yte))
