"""Plastic networks: the Numba engine agrees bit for bit with the plain-Python reference
(spikes, learned weights, traces' effects, learning counters and cycles)."""
import numpy as np
import pytest

from emulator.api import build
from emulator.engine import Simulation
from tests.reference.engine_ref import assert_engine_matches_reference
from tests.reference.random_nets import random_plastic_config


@pytest.mark.parametrize("seed", range(24))
def test_plastic_engine_matches_reference(seed):
    cfg = random_plastic_config(seed)
    b = build(cfg)
    assert b.image.n_rules > 0
    T = cfg.run.timesteps
    sim = Simulation(b.image, b.stimulus, threads=1 + seed % 2)
    res = sim.run(T, chunk=11)
    want_state = assert_engine_matches_reference(b.image, b.stimulus, res, T)
    assert sim.weights.tolist() == want_state["weights"]


def test_plastic_family_learns():
    """The random plastic family must actually change weights and use several rules and cores."""
    changed = 0
    for seed in range(24):
        b = build(random_plastic_config(seed))
        sim = Simulation(b.image, b.stimulus)
        sim.run(60)
        changed += not np.array_equal(sim.weights, b.image.syn_weight)
    assert changed >= 15, changed


def test_image_round_trip_keeps_rules(tmp_path):
    from emulator.image import ChipImage
    b = build(random_plastic_config(3))
    b.image.save(tmp_path / "img.npz")
    back = ChipImage.load(tmp_path / "img.npz")
    for k in ("axon_rule", "neuron_rule", "rule_prog", "rule_param", "syn_weight"):
        assert np.array_equal(getattr(back, k), getattr(b.image, k)), k
    assert back.rule_names == b.image.rule_names and back.learn_seed == b.image.learn_seed
