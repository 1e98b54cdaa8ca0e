"""Plastic networks: the Numba engine agrees bit for bit with the plain-Python reference
(spikes, learned weights, traces' effects, learning counters and cycles)."""
import numpy as np
import pytest

from emulator.api import build
from emulator.engine import Simulation
from emulator.engine.kernels import COUNTER_NAMES
from tests.reference.engine_ref import run_reference
from tests.reference.random_nets import random_plastic_config


def _host_spikes(stimulus, timesteps):
    ptr, ids = stimulus.window(0, timesteps)
    return {t: [int(i) for i in ids[ptr[t]:ptr[t + 1]]] for t in range(timesteps)}


@pytest.mark.parametrize("seed", range(24))
def test_plastic_engine_matches_reference(seed):
    cfg = random_plastic_config(seed)
    b = build(cfg)
    assert b.image.n_rules > 0
    T = cfg.run.timesteps
    sim = Simulation(b.image, b.stimulus, threads=1 + seed % 2)
    res = sim.run(T, chunk=11)
    want_spikes, want_counters, want_state = run_reference(b.image, _host_spikes(b.stimulus, T), T)
    assert list(zip(res.spike_t.tolist(), res.spike_id.tolist())) == want_spikes
    assert sim.tables.syn_weight.tolist() == want_state["weights"]
    totals = np.array([[sum(step[c][name] for step in want_counters) for name in COUNTER_NAMES]
                       for c in range(b.image.n_cores)])
    assert np.array_equal(res.counter_totals, totals)
    cc = b.image.chip.cycles
    want_cycles = [max(cc.axon_event * s[c]["axon_events"] + cc.synop * s[c]["synops"]
                       + cc.neuron_update * s[c]["neuron_updates"] + cc.spike_out * s[c]["packets"]
                       + cc.learn_synapse * s[c]["learn_synapses"] + cc.trace_update * s[c]["trace_updates"]
                       + cc.learn_epoch * s[c]["learn_epochs"]
                       for c in range(b.image.n_cores)) + cc.barrier for s in want_counters]
    assert res.step_cycles.tolist() == want_cycles


def test_plastic_family_learns():
    """The random plastic family must actually change weights and use several rules and cores."""
    changed = 0
    for seed in range(24):
        b = build(random_plastic_config(seed))
        sim = Simulation(b.image, b.stimulus)
        sim.run(60)
        changed += not np.array_equal(sim.tables.syn_weight, b.image.syn_weight)
    assert changed >= 15, changed


def test_image_round_trip_keeps_rules(tmp_path):
    from emulator.image import ChipImage
    b = build(random_plastic_config(3))
    b.image.save(tmp_path / "img.npz")
    back = ChipImage.load(tmp_path / "img.npz")
    for k in ("axon_rule", "neuron_rule", "rule_prog", "rule_param", "syn_weight"):
        assert np.array_equal(getattr(back, k), getattr(b.image, k)), k
    assert back.rule_names == b.image.rule_names and back.learn_seed == b.image.learn_seed
