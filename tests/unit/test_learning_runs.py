"""Learning runs from YAML (emulator.learning.config, emulator.learning.runner): one ConfigError
naming the field for each bad third factor, schedule or task; the third factor stepped by hand;
schedule phases (inputs off, decay toward a baseline, learning off); the reward task learning in
CI time (``neuroemu run`` of the digits example: tests/unit/test_learning_digits.py)."""
from pathlib import Path

import numpy as np
import pytest

import emulator as ne
from emulator.api import build
from emulator.errors import ConfigError
from emulator.learning.runner import run_learning

REPO = Path(__file__).resolve().parents[2]


def _net(plasticity, extra=None, run=None, stimulus=None, size=2):
    cfg = {"network": {"populations": [
        {"name": "s", "size": 3, "model": "source"},
        {"name": "a", "size": size, "model": "if", "fixed": {"vth": 50000}}],
        "projections": [{"name": "p", "source": "s", "target": "a", "connectivity": "all_to_all", "weight": 100,
                         "plasticity": plasticity}]},
        "stimulus": stimulus or {"s": {"type": "regular", "period_steps": 2}},
        "run": {"timesteps": 20, **(run or {})}}
    cfg.update(extra or {})
    return cfg


PL = "network.projections[0].plasticity"


@pytest.mark.parametrize("plasticity, path, words", [
    ({"dw": "2^-2*r", "third_factor": {"from": "labels"}}, f"{PL}.third_factor", "file"),
    ({"dw": "2^-2*r", "third_factor": {"from": "constant", "value": 300}}, f"{PL}.third_factor.value", "[-128, 127]"),
    ({"dw": "2^-2*r", "third_factor": {"from": "task"}}, f"{PL}.third_factor.from", "two_choice"),
    ({"dw": "2^-2*r", "third_factor": {"from": "reward"}}, f"{PL}.third_factor.from", "valid: constant"),
    ({"dw": "2^-2*r", "third_factor": {"from": "schedule", "steps": [[5, 1], [3, 2]]}},
     f"{PL}.third_factor.steps[1][0]", "not after"),
    ({"dw": "2^-2*r", "third_factor": {"from": "constant", "value": 1, "steps": []}}, f"{PL}.third_factor",
     "unknown key 'steps'"),
    ({"dw": "2^-2*r*t"}, f"{PL}.dw", "no tag rule"),
    ({"rule": "reward_eligibility", "dt": "x1"}, f"{PL}.dt", "sets its own tag rule"),
    ({"dw": "2^-2*r*t", "dt": "dt = x1 +"}, f"{PL}.dt", "expected a variable"),
    ({"dw": "x1", "dt": "dw = x1"}, f"{PL}.dt", "only 'dt ='"),
    ({"rule": "reward_eligibility", "params": {"tau": -9}}, f"{PL}.params.tau", "[-8, 7]"),
])
def test_plasticity_errors_name_the_field(plasticity, path, words):
    with pytest.raises(ConfigError) as e:
        ne.load_config(_net(plasticity))
    assert e.value.path == path and words in str(e.value), str(e.value)


def _phase(**kw):
    return {"phases": [{"kind": "wake", "steps": 10, **kw}]}


@pytest.mark.parametrize("schedule, path, words", [
    (_phase(inputs=["t"]), "run.schedule.phases[0].inputs[0]", "unknown source population 't'"),
    ({"phases": [{"kind": "nap", "steps": 10}]}, "run.schedule.phases[0].kind", "valid: sleep, wake"),
    ({"phases": [{"kind": "wake"}]}, "run.schedule.phases[0]", "missing required key 'steps'"),
    (_phase(learning=False, rule="x1"), "run.schedule.phases[0]", "learning: false"),
    (_phase(rule="x1*q"), "run.schedule.phases[0].rule", "unknown variable 'q'"),
    (_phase(decay={"baseline": 300, "exp": -8}), "run.schedule.phases[0].decay.baseline", "[1, 127]"),
    ({"phases": []}, "run.schedule.phases", "at least 1"),
    ({"phases": [{"kind": "wake", "steps": 5}], "repeat": 0}, "run.schedule.repeat", "positive integer"),
])
def test_schedule_errors_name_the_field(schedule, path, words):
    with pytest.raises(ConfigError) as e:
        ne.load_config(_net({"dw": "x1*y0"}, run={"schedule": schedule}))
    assert e.value.path == path and words in str(e.value), str(e.value)


def _digits(task=None, **kw):
    cfg = {"network": {"populations": [
        {"name": "pixels", "size": 64, "model": "source"},
        {"name": "exc", "size": 20, "model": "alif", "fixed": {"vth": 12000}}],
        "projections": [{"name": "ff", "source": "pixels", "target": "exc", "connectivity": "all_to_all",
                         "weight": 10, "plasticity": "competitive"}]}}
    cfg["task"] = {"kind": "classify", "dataset": "digits", "input": "pixels", "output": "exc", **(task or {})}
    cfg.update({k: v for k, v in kw.items() if v is not None})
    return cfg


def _resized(cfg, n):
    cfg["network"]["populations"][1]["size"] = n
    return cfg


@pytest.mark.parametrize("cfg, path, words", [
    (_digits({"dataset": "cifar"}), "task.dataset", "valid: digits, mnist5k"),
    (_digits({"input": "exc"}), "task.input", "unknown source population 'exc'"),
    (_digits({"teacher": "pixels"}), "task.teacher", "one neuron per class"),
    (_digits({"train": {"epochs": 0}}), "task.train.epochs", "positive integer"),
    (_digits({"train": {"params": [{"a": -4}]}}), "task.train.params[0].a", "no parameter 'a'"),
    (_digits({"train": {"presnt": 5}}), "task.train", "did you mean 'present'"),
    (_digits({"readout": "best"}), "task.readout", "valid: assign, groups"),
    (_resized(_digits({"readout": "groups"}), 25), "task.readout", "25 neurons"),
    (_digits(stimulus={"pixels": {"type": "poisson", "rate_hz": 5}}), "stimulus.pixels", "driven by the task"),
    (_digits({"kind": "two_choice"}), "task", "unknown key 'dataset'"),
    (_digits(run={"schedule": [{"kind": "wake", "steps": 5}]}), "run.schedule", "its own train/test schedule"),
])
def test_task_errors_name_the_field(cfg, path, words):
    with pytest.raises(ConfigError) as e:
        ne.load_config(cfg)
    assert e.value.path == path and words in str(e.value), str(e.value)


def test_two_choice_needs_the_task_reward():
    cfg = {"network": {"populations": [{"name": "cue", "size": 4, "model": "source"},
                                       {"name": "act", "size": 2, "model": "if", "fixed": {"vth": 10}}],
                       "projections": [{"source": "cue", "target": "act", "connectivity": "all_to_all", "weight": 5,
                                        "plasticity": "reward_eligibility"}]},
           "task": {"kind": "two_choice", "input": "cue", "output": "act", "cues": 3}}
    with pytest.raises(ConfigError) as e:
        ne.load_config(cfg)
    assert e.value.path == "task.input" and "3 equal groups" in str(e.value)
    cfg["task"]["cues"] = 2
    with pytest.raises(ConfigError) as e:
        ne.load_config(cfg)
    assert e.value.path == "task" and "third_factor: {from: task}" in str(e.value)


def _weights_after(plasticity, steps, tmp_path, run=None, stimulus=None):
    b = build(ne.load_config(_net(plasticity, run={"timesteps": steps, **(run or {})}, stimulus=stimulus)))
    rep = run_learning(b, tmp_path, progress=False)
    z = np.load(tmp_path / "weights.npz")
    return z["syn_weight"], b, rep


def test_third_factor_schedule_and_constant_stepped_by_hand(tmp_path):
    # dw = 2^-2*r needs no spike: w moves by r/4 every step; r = 4 for steps 0..9, -8 for 10..19
    w, b, _ = _weights_after({"dw": "2^-2*r", "third_factor": {"from": "schedule", "steps": [[0, 4], [10, -8]]}},
                             20, tmp_path / "a")
    assert (w == 100 + 10 - 20).all()
    w, _, _ = _weights_after({"dw": "2^-2*r", "third_factor": {"from": "constant", "value": -4}}, 7, tmp_path / "b")
    assert (w == 100 - 7).all()


def test_third_factor_from_a_labels_file(tmp_path):
    # label 0 for steps 0..4, then label 1: neuron 0 (group 0) gets r = +4 then -4, neuron 1 the opposite
    np.savez(tmp_path / "labels.npz", times=np.array([0, 5]), labels=np.array([0, 1]))
    plast = {"dw": "2^-2*r", "third_factor": {"from": "labels", "file": str(tmp_path / "labels.npz"),
                                              "match": 4, "other": -4, "classes": 2}}
    w, b, _ = _weights_after(plast, 20, tmp_path / "run")
    target = b.image.syn_target[b.image.plastic_synapses]
    assert (w[target == 0] == 100 + 5 - 15).all() and (w[target == 1] == 100 - 5 + 15).all()


def test_schedule_gates_inputs_decays_to_baseline_and_freezes(tmp_path):
    cfg = {"network": {"populations": [
        {"name": "inp", "size": 10, "model": "source"}, {"name": "noise", "size": 10, "model": "source"},
        {"name": "net", "size": 10, "model": "if", "fixed": {"vth": 2000, "reset": "zero"}}],
        "projections": [
            {"name": "drive", "source": "inp", "target": "net", "connectivity": "one_to_one", "weight": 255,
             "weight_exp": 4},
            {"name": "spont", "source": "noise", "target": "net", "connectivity": "one_to_one", "weight": 255,
             "weight_exp": 4},
            # recurrent weights too weak to make a spike (at most 9 * 255 >> 2 per step against 2000 << 6)
            {"name": "rec", "source": "net", "target": "net", "connectivity": "all_to_all", "allow_self": False,
             "weight": {"uniform": [0, 255]}, "weight_exp": -8, "plasticity": {"rule": "stdp_additive"}}]},
        "stimulus": {"inp": {"type": "regular", "period_steps": 3}, "noise": {"type": "regular", "period_steps": 2}},
        "run": {"seed": 2, "schedule": {"phases": [
            {"kind": "wake", "steps": 30, "inputs": ["inp"]},
            {"kind": "sleep", "steps": 12, "inputs": [], "rule": "2^-4*x1*y0", "decay": {"baseline": 48, "exp": -1}},
            {"kind": "sleep", "steps": 10, "inputs": ["noise"], "learning": False}]}}}
    b = build(ne.load_config(cfg))
    rep = run_learning(b, tmp_path, progress=False)
    t, _ = _spikes(tmp_path, "net")
    # wake: spikes only at the input's steps (period 3: emitted 0, 3, ... -> spike at 1, 4, ...)
    assert set(t[t < 30].tolist()) <= set(range(1, 31, 3))
    # the first sleep phase has every source off: after the last delivery no spike at all
    assert not ((t > 31) & (t < 42)).any()
    # with nothing spiking, only the decay terms act: d -> d/2 per step, rounded either way, so after
    # 12 steps every weight is within 1 of the baseline; the last phase (learning off) keeps them
    curve = rep["learning"]["curve"]
    w = np.load(tmp_path / "weights.npz")["syn_weight"][b.image.plastic_synapses]
    assert np.abs(w - 48).max() <= 1
    assert curve[-1]["mean_weight"] == curve[-2]["mean_weight"]
    # the noise phase: spikes at the noise's steps (period 2) only
    assert set(t[t >= 43].tolist()) <= set(range(43, 53, 2)) and (t >= 43).any()


def _spikes(out, pop):
    z = np.load(out / "spikes.npz")
    return z[f"{pop}_times"], z[f"{pop}_indices"]


def test_reward_task_learns_in_ci_time(tmp_path):
    """The documented reward example, shortened: chance at the start, the rule learned after 150 trials."""
    cfg = ne.load_config(REPO / "configs/examples/reward_two_choice.yaml",
                         overrides=["task.trials=150", "task.test_trials=40"])
    rep = run_learning(build(cfg), tmp_path, progress=False)
    # measured (2026-11, seed 1): 0.56 in the first 25 trials, 1.0 on the 40 test trials (learning off)
    assert rep["correct_first_window"] <= 0.7
    assert rep["test_accuracy"] >= 0.9, rep["curve"]
    m = np.array(rep["mean_weight_cue_action"])          # cue c -> action c % 2 is the rewarded pair
    assert all(m[c, c % 2] > m[c, 1 - c % 2] for c in range(4))
    assert (tmp_path / "learning_curve.png").stat().st_size > 0


def test_image_train_does_not_depend_on_the_windows():
    from emulator.learning.trains import ImageTrain
    rng = np.random.default_rng(0)
    tr = ImageTrain(rng.random((5, 16)), [3, 1, 4, 1, 0], 7, 11, 4, 0.8, seed=9)
    whole = tr.window(0, tr.end + 5)
    parts = [tr.window(a, b) for a, b in ((0, 13), (13, 14), (14, 50), (50, tr.end + 5))]
    assert np.array_equal(np.concatenate([p[0] for p in parts]), whole[0])
    assert np.array_equal(np.concatenate([p[1] for p in parts]), whole[1])
    t, i = whole
    k = (t - 7) // 15
    assert ((t - 7) % 15 < 11).all() and (k >= 0).all() and (k < 5).all()    # only inside presentations
    # image 3 then image 1 again (order), each drawn from its own (seed, position) stream
    assert not np.array_equal(i[k == 1], i[k == 3]) or not (i[k == 1].size == i[k == 3].size == 0)


def test_same_seed_same_bits(tmp_path):
    # the target never spikes here: a rule of pre-synaptic terms, so the Poisson input (seeded) decides
    plast = {"dw": "2^-3*x1*x0 + 2^-2*r*x1", "traces": {"x1": {"decay": 1000, "impulse": 20}},
             "third_factor": {"from": "schedule", "steps": [[0, 1], [9, -1]]}}
    stim = {"s": {"type": "poisson", "rate_hz": 300}}
    runs = [_weights_after(plast, 30, tmp_path / str(k), run={"seed": 5}, stimulus=stim)[0] for k in range(2)]
    assert np.array_equal(runs[0], runs[1])
    other = _weights_after(plast, 30, tmp_path / "o", run={"seed": 6}, stimulus=stim)[0]
    assert not np.array_equal(runs[0], other)


def test_classify_task_sets_r_from_the_labels(tmp_path):
    """third_factor {from: labels} in a classify task: r = match in the label's group, other elsewhere,
    image by image. With dw = 2^-2*r (no spike needed), match 4 and other -4, each neuron's weights
    move by +4 per image of its class and -4 per other image: w = 100 + 8 * n_c - 4 * N exactly."""
    from emulator.learning.tasks import load_dataset
    pytest.importorskip("sklearn")
    n = 20
    cfg = _digits({"train": {"limit": n, "present": 4, "rest": 0}, "test": {"present": 1}})
    cfg["network"]["populations"][1]["size"] = 10
    cfg["network"]["projections"][0].update(weight=100, plasticity={
        "dw": "2^-2*r", "third_factor": {"from": "labels", "match": 4, "other": -4}})
    b = build(ne.load_config(cfg))
    rep = run_learning(b, tmp_path, progress=False)
    _, ytr, _, _ = load_dataset("digits")
    counts = np.bincount(ytr[:n], minlength=10)
    w = np.load(tmp_path / "weights.npy")
    assert (w == 100 + 8 * counts[None, :] - 4 * n).all()
    assert rep["train_images"] == n
