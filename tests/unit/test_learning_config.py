"""plasticity: in YAML -> LearningSpec -> ChipImage rule tables; validation errors name the field."""
import numpy as np
import pytest

import emulator as ne
from emulator.api import build
from emulator.engine import Simulation
from emulator.errors import ConfigError, MappingError


def _cfg(plasticity, extra_proj=()):
    return {"network": {"populations": [
        {"name": "s", "size": 3, "model": "source"},
        {"name": "a", "size": 2, "model": "if", "fixed": {"vth": 1, "bias": 100}}],
        "projections": [{"name": "p", "source": "s", "target": "a", "connectivity": "all_to_all", "weight": 50,
                         "plasticity": plasticity}, *extra_proj]},
        "stimulus": {"s": {"type": "regular", "period_steps": 2}}, "run": {"timesteps": 40}}


def test_builtin_by_name_and_mapping():
    cfg = ne.load_config(_cfg("competitive"))
    spec = cfg.network.projections[0].plasticity
    assert spec.name == "competitive" and spec.dw == "2^-3*x1*y0 - 2^-4*w*y0" and spec.traces == {"x1": (410, 32)}
    cfg = ne.load_config(_cfg({"rule": "stdp_additive", "params": {"a_plus": -2}, "epoch": 4,
                               "traces": {"y1": {"decay": 100}}, "weight_range": [10, 200]}))
    spec = cfg.network.projections[0].plasticity
    assert spec.dw == "2^-2*x1*y0 - 2^-3*y1*x0" and spec.epoch == 4
    assert spec.traces["y1"] == (100, 64) and (spec.wmin, spec.wmax) == (10, 200)
    b = build(cfg)
    assert b.image.n_rules == 1 and (b.image.axon_rule == 0).all() and (b.image.neuron_rule == 0).all()
    assert b.image.rule_param[0, 0] == 4


@pytest.mark.parametrize("plasticity, path, words", [
    ("hebb", "network.projections[0].plasticity.rule", "valid"),
    ({"dw": "2^-2*x1*y0 - z"}, "network.projections[0].plasticity.dw", "unknown variable 'z'"),
    ({"rule": "competitive", "dw": "x1"}, "network.projections[0].plasticity", "exactly one"),
    ({"rule": "competitive", "params": {"a": 1}}, "network.projections[0].plasticity.params", "unknown key 'a'"),
    ({"dw": "x1", "traces": {"x3": {"decay": 1}}}, "network.projections[0].plasticity.traces", "unknown key 'x3'"),
    ({"dw": "x1", "traces": {"x1": {"decay": 5000}}}, "network.projections[0].plasticity.traces.x1.decay", "4095"),
    ({"dw": "x1", "sign": "inh", "weight_range": [-10, 5]}, "network.projections[0].plasticity.weight_range[1]",
     ""),
])
def test_errors_name_the_field(plasticity, path, words):
    with pytest.raises(ConfigError) as e:
        ne.load_config(_cfg(plasticity))
    assert e.value.path == path and words in str(e.value)


def test_conflicting_post_traces_are_refused():
    other = {"name": "q", "source": "s", "target": "a", "connectivity": "all_to_all",
             "weight": 5, "plasticity": {"dw": "x1*y0", "traces": {"y1": {"decay": 7, "impulse": 1}}}}
    with pytest.raises(MappingError, match="post traces"):
        build(ne.load_config(_cfg({"dw": "x1*y0"}, [other])))


def test_set_learning_freezes_weights_and_image_keeps_mapped_weights():
    b = build(ne.load_config(_cfg({"dw": "2^-1*x1*y0", "traces": {"x1": {"decay": 0, "impulse": 10}}})))
    sim = Simulation(b.image, b.stimulus)
    sim.run(10)
    learned = sim.weights.copy()
    assert (learned > 50).any() and (b.image.syn_weight == 50).all()
    sim.set_learning(False)
    sim.run(10)
    assert np.array_equal(sim.weights, learned)
    sim.set_learning(True)
    sim.run(10)
    assert not np.array_equal(sim.weights, learned)


def test_checkpoint_resumes_learning(tmp_path):
    cfg = ne.load_config(_cfg({"rule": "stdp_additive"}))
    b = build(cfg)
    whole = Simulation(b.image, b.stimulus)
    whole.run(40)
    first = Simulation(b.image, b.stimulus)
    first.run(17)
    first.save_checkpoint(tmp_path / "c.npz")
    second = Simulation(b.image, b.stimulus)
    second.load_checkpoint(tmp_path / "c.npz")
    second.run(23)
    assert np.array_equal(second.weights, whole.weights)
    assert np.array_equal(second.buffers.lfsr, whole.buffers.lfsr)


def test_schedule_rule_swap_and_entropy():
    from emulator.learning import use_rule, weight_entropy
    # 32 equal bins over [0, 255]: one weight per bin -> log2(32) = 5 bits; all in one bin -> 0
    assert weight_entropy(np.arange(0, 256, 8), 0, 255) == pytest.approx(5.0)
    assert weight_entropy(np.full(10, 255), 0, 255) == 0.0
    b = build(ne.load_config(_cfg({"dw": "2^-1*x1*y0", "traces": {"x1": {"decay": 0, "impulse": 10}}})))
    sim = Simulation(b.image, b.stimulus)
    use_rule(sim, "-2^-1*x1*y0")           # the opposite rule: weights can only fall
    sim.run(10)
    assert (sim.weights < 50).any() and (sim.weights <= 50).all()
    use_rule(sim, None)
    assert np.array_equal(sim.tables.rule_prog, b.image.rule_prog)
