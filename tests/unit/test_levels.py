"""The graded input code of the classify task (``task.encoding.levels``, emulator.learning.trains.level_code):
its values on a hand-checked example, levels 1 = the pixel values bit for bit (also through a whole
run), one ConfigError naming the field for a bad value or a wrong input-population size, and a
tiny classify run with 2 channels per pixel."""
import numpy as np
import pytest

import emulator as ne
from emulator.api import build
from emulator.errors import ConfigError
from emulator.learning.runner import run_learning
from emulator.learning.trains import ImageTrain, level_code, level_sum


def test_level_code_by_hand():
    x = np.array([[0.0, 0.1, 0.6, 1.0]])
    c = level_code(x, 4)
    # channel j * 4 + p = clip(4 v - j, 0, 1): v = 0.1 -> 0.4, 0, 0, 0; v = 0.6 -> 1, 1, 0.4, 0
    want = [[0, 0.4, 1, 1,
             0, 0, 1, 1,
             0, 0, 0.4, 1,
             0, 0, 0, 1]]
    assert c.shape == (1, 16)
    np.testing.assert_allclose(c, want, atol=1e-12)
    np.testing.assert_allclose(level_sum(c.T, 4).T, 4 * x, atol=1e-12)     # a pixel's channels sum to L v
    one = level_code(np.array([0.3, 1.0]), 2)                                # one image (1-d) works too
    np.testing.assert_allclose(one, [0.6, 1, 0, 1], atol=1e-12)
    with pytest.raises(ValueError):
        level_code(x, 0)


def test_levels_1_is_the_pixel_values_bit_for_bit():
    rng = np.random.default_rng(3)
    x = rng.random((6, 64))
    assert level_code(x, 1) is x
    w = rng.integers(0, 100, (64, 5))
    assert level_sum(w, 1) is w
    for enc in ("bernoulli", "regular"):
        a = ImageTrain(x, [2, 0, 5], 3, 9, 2, 0.7, seed=4, encoding=enc).window(0, 100)
        b = ImageTrain(level_code(x, 1), [2, 0, 5], 3, 9, 2, 0.7, seed=4, encoding=enc).window(0, 100)
        assert all(np.array_equal(u, v) for u, v in zip(a, b))


def _digits(size=64, encoding=None, n_out=10):
    cfg = {"network": {"populations": [
        {"name": "pixels", "size": size, "model": "source"},
        {"name": "exc", "size": n_out, "model": "alif", "fixed": {"vth": 2000}}],
        "projections": [{"name": "ff", "source": "pixels", "target": "exc", "connectivity": "all_to_all",
                         "weight": {"uniform": [0, 100]}, "plasticity": "competitive"}]},
        "run": {"seed": 2}}
    cfg["task"] = {"kind": "classify", "dataset": "digits", "input": "pixels", "output": "exc",
                   "train": {"limit": 20, "present": 4, "rest": 1}, "test": {"present": 2}, "readout": "groups"}
    if encoding is not None:
        cfg["task"]["encoding"] = encoding
    return cfg


@pytest.mark.parametrize("size, encoding, path, words", [
    (64, {"levels": 4}, "task.encoding.levels", ("'pixels' needs 256 neurons, but it has 64; give it size 256, "
                                                 "or set levels: 1")),
    (200, {"levels": 2}, "task.encoding.levels", "needs 128 neurons, but it has 200"),
    (64, {"levels": 0}, "task.encoding.levels", "positive integer"),
    (64, {"levels": 1.5}, "task.encoding.levels", "positive integer"),
    (256, None, "task.input", "or levels: 4 in task.encoding"),
    (64, {"level": 2}, "task.encoding", "did you mean 'levels'"),
])
def test_levels_errors_name_the_field(size, encoding, path, words):
    with pytest.raises(ConfigError) as e:
        ne.load_config(_digits(size, encoding))
    assert e.value.path == path and words in str(e.value), str(e.value)


def test_levels_1_run_is_todays_run(tmp_path):
    pytest.importorskip("sklearn")
    reps, ws = [], []
    for k, enc in enumerate((None, {"levels": 1})):
        reps.append(run_learning(build(ne.load_config(_digits(encoding=enc))), tmp_path / str(k), progress=False))
        ws.append(np.load(tmp_path / str(k) / "weights.npy"))
    assert np.array_equal(ws[0], ws[1])
    assert reps[0]["test_accuracy"] == reps[1]["test_accuracy"] and reps[0]["counters"] == reps[1]["counters"]
    assert reps[1]["levels"] == 1


def test_classify_with_two_levels_runs_end_to_end(tmp_path):
    pytest.importorskip("sklearn")
    from emulator.learning.tasks import dense_weights
    cfg = ne.load_config(_digits(128, {"levels": 2, "max_prob": 0.5}))
    assert cfg.task.levels == 2
    b = build(cfg)
    w0 = dense_weights(b.image, b.image.syn_weight, "pixels", "exc")
    rep = run_learning(b, tmp_path, progress=False)
    w = np.load(tmp_path / "weights.npy")
    assert w.shape == (128, 10)                      # one row per input channel (level-major)
    assert rep["levels"] == 2 and rep["test_images"] == 540 and 0 <= rep["test_accuracy"] <= 1
    assert rep["counters"]["learn_synapses"] > 0
    assert (tmp_path / "weights.png").stat().st_size > 0    # the mosaic sums the levels into 8x8 tiles
    # both levels learned: the competitive rule moved weights of level-0 and of level-1 channels
    assert (w[:64] != w0[:64]).any() and (w[64:] != w0[64:]).any()
    assert w[:64].mean() > w[64:].mean()            # level 0 spikes at least as often as level 1


@pytest.mark.parametrize("sparse_name", ["digits_structural_levels", "digits_structural_error"])
def test_level_configs_compare_like_with_like(benchmark_script, sparse_name):
    """configs/examples/digits_dense_levels.yaml against a sparse 4-level config through
    benchmarks/structural_digits.py: one network (same populations, task and 4-level code) that differs
    only in the plastic projection, all-to-all against at most 10 % of the 256 input channels per neuron."""
    from dataclasses import replace
    from pathlib import Path

    from emulator.config.loader import load
    from emulator.config.schema import read_yaml
    root = Path(__file__).resolve().parents[2]
    mod = benchmark_script("structural_digits")
    ex = root / "configs" / "examples"
    dense = read_yaml(str(ex / "digits_dense_levels.yaml"))
    sparse = read_yaml(str(ex / f"{sparse_name}.yaml"))
    cfgs = {n: load(mod["variant_config"](n, dense, sparse), base_dir=ex) for n in mod["VARIANTS"]}
    assert load(dense, base_dir=ex).task.levels == 4          # the dense config also runs by itself
    for n, cfg in cfgs.items():
        assert [(p.name, p.size) for p in cfg.network.populations] == \
            [(p.name, p.size) for p in cfgs["dense"].network.populations], n
        # the same task block; only the dense network keeps its own annealed rates (task.train.params)
        assert replace(cfg.task, epoch_params=()) == replace(cfgs["dense"].task, epoch_params=()), n
        assert cfg.task.levels == 4 and cfg.network.populations[0].size == 256, n
        assert (cfg.network.projections[0].plasticity.structural is not None) == (n == "structural"), n
    ff = cfgs["structural"].network.projections[0]
    assert ff.connectivity == "fixed_indegree" and 0.09 < ff.indegree / 256 <= 0.1
    assert cfgs["dense"].network.projections[0].connectivity == "all_to_all"


def test_error_rule_of_the_example_is_what_its_comment_says():
    """digits_structural_error.yaml's dw, through the learning engine's accumulator, over every trace
    value: r = 1 (the label's group) 2^-8*x1*y0*(12 - y1), r = 0 (the other groups) -2^-3*x1*y0
    (accumulator units 2^-8: 1 and -32 per x1*y0)."""
    from pathlib import Path

    from emulator.config.loader import load
    from emulator.learning.kernels import N_CODES, V_ONE, V_R, V_X1, V_Y0, V_Y1, rule_acc
    cfg = load(Path(__file__).resolve().parents[2] / "configs" / "examples" / "digits_structural_error.yaml")
    pl = cfg.network.projections[0].plasticity
    assert (pl.third_factor.source, pl.third_factor.match, pl.third_factor.other) == ("labels", 1, 0)
    prog = pl.rule.encode()
    vals = np.zeros(N_CODES, np.int64)
    vals[V_ONE] = 1
    for r in (0, 1):
        for y0 in (0, 1):
            for x1 in range(128):
                for y1 in range(128):
                    vals[V_R], vals[V_Y0], vals[V_X1], vals[V_Y1] = r, y0, x1, y1
                    want = x1 * y0 * (12 - y1) if r else -32 * x1 * y0
                    assert rule_acc(prog, vals) == want, (r, y0, x1, y1)


def test_wta_config_compares_like_with_like_at_its_size(benchmark_script, tmp_path):
    """configs/examples/digits_structural_wta.yaml against digits_dense_levels.yaml through
    benchmarks/structural_digits.py at --neurons 1000: the same populations, task and 4-level code;
    both use the built-in supervised rule, so they also share the sparse config's 8 annealed passes
    (task.train.params), while a sparse config without rates per pass leaves the dense network its own.
    The shipped teacher file is the one the driver writes for 1,000 neurons."""
    from dataclasses import replace
    from pathlib import Path

    from emulator.config.loader import load
    from emulator.config.schema import read_yaml
    root = Path(__file__).resolve().parents[2]
    mod = benchmark_script("structural_digits")
    ex = root / "configs" / "examples"
    dense = read_yaml(str(ex / "digits_dense_levels.yaml"))
    sparse = read_yaml(str(ex / "digits_structural_wta.yaml"))
    cfgs = {n: load(mod["resize"](mod["variant_config"](n, dense, sparse), 1000, tmp_path), base_dir=ex)
            for n in mod["VARIANTS"]}
    own = load(sparse, base_dir=ex)                                   # the config by itself
    assert own.network.populations[2].size == 1000 and own.task.epochs == 8 and len(own.task.epoch_params) == 8
    for n, cfg in cfgs.items():
        assert [(p.name, p.size) for p in cfg.network.populations] == \
            [("pixels", 256), ("teacher", 10), ("exc", 1000)], n
        assert cfg.task == cfgs["dense"].task == replace(own.task, path=cfg.task.path), n   # rates included
        assert (cfg.network.projections[0].plasticity.structural is not None) == (n == "structural"), n
    ff = cfgs["structural"].network.projections[0]
    assert ff.connectivity == "fixed_indegree" and 0.09 < ff.indegree / 256 <= 0.1
    assert cfgs["dense"].network.projections[0].connectivity == "all_to_all"
    np.testing.assert_array_equal(np.load(ex / "digits_teacher_10x1000.npy"), np.load(tmp_path / "teacher_10x1000.npy"))
    # a config that already has 1,000 outputs keeps its own teacher file (+24 into the label's group)
    assert mod["resize"](sparse, 1000, tmp_path) == sparse
    teach = [p for p in sparse["network"]["projections"] if p["source"] == "teacher"][0]
    assert np.unique(np.load(ex / teach["file"])).tolist() == [-128, 24]
    # the levels pair: the sparse config anneals nothing per pass, so the dense network keeps its own rates
    levels = read_yaml(str(ex / "digits_structural_levels.yaml"))
    kept = mod["variant_config"]("dense", dense, levels)["task"]["train"]["params"]
    assert kept == dense["task"]["train"]["params"] and "params" not in levels["task"]["train"]
