"""Host register writes between timesteps (Simulation.set_neuron_registers) and the test phase's
homeostasis switch (task.test.homeostasis, tasks.thresholds_for_test)."""
from dataclasses import replace

import numpy as np
import pytest

import emulator as ne
from emulator.api import build
from emulator.engine import Simulation
from emulator.learning.tasks import thresholds_for_test
from emulator.neurons.models import FLAG_ADAPT
from tests.reference.engine_ref import assert_engine_matches_reference
from tests.reference.random_nets import random_fixed_config


def _shared_run_net(first_seed):
    """The first random network from ``first_seed`` with two neighbouring cores in one register loop."""
    for seed in range(first_seed, first_seed + 40):
        cfg = random_fixed_config(seed)
        b = build(cfg)
        run = Simulation(b.image).tables.core_run
        shared = np.flatnonzero(run[1:] == run[:-1])
        if shared.size:
            return cfg, b, int(shared[0])
    raise AssertionError("no random network with a shared register loop")


@pytest.mark.parametrize("seed", range(6))
def test_register_writes_give_the_reference_bits_of_the_written_image(seed):
    """Writing registers before the run equals mapping an image with those registers: every spike,
    counter and cycle as the reference. One core of a shared loop gets a new threshold, so the
    loop must split; then random neurons get their own decays and refractory periods."""
    cfg, b, core = _shared_run_net(300 + 40 * seed)
    rng = np.random.default_rng(seed)
    p, ptr = b.image.params, b.image.neuron_ptr
    n = p.vth.size
    sim = Simulation(b.image, b.stimulus, threads=1 + seed % 2)
    before = sim.tables.core_run.copy()
    lo, hi = int(ptr[core]), int(ptr[core + 1])
    core_vth = int(p.vth[lo]) + 1 + int(rng.integers(0, 200))
    sim.set_neuron_registers(np.arange(lo, hi), vth=core_vth)
    assert before[core] == before[core + 1] and sim.tables.core_run[core] != sim.tables.core_run[core + 1]
    pick = np.flatnonzero(rng.random(n) < 0.3)
    dv, refractory = rng.integers(0, 4096, pick.size), rng.integers(0, 8, pick.size)
    sim.set_neuron_registers(pick, dv=dv, refractory=refractory)

    want = p._replace(vth=p.vth.copy(), dv=p.dv.copy(), refractory=p.refractory.copy())
    want.vth[lo:hi] = core_vth
    want.dv[pick], want.refractory[pick] = dv, refractory
    assert all(np.array_equal(getattr(sim.image.params, k), getattr(want, k)) for k in want._fields)
    assert np.array_equal(b.image.params.vth, p.vth) and b.image.params.vth[lo] != core_vth   # mapped image kept
    T = cfg.run.timesteps
    res = sim.run(T, chunk=11)
    assert_engine_matches_reference(replace(b.image, params=want), b.stimulus, res, T)


def test_register_writes_are_validated():
    _, b, _ = _shared_run_net(300)
    sim = Simulation(b.image, b.stimulus)
    with pytest.raises(ValueError, match="flags cannot be written by the host; writable: du"):
        sim.set_neuron_registers(flags=0)
    with pytest.raises(ValueError, match="dv: values 0..4096 outside its field 0..4095"):
        sim.set_neuron_registers([0, 1], dv=[0, 4096])
    with pytest.raises(ValueError, match="th_inc: values -1..-1 outside"):
        sim.set_neuron_registers(th_inc=-1)


def _adaptive_net():
    for seed in range(40):
        cfg = random_fixed_config(seed, timesteps=200)
        b = build(cfg)
        adapt = np.flatnonzero(((b.image.params.flags & FLAG_ADAPT) != 0) & (b.image.params.th_inc > 0))
        if adapt.size:
            sim = Simulation(b.image, b.stimulus)
            sim.run(100)
            if (sim.state.th[adapt] > 0).any():
                return b, adapt, sim
    raise AssertionError("no random network whose adaptive neurons spike")


@pytest.mark.parametrize("homeostasis", [True, False])
def test_the_test_phase_stops_homeostasis_only_when_asked(homeostasis):
    """thresholds_for_test: reset puts th back to 0; with homeostasis off the thresholds keep their
    values while the network keeps spiking (th_inc and dth written 0), with it on they adapt."""
    b, adapt, sim = _adaptive_net()
    kept = sim.state.th.copy()
    thresholds_for_test(sim, reset=False, homeostasis=homeostasis)
    res = sim.run(100)
    spiked = np.isin(adapt, res.spike_id)
    assert spiked.any()
    if homeostasis:
        assert not np.array_equal(sim.state.th[adapt], kept[adapt])
        assert (b.image.params.th_inc == sim.image.params.th_inc).all()
    else:
        assert np.array_equal(sim.state.th, kept)
        assert not sim.image.params.th_inc.any() and not sim.image.params.dth.any()
        assert b.image.params.th_inc[adapt].all()          # the mapped image is not changed
    thresholds_for_test(sim, reset=True, homeostasis=homeostasis)
    assert not sim.state.th.any()


def test_task_test_homeostasis_is_read_and_reported(tmp_path):
    pytest.importorskip("sklearn")
    from emulator.learning.runner import run_learning
    from tests.unit.test_readouts import _digits
    assert ne.load_config(_digits({})).task.test_homeostasis is True
    reps, spikes = {}, {}
    for on in (True, False):
        cfg = _digits({"test": {"present": 3, "homeostasis": on}})
        cfg["network"]["populations"][-1]["fixed"]["th_inc"] = 40
        cfg["run"]["outputs"] = {"spikes": True}
        assert ne.load_config(cfg).task.test_homeostasis is on
        reps[on] = run_learning(build(ne.load_config(cfg)), tmp_path / str(on), progress=False)
        assert reps[on]["test_homeostasis"] is on
        z = np.load(tmp_path / str(on) / "spikes.npz")
        spikes[on] = z["exc_times"], z["exc_indices"]
    # training is the same run; the test differs once thresholds adapt, and without adaptation it spikes more
    t_test = reps[True]["epochs"] * 30 * 5
    train = [(t[t < t_test], i[t < t_test]) for t, i in spikes.values()]
    assert all(np.array_equal(a, b) for a, b in zip(*train))
    n_test = {on: int((spikes[on][0] >= t_test).sum()) for on in spikes}
    assert n_test[False] > n_test[True] > 0
    with pytest.raises(ne.ConfigError) as e:
        ne.load_config(_digits({"test": {"present": 3, "homeostasis": "sometimes"}}))
    assert e.value.path == "task.test.homeostasis"


def test_a_checkpoint_after_register_writes_resumes_only_with_the_same_writes(tmp_path):
    """The fingerprint covers the written registers: the same writes resume bit for bit, none refuse."""
    from emulator.errors import ResumeError
    _, b, _ = _shared_run_net(300)
    whole = Simulation(b.image, b.stimulus)
    whole.set_neuron_registers([0, 1], vth=[5, 7])
    ref = whole.run(40)
    first = Simulation(b.image, b.stimulus)
    first.set_neuron_registers([0, 1], vth=[5, 7])
    first.run(20)
    first.save_checkpoint(str(tmp_path / "c.npz"))
    resumed = Simulation(b.image, b.stimulus)
    resumed.set_neuron_registers([0, 1], vth=[5, 7])
    resumed.load_checkpoint(str(tmp_path / "c.npz"))
    res = resumed.run(20)
    assert (ref.spike_t >= 20).any()
    assert np.array_equal(res.spike_t, ref.spike_t) and np.array_equal(res.spike_id, ref.spike_id)
    with pytest.raises(ResumeError, match="different chip image"):
        Simulation(b.image, b.stimulus).load_checkpoint(str(tmp_path / "c.npz"))
