"""Synaptic tags (eligibility traces) and the third factor: analytic tag values through the whole
engine, the tag program against the plain-Python twin on random networks, rules and rewards
(bit-exact), the skip of certainly-zero synapses, and the mapper's clamp of plastic weights."""
from dataclasses import replace

import numpy as np
import pytest

import emulator as ne
from emulator.api import build
from emulator.engine import Simulation
from emulator.learning import LearningSpec, parse_rule
from emulator.learning.fixed import TAG_MAX, TAG_MIN, apply_dt
from tests.reference.engine_ref import assert_engine_matches_reference
from tests.reference.random_nets import random_plastic_config, random_rule_text


def _pair(pre_step, post_step, dw, dt, weight=0, sign="mixed", steps=14, r=2):
    """A source ``s`` whose one spike (emitted at ``pre_step``) reaches the plastic row at pre_step + 1,
    and a neuron ``a`` made to spike exactly once, at post_step + 1, by a static drive source."""
    cfg = {"network": {"populations": [
        {"name": "s", "size": 1, "model": "source"}, {"name": "d", "size": 1, "model": "source"},
        {"name": "a", "size": 1, "model": "if", "fixed": {"vth": 10, "refractory": 63}}],
        "projections": [
            {"name": "p", "source": "s", "target": "a", "connectivity": "all_to_all", "weight": weight,
             "plasticity": {"dw": dw, "dt": dt, "sign": sign,
                            "traces": {"x1": {"decay": 0, "impulse": 64}, "y1": {"decay": 0, "impulse": 64}},
                            "third_factor": {"from": "constant", "value": r}}},
            {"name": "drive", "source": "d", "target": "a", "connectivity": "all_to_all", "weight": 200,
             "weight_exp": 2}]},
        "stimulus": {"s": {"type": "spike_times", "times_steps": [pre_step], "indices": [0]},
                     "d": {"type": "spike_times", "times_steps": [post_step], "indices": [0]}},
        "run": {"timesteps": steps}}
    b = build(ne.load_config(cfg))
    sim = Simulation(b.image, b.stimulus)
    sim.buffers.reward[:] = r
    tags, weights = [], []
    for _ in range(steps):
        sim.step()
        tags.append(int(sim.buffers.tag[0]))
        weights.append(int(sim.weights[0]))
    spikes = sim.run(0).spikes("a")[0].tolist()
    return tags, weights, spikes


def test_tag_analytic_pre_before_post():
    # pre reaches the row at step 1 (x1 = 64 from then on: decay 0); the post neuron spikes at step 5
    # dt = 2^-1*x1*y0 - 2^-1*y1*x0 - 2^-1*t: at step 5: 0.5*64 = 32; then halving: 16, 8, 4, 2, 1
    tags, weights, spikes = _pair(0, 4, "2^-3*r*t", "2^-1*x1*y0 - 2^-1*y1*x0 - 2^-1*t")
    assert spikes == [5]
    assert tags[:11] == [0, 0, 0, 0, 0, 32, 16, 8, 4, 2, 1]
    # dw = 2^-3 * r * t with r = 2 uses the tag before this step's update (both programs read the old t):
    # step 6: 32/4 = 8, step 7: 16/4 = 4, step 8: 2, step 9: 1, step 10: 2/4 = 0.5 (rounds to 0 or 1)
    assert weights[:10] == [0, 0, 0, 0, 0, 0, 8, 12, 14, 15]
    assert weights[10] in (15, 16)


def test_tag_analytic_post_before_pre_and_saturation():
    # post spikes at step 1, pre arrives at step 5 with y1 = 64: dt = -2^-1*64 = -32, then halving
    tags, weights, _ = _pair(4, 0, "2^-3*r*t", "2^-1*x1*y0 - 2^-1*y1*x0 - 2^-1*t")
    assert tags[:9] == [0, 0, 0, 0, 0, -32, -16, -8, -4]
    assert weights[:9] == [0, 0, 0, 0, 0, 0, -8, -12, -14]
    # a large scale saturates the 9-bit tag register
    tags, _, _ = _pair(0, 4, "2^-3*r*t", "2^3*x1*y0")
    assert tags[5] == TAG_MAX and tags[-1] == TAG_MAX
    assert apply_dt(200, 100) == TAG_MAX and apply_dt(-200, -100) == TAG_MIN == -256


def test_reward_sign_decides_direction():
    # the same causal pairing: r = +2 potentiates, r = -2 depresses, r = 0 leaves the weight alone
    for r, sign in ((2, 1), (-2, -1), (0, 0)):
        _, weights, _ = _pair(0, 4, "2^-3*r*t", "2^-1*x1*y0 - 2^-1*y1*x0 - 2^-1*t", weight=5, r=r)
        assert np.sign(weights[-1] - 5) == sign, (r, weights)


def _random_tag_config(seed):
    """The random plastic family with a random tag program on every plastic projection (and t in dw)."""
    cfg = random_plastic_config(seed)
    rng = np.random.default_rng(seed + 5000)
    projs = []
    for p in cfg.network.projections:
        if p.plasticity is not None:
            dt = random_rule_text(rng).replace("dw =", "dt =")
            if rng.random() < 0.7:
                dt += f" - 2^{int(rng.integers(-6, 0))}*t"          # a decay, as an eligibility trace has
            dw = p.plasticity.dw + f" + 2^{int(rng.integers(-6, 1))}*r*t"
            if len(parse_rule(dw).terms) > 8:
                dw = f"dw = 2^{int(rng.integers(-6, 1))}*r*t - 2^-3*w*y0"
            p = replace(p, plasticity=replace(p.plasticity, dw=dw, dt=dt))
        projs.append(p)
    return replace(cfg, network=replace(cfg.network, projections=tuple(projs)))


@pytest.mark.parametrize("seed", range(16))
def test_tags_match_twin(seed):
    cfg = _random_tag_config(seed)
    b = build(cfg)
    assert b.image.tag_prog.any()
    rng = np.random.default_rng(seed)
    reward = rng.integers(-128, 128, b.image.n_neurons).astype(np.int32)
    T = cfg.run.timesteps
    sim = Simulation(b.image, b.stimulus, threads=1 + seed % 2)
    sim.buffers.reward[:] = reward
    res = sim.run(T, chunk=13)
    want = assert_engine_matches_reference(b.image, b.stimulus, res, T, reward=reward.tolist())
    assert sim.weights.tolist() == want["weights"]
    assert sim.buffers.tag.tolist() == want["tags"]


def test_random_tag_family_exercises_tags():
    """The tag twin family must actually move tags and weights through r*t."""
    moved = 0
    for seed in range(16):
        b = build(_random_tag_config(seed))
        sim = Simulation(b.image, b.stimulus)
        sim.buffers.reward[:] = 3
        sim.run(60)
        moved += bool(np.any(sim.buffers.tag != 0)) and not np.array_equal(sim.weights, b.image.syn_weight)
    assert moved >= 10, moved


def test_mapper_clamps_plastic_weights_and_skip_is_exact():
    # initial weights 0..100 under a rule bounded to [20, 60]: the image holds them clamped
    cfg = {"network": {"populations": [
        {"name": "s", "size": 20, "model": "source"},
        {"name": "a", "size": 10, "model": "if", "fixed": {"vth": 300}}],
        "projections": [{"name": "p", "source": "s", "target": "a", "connectivity": "all_to_all",
                         "weight": {"uniform": [0, 100]},
                         "plasticity": {"rule": "competitive", "weight_range": [20, 60]}},
                        {"name": "q", "source": "s", "target": "a", "connectivity": "all_to_all", "weight": 90}]},
        "stimulus": {"s": {"type": "poisson", "rate_hz": 200}}, "run": {"timesteps": 80, "seed": 4}}
    b = build(ne.load_config(cfg))
    w = b.image.syn_weight[b.image.plastic_synapses]
    assert w.min() == 20 and w.max() == 60
    assert (b.image.syn_weight[~b.image.plastic_synapses] == 90).all()     # static synapses untouched
    # the competitive rule is zero at neurons that did not spike: skipped synapses change nothing
    sim = Simulation(b.image, b.stimulus)
    res = sim.run(80)
    want = assert_engine_matches_reference(b.image, b.stimulus, res, 80)
    assert sim.weights.tolist() == want["weights"] and not np.array_equal(sim.weights, b.image.syn_weight)


def test_spec_tag_program():
    spec = LearningSpec(dw="2^-4*r*t", dt="dt = 2^-1*x1*y0 - 2^-5*t")
    prog = spec.tag_program()
    assert prog[0].tolist() == [1, -1, 2, 4, 0, 0] and prog[1].tolist() == [-1, -5, 10, 0, 0, 0]
    assert not LearningSpec(dw="x1*y0").tag_program().any()
