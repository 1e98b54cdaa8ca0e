"""The research neuron models of issue #8: noise, two compartments, per-neuron trained thresholds.

Bit-exactness against the plain-Python twins is in test_neuron_twin.py (the unit) and
test_engine_twin.py (whole random networks with noisy and two-compartment populations);
this file checks the behaviour each model promises, derived by hand where it can be.
"""
from pathlib import Path

import numpy as np
import pytest

from emulator.api import build, load_config
from emulator.bridge.memfiles import BridgeError, RtlChip
from emulator.engine import ProbeSpec, Simulation
from emulator.errors import ConfigError
from emulator.neurons.kernels import neuron_unit
from emulator.neurons.models import FLAG_DEND, FLAG_NOISE_U, FLAG_NOISE_V

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "configs" / "examples"


def _unit(a=0, a_inh=0, u=0, d=0, v=0, flags=FLAG_DEND, noise=0, dend_th=0, dend_sat=0, du=4095, dd=4095, dv=4095):
    """One update with no leak memory (du = dd = dv = 4095: u, d and v hold one step's input)."""
    args = [np.int64(x) for x in (a, a_inh, u, d, v, 0, 0, du, dd, dv, 2 ** 17 - 1, 0, 0, 0, 0)]
    out = neuron_unit(*args, np.uint8(flags), np.int64(noise), np.int64(dend_th), np.int64(dend_sat))
    return tuple(int(x) for x in out[:5])


# ----------------------------------------------------------------------------- two compartments
def test_dendrite_blocks_below_threshold_passes_above_and_saturates():
    # dv = 4095 leaves v = 1/4096 of itself (0 for small v) + u + g(d); u = a = 0 here
    th, sat = 10, 20                      # threshold 640, plateau 1280 v counts
    assert _unit(a_inh=640, dend_th=th, dend_sat=sat)[1:3] == (640, 0)        # d = 640 <= 640: blocked
    assert _unit(a_inh=641, dend_th=th, dend_sat=sat)[1:3] == (641, 641)      # just above: passes
    assert _unit(a_inh=5000, dend_th=th, dend_sat=sat)[1:3] == (5000, 1280)   # capped at the plateau
    assert _unit(a_inh=-5000, dend_th=0, dend_sat=sat)[1:3] == (-5000, 0)     # negative: always blocked
    # soma and dendrite add: u = 300 plus g(d) = 700
    assert _unit(a=300, a_inh=700, dend_th=th, dend_sat=sat)[2] == 1000


def test_dendritic_current_decays_with_its_own_time_constant():
    # dd = 2047: factor (4096 - 2048) / 4096 = 1/2 per step, truncated toward zero
    d = 1000
    for want in (500, 250, 125, 62, 31):
        d = _unit(d=d, dd=2047, dend_th=0, dend_sat=2 ** 17 - 1)[1]
        assert d == want


def test_two_compartment_example_is_a_coincidence_detector():
    """configs/examples/two_compartment.yaml: the plateau (0.9) is below the soma's threshold (1.0),
    so dendritic input alone can never fire the soma; with somatic input it fires."""
    rates = {}
    for name, sets in (("both", []), ("dend only", ["stimulus.soma_in.rate_hz=0"]),
                       ("soma only", ["stimulus.dend_in.rate_hz=0"])):
        b = build(load_config(str(EXAMPLES / "two_compartment.yaml"), ["run.timesteps=600", *sets]))
        res = Simulation(b.image, b.stimulus).run(600)
        rates[name] = res.spike_id.size
        assert np.all((b.image.params.flags & FLAG_DEND) != 0)
    assert rates["dend only"] == 0
    assert rates["both"] > 20 * max(rates["soma only"], 1), rates


def test_dendrite_updates_cost_their_own_cycles():
    cfg = {"network": {"populations": [
        {"name": "a", "size": 7, "model": "lif2c", "fixed": {"vth": 10}},
        {"name": "b", "size": 5, "model": "lif", "fixed": {"vth": 10}}]},
        "run": {"timesteps": 4}}
    b = build(load_config(cfg))
    res = Simulation(b.image).run(4)
    c = b.image.chip.cycles
    assert res.totals["dendrite_updates"] == 7 * 4
    # no spikes: each core costs its neuron updates, plus a dendrite update per lif2c neuron
    per_core = [c.neuron_update * (hi - lo) + c.dendrite_update * int(np.sum(b.image.params.flags[lo:hi] & FLAG_DEND > 0))
                for lo, hi in zip(b.image.neuron_ptr[:-1], b.image.neuron_ptr[1:])]
    assert max(per_core) == (c.neuron_update + c.dendrite_update) * 7
    assert res.step_cycles.tolist() == [max(per_core) + c.barrier] * 4


# ----------------------------------------------------------------------------- noise
def _noisy(seed, target="v", mant=24, steps=300):
    cfg = load_config({
        "network": {"populations": [{"name": "n", "size": 20, "model": "lif", "fixed": {
            "du": 4095, "dv": 410, "vth": 100, "noise_mant": mant, "noise_exp": 0, "noise_target": target}}]},
        "run": {"timesteps": steps, "seed": seed}})
    b = build(cfg)
    b.image.params.bias[:] = 400        # below the rheobase 100 * 64 * 410 / 4096 = 640.6
    return b, Simulation(b.image, probes=[ProbeSpec("n", (0,), ("u", "v"))]).run(steps)


def test_noise_is_reproducible_per_seed_and_changes_with_it():
    _, r1 = _noisy(5)
    _, r2 = _noisy(5)
    _, r3 = _noisy(6)
    assert np.array_equal(r1.spike_t, r2.spike_t) and np.array_equal(r1.spike_id, r2.spike_id)
    assert np.array_equal(r1.probes[("n", "v")], r2.probes[("n", "v")])
    assert not np.array_equal(r1.probes[("n", "v")], r3.probes[("n", "v")])


def test_noise_fires_neurons_below_the_deterministic_rheobase():
    b, quiet = _noisy(1, mant=0)
    assert quiet.spike_id.size == 0                      # v -> 400 * 4096 / 410 = 3996 < 6400: never
    assert not np.any(b.image.params.flags & (FLAG_NOISE_U | FLAG_NOISE_V))
    b, noisy = _noisy(1, mant=24)
    assert np.all(b.image.params.flags & FLAG_NOISE_V) and np.all(b.image.params.noise_amp == 24)
    assert noisy.spike_id.size > 50


def test_noise_on_u_enters_the_current():
    # with du = 4095 and no input, u is this step's noise alone: an odd multiple of the amplitude
    b, res = _noisy(2, target="u", mant=3)
    u = res.probes[("n", "u")]
    assert np.all(b.image.params.flags & FLAG_NOISE_U)
    assert np.all(np.abs(u) <= 255 * 3) and np.all(u % 3 == 0) and np.all((u // 3) % 2 == 1)
    assert len(np.unique(u)) > 50


def test_physical_noise_amplitude_is_quantized_to_mantissa_and_exponent():
    cfg = load_config({"network": {"populations": [{"name": "n", "size": 2, "model": "lif", "params": {
        "threshold": 1.0, "noise_amplitude": 0.5}}]}})
    b = build(cfg)
    scale = b.image.population("n").scale
    amp = int(b.image.params.noise_amp[0])
    assert abs(255 * amp - 0.5 * scale) <= 255 * (amp & -amp)        # within one step of its exponent
    assert amp >> (amp & -amp).bit_length() - 1 <= 255                 # mantissa fits 8 bits


def test_noise_example_runs_and_only_the_noisy_population_fires():
    b = build(load_config(str(EXAMPLES / "noisy_neurons.yaml"), ["run.timesteps=500"]))
    res = Simulation(b.image, b.stimulus).run(500)
    quiet, noisy = b.image.population("quiet"), b.image.population("noisy")
    ids = res.spike_id
    assert np.sum((ids >= quiet.first_id) & (ids < quiet.first_id + quiet.size)) == 0
    assert np.sum((ids >= noisy.first_id) & (ids < noisy.first_id + noisy.size)) > 30


# ----------------------------------------------------------------------------- trained thresholds
def test_per_neuron_thresholds_from_a_trained_nir_model():
    """A NIR LIF layer with one trained threshold per neuron maps to one vth register per neuron
    (vth = round(threshold * scale / 64)); with the same input, higher thresholds fire less."""
    nir = pytest.importorskip("nir")
    from emulator.config.loader import load_chip
    from emulator.ir.nir_import import ImportOptions, from_nir
    from emulator.mapping import map_network
    from emulator.mapping.check import run_chip
    n = 8
    thr = np.linspace(0.5, 2.0, n)
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([1])}),
               "fc": nir.Affine(weight=np.full((n, 1), 5.0), bias=np.zeros(n)),
               "lif": nir.LIF(tau=np.full(n, 0.02), r=np.ones(n), v_leak=np.zeros(n), v_threshold=thr,
                              v_reset=np.zeros(n)),
               "output": nir.Output(output_type={"output": np.array([n])})},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")], type_check=False)
    model = from_nir(graph, ImportOptions(dt_s=1e-3))
    image, _ = map_network(model.network, load_chip("loihi1"))
    pop = next(p for p in image.populations if not p.on_host)
    vth = image.params.vth[pop.first_id:pop.first_id + n]
    assert vth.tolist() == np.rint(thr * pop.scale / 64).astype(int).tolist()
    assert len(set(vth.tolist())) == n
    data = {"input": (np.random.default_rng(0).random((1, 300, 1)) < 0.5).astype(np.uint8)}
    counts = run_chip(image, model, data).outputs["output"].sum(axis=(0, 1))
    assert np.all(np.diff(counts) <= 0) and counts[0] > counts[-1] > 0, counts


def test_per_neuron_thresholds_from_a_params_file(tmp_path):
    import yaml
    from emulator.config.loader import load
    np.savez(tmp_path / "thr.npz", threshold=np.array([0.5, 1.0, 2.0]))
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(
        {"network": {"populations": [{"name": "n", "size": 3, "model": "lif", "params_file": "thr.npz"}]}}))
    vth = build(load(str(tmp_path / "cfg.yaml"))).image.params.vth[:3].astype(int)
    assert vth[1] == 2 * vth[0] and abs(vth[2] - 4 * vth[0]) <= 1


# ----------------------------------------------------------------------------- YAML and verify
@pytest.mark.parametrize("pops, proj, match", [
    ([{"name": "n", "size": 2, "model": "lif", "fixed": {"vth": 5}}], {"port": "dend"},
     r"network.projections\[0\].port: port dend needs a two-compartment target"),
    ([{"name": "n", "size": 2, "model": "lif2c", "fixed": {"vth": 5}}], {"port": "inh"},
     r"network.projections\[0\].port: 'n' is a two-compartment neuron"),
    ([{"name": "n", "size": 2, "model": "lif", "fixed": {"vth": 5, "noise_mant": 256}}], {},
     r"network.populations\[1\].fixed.noise_mant"),
    ([{"name": "n", "size": 2, "model": "lif", "params": {"noise_target": "w"}}], {},
     r"network.populations\[1\].params.noise_target"),
    ([{"name": "n", "size": 2, "model": "lif2c", "params": {"tau_syn_inh_ms": 3}}], {},
     r"network.populations\[1\].params: unknown key 'tau_syn_inh_ms'"),
])
def test_yaml_errors_name_the_field(pops, proj, match):
    cfg = {"network": {"populations": [{"name": "s", "size": 2, "model": "source"}, *pops],
                       "projections": [{"source": "s", "target": "n", "connectivity": "all_to_all",
                                        "weight": 1, **proj}]},
           "stimulus": {"s": {"type": "poisson", "rate_hz": 10}}}
    with pytest.raises(ConfigError, match=match):
        load_config(cfg)


def test_verify_refuses_models_the_rtl_does_not_implement():
    b = build(load_config(str(EXAMPLES / "noisy_neurons.yaml")))
    with pytest.raises(BridgeError, match=r"population\(s\) noisy use noise on v, which the RTL neuron unit "
                                          r"does not implement"):
        RtlChip.for_image(b.image).check(b.image)
