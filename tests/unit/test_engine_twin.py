"""The Numba engine agrees bit for bit with the plain-Python reference engine on random networks."""
import numpy as np
import pytest

from emulator.api import build
from emulator.engine import Simulation
from emulator.engine.simulation import resolve_delivery
from tests.reference.engine_ref import assert_engine_matches_reference
from tests.reference.random_nets import random_fixed_config


@pytest.mark.parametrize("research", [False, True], ids=["lif-alif-if", "noise-two-compartment"])
@pytest.mark.parametrize("seed", range(40))
def test_engine_matches_reference(seed, research):
    cfg = random_fixed_config(seed, research=research)
    b = build(cfg)
    T = cfg.run.timesteps
    sim = Simulation(b.image, b.stimulus, threads=1 + seed % 2)   # odd seeds: two thread groups
    res = sim.run(T, chunk=7)        # odd chunking: results must not depend on it
    want_state = assert_engine_matches_reference(b.image, b.stimulus, res, T)
    for k in ("u", "u_inh", "v", "th", "ref"):
        assert getattr(sim.state, k).tolist() == want_state[k], k


@pytest.mark.parametrize("seed", range(12))
def test_per_core_delivery_matches_reference(seed):
    """Static images deliver from the source-major tables; the chip's per-core rows (what plastic
    images use) must give the same bits."""
    cfg = random_fixed_config(100 + seed, research=seed % 2 == 1)
    b = build(cfg)
    T = cfg.run.timesteps
    sim = Simulation(b.image, b.stimulus, threads=1 + seed % 3 // 2, delivery="core")
    assert sim.tables.fan_ptr.shape[0] == 1
    res = sim.run(T, chunk=11)
    assert_engine_matches_reference(b.image, b.stimulus, res, T)


@pytest.mark.parametrize("seed", range(8))
def test_cores_with_per_neuron_registers_match_reference(seed):
    """Cores whose neurons differ in their registers (trained thresholds, mixed decays) read
    them per neuron; uniform cores once per loop (``core_runs``): both give the reference's bits."""
    for net_seed in range(200 + 40 * seed, 240 + 40 * seed):      # the first network with a plain core
        cfg = random_fixed_config(net_seed)
        b = build(cfg)
        p, rng = b.image.params, np.random.default_rng(seed)
        plain = np.flatnonzero((p.flags & ~np.uint8(1 | 4)) == 0)  # LIF/IF, with or without DUAL
        if (Simulation(b.image).tables.core_spec != 255).any():
            break
    pick = plain[rng.random(plain.size) < 0.5]
    p.vth[pick] = np.maximum(1, (p.vth[pick] * rng.uniform(0.5, 1.5, pick.size)).astype(np.int32))
    p.dv[pick] = rng.integers(0, 4096, pick.size)
    p.refractory[pick] = rng.integers(0, 4, pick.size)
    T = cfg.run.timesteps
    sim = Simulation(b.image, b.stimulus, threads=1 + seed % 2)
    assert ((sim.tables.core_uniform == 0) & (sim.tables.core_spec != 255)).any()   # a plain per-neuron core
    res = sim.run(T, chunk=13)
    assert_engine_matches_reference(b.image, b.stimulus, res, T)


def test_delivery_mode_is_validated():
    b = build(random_fixed_config(3))
    assert Simulation(b.image).tables.fan_ptr.shape == (b.image.n_neurons + b.image.n_host + 1, 2)
    with pytest.raises(ValueError, match="delivery must be one of auto, source, core"):
        Simulation(b.image, delivery="fast")
    # auto keeps the source-major copy only while it takes at most a quarter of the memory
    need = 8 * b.image.n_synapses
    assert resolve_delivery("auto", b.image, memory_bytes=4 * need) == "source"
    assert resolve_delivery("auto", b.image, memory_bytes=4 * need - 4) == "core"
    assert resolve_delivery("source", b.image, memory_bytes=0) == "source"


def test_research_networks_exercise_noise_and_dendrites():
    """The research family must use noise on u and on v, dendrites, and spike through them."""
    from emulator.neurons.models import FLAG_DEND, FLAG_NOISE_U, FLAG_NOISE_V
    seen = {FLAG_NOISE_U: 0, FLAG_NOISE_V: 0, FLAG_DEND: 0}
    dend_input = spiking_dend = 0
    for seed in range(40):
        b = build(random_fixed_config(seed, research=True))
        flags = b.image.params.flags
        for f in seen:
            seen[f] += bool(np.any(flags & f))
        dend = (flags & FLAG_DEND) != 0
        dend_input += bool(dend.any() and b.image.axon_port.any())
        res = Simulation(b.image, b.stimulus).run(b.config.run.timesteps)
        spiking_dend += bool(np.isin(res.spike_id, np.flatnonzero(dend)).any())
    assert min(seen.values()) >= 8 and dend_input >= 5 and spiking_dend >= 5, (seen, dend_input, spiking_dend)


def test_random_networks_exercise_the_datapath():
    """The random family must actually spike, use several cores, delays and both ports."""
    spikes = cores = delays = inh = 0
    for seed in range(40):
        b = build(random_fixed_config(seed))
        res = Simulation(b.image, b.stimulus).run(b.config.run.timesteps)
        spikes += res.spike_t.size > 0
        cores += b.image.n_cores > 1
        delays += b.image.max_delay > 0
        inh += bool(b.image.axon_port.any())
    assert spikes >= 30 and cores >= 20 and delays >= 30 and inh >= 5, (spikes, cores, delays, inh)


def test_spike_buffer_grows_without_losing_spikes():
    # IF with bias 100 > theta 64 (vth = 1) and dv = 0: v = 100 -> spike, v = 36 -> 136 -> spike ...
    # every neuron spikes every step: 64 x 300 = 19200 spikes, far above the first buffer (1088)
    import emulator as ne
    cfg = ne.load_config({"network": {"populations": [
        {"name": "a", "size": 64, "model": "if", "fixed": {"vth": 1, "bias": 100}}]}})
    b = build(cfg)
    res = Simulation(b.image).run(300, chunk=300)
    assert res.spike_t.size == 64 * 300
    assert np.array_equal(np.bincount(res.spike_t), np.full(300, 64))
    assert np.array_equal(res.spike_id, np.tile(np.arange(64), 300))


def test_thread_groups_balance_neurons_and_cover_every_core():
    from emulator.engine.simulation import thread_groups
    ptr = np.array([0, 400, 800, 1200, 1600, 2000, 2400, 2800, 3200, 3600, 4000])
    assert thread_groups(ptr, 2).tolist() == [0, 5, 10]
    assert thread_groups(ptr, 1).tolist() == [0, 10]
    lopsided = np.array([0, 1000, 1001, 1002, 1003])
    g = thread_groups(lopsided, 2)
    assert g[0] == 0 and g[-1] == 4 and np.all(np.diff(g) > 0)


@pytest.mark.parametrize("threads", [1, 2])
def test_cuba_spikes_do_not_depend_on_threads(threads):
    import emulator as ne
    b = build(ne.load_config("configs/examples/cuba.yaml", overrides=["run.timesteps=1500"]))
    one = Simulation(b.image, b.stimulus).run(1500)
    many = Simulation(b.image, b.stimulus, threads=threads).run(1500, chunk=333)
    assert np.array_equal(one.spike_t, many.spike_t) and np.array_equal(one.spike_id, many.spike_id)
    assert np.array_equal(one.counter_totals, many.counter_totals)
    assert np.array_equal(one.step_cycles, many.step_cycles)
