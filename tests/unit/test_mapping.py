"""The mapper: hand-derived registers, exact limit accounting, every error, ChipImage round trip."""

import numpy as np
import pytest

import emulator as ne
from emulator.errors import MappingError
from emulator.image import ChipImage
from emulator.mapping import synapse_word_bits

CUBA = "configs/examples/cuba.yaml"


def _cfg(text_dict):
    return ne.load_config(text_dict)


def _net(pops, projs=(), stim=None, chip=None, run=None):
    d = {"network": {"populations": list(pops), "projections": list(projs)}}
    if stim:
        d["stimulus"] = stim
    if chip:
        d["chip"] = chip
    if run:
        d["run"] = run
    return d


def test_cuba_registers_by_hand():
    b = ne.build(ne.load_config(CUBA, overrides=["run.timesteps=1"]))
    p = b.image.params
    # dt = 0.1 ms: du + 1 = round(4096 * 0.1/5) = round(81.92) = 82 -> du = 81;
    # du_inh + 1 = round(4096 * 0.1/10) = 41 -> 40; dv = round(4096 * 0.1/20) = round(20.48) = 20
    assert (p.du[0], p.du_inh[0], p.dv[0]) == (81, 40, 20)
    # threshold 10 mV; scale = largest 2^k with 10 * 2^k <= 2^21 -> 2^17; vth = 10 * 2^17 / 64 = 20480
    assert b.image.population("exc").scale == 2 ** 17 and p.vth[0] == 20480
    # bias = (dt/tau_m) * 11 mV * 2^17 = 0.005 * 11 * 131072 = 7208.96 counts; 7209 > 4095 does not fit
    # the 13-bit signed mantissa, so exp = 1 and mant = round(3604.48) = 3604 -> 3604 << 1 = 7208
    assert p.bias[0] == 7208
    # refractory 5 ms / 0.1 ms = 50 steps
    assert p.refractory[0] == 50
    # exc weight: 0.005 * 1.62 * 2^17 = 1061.68 u counts; smallest exp with |m| <= 255:
    # exp -3 -> m = 1061.68 / 2^3 = 132.7 -> 133; inh: 0.005 * 9 * 2^17 = 5898.24; exp -1 -> 184.3 -> -184
    reps = {r.name: r for r in b.report.projections}
    assert reps["ee"].weight_exp == -3 and reps["ie"].weight_exp == -1
    assert set(np.unique(b.image.syn_weight)) == {133, -184}
    assert reps["ie"].port == "inh" and reps["ee"].port == "exc"


def test_partition_respects_every_limit_exactly():
    b = ne.build(ne.load_config(CUBA, overrides=["run.timesteps=1"]))
    lim, rep = b.image.chip.limits, b.report
    assert (rep.neurons <= 400).all() and rep.neurons.sum() == 4000
    assert (rep.input_axons <= lim.input_axons).all() and (rep.output_axons <= lim.output_axons).all()
    # synapse bits recounted from the image itself
    word = synapse_word_bits(b.image.chip)
    per_core = np.add.reduceat(np.diff(b.image.axon_syn_ptr), b.image.axon_ptr[:-1]) * word
    assert np.array_equal(per_core, rep.synapse_bits)
    assert (per_core <= lim.synapse_memory_bits).all()


def test_synapse_memory_forces_a_split():
    # 300 neurons each with 100 inputs: 100 * 25 bits = 2500 bits per neuron; 64_000 bits per core -> 25 per core
    d = _net([{"name": "s", "size": 100, "model": "source"},
              {"name": "a", "size": 300, "model": "lif", "fixed": {"vth": 10}}],
             [{"source": "s", "target": "a", "connectivity": "all_to_all", "weight": 1}],
             {"s": {"type": "regular", "period_steps": 5}},
             {"base": "loihi1", "limits": {"synapse_memory_bits": 64000}})
    b = ne.build(_cfg(d))
    assert b.image.n_cores == 12 and list(b.report.neurons) == [25] * 12


@pytest.mark.parametrize("change, message", [
    ({"limits": {"synapse_memory_bits": 1000}}, "population 'a' neuron 0: 100 incoming synapses x 25 bits"),
    ({"limits": {"input_axons": 50}}, "more distinct sources than a core's 50 input axons"),
    ({"limits": {"neurons": 2}, "mesh": [2, 2]}, "needs 150 cores but the 2 x 2 mesh"),
])
def test_mapping_errors_name_block_limit_and_numbers(change, message):
    d = _net([{"name": "s", "size": 100, "model": "source"},
              {"name": "a", "size": 300, "model": "lif", "fixed": {"vth": 10}}],
             [{"source": "s", "target": "a", "connectivity": "all_to_all", "weight": 1}],
             {"s": {"type": "regular", "period_steps": 5}}, {"base": "loihi1", **change})
    with pytest.raises(MappingError, match=message.replace("(", r"\(")):
        ne.build(_cfg(d))


def test_output_axon_limit_error():
    d = _net([{"name": "a", "size": 64, "model": "lif", "fixed": {"vth": 10}},
              {"name": "b", "size": 64, "model": "lif", "fixed": {"vth": 10}, "max_per_core": 1}],
             [{"source": "a", "target": "b", "connectivity": "all_to_all", "weight": 1}],
             chip={"base": "loihi1", "limits": {"output_axons": 32}})  # 64 neurons x 64 destination cores
    with pytest.raises(MappingError, match=r"core 0 \(population a\): 4096 output axons exceed chip.limits.output_axons = 32"):
        ne.build(_cfg(d))


def test_physical_parameter_errors():
    base = {"name": "a", "size": 4, "model": "lif"}
    with pytest.raises(MappingError, match="refractory period of 100 steps exceeds the 6-bit limit 63"):
        ne.build(_cfg(_net([{**base, "params": {"refractory_ms": 100}}])))
    with pytest.raises(MappingError, match="bias .* exceeds the 13-bit mantissa"):
        ne.build(_cfg(_net([{**base, "params": {"threshold": 1.0, "bias": 1e6, "tau_mem_ms": 1}}])))
    with pytest.raises(MappingError, match="port 'inh' needs a target with a separate inhibitory current"):
        ne.build(_cfg(_net([{**base, "params": {}}],
                           [{"source": "a", "target": "a", "connectivity": "one_to_one", "weight": -1,
                             "port": "inh"}])))


def test_chip_image_save_load_round_trip(tmp_path):
    b = ne.build(ne.load_config("configs/examples/demo.yaml"))
    path = tmp_path / "img.npz"
    b.image.save(path)
    img = ChipImage.load(path)
    for name in ChipImage._ARRAYS:
        a, c = getattr(b.image, name), getattr(img, name)
        assert a.dtype == c.dtype and np.array_equal(a, c), name
    for a, c in zip(b.image.params, img.params):
        assert a.dtype == c.dtype and np.array_equal(a, c)
    assert img.chip == b.image.chip and img.populations == b.image.populations and img.dt_ms == b.image.dt_ms
    # and it runs to the same spikes
    from emulator.engine import Simulation
    r1 = Simulation(b.image, b.stimulus).run(100)
    r2 = Simulation(img, b.stimulus).run(100)
    assert np.array_equal(r1.spike_id, r2.spike_id) and np.array_equal(r1.spike_t, r2.spike_t)


def test_image_saved_with_separate_weight_and_delay_arrays_loads(tmp_path):
    """An image written before the 16-bit synapse word (syn_weight int16 and syn_delay uint8
    arrays) loads with the same words."""
    b = ne.build(ne.load_config("configs/examples/demo.yaml"))
    path = tmp_path / "img.npz"
    b.image.save(path)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files if k != "syn_word"}
    arrays.update(syn_weight=b.image.syn_weight, syn_delay=b.image.syn_delay)
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    assert np.array_equal(ChipImage.load(old).syn_word, b.image.syn_word)
    assert b.image.syn_weight.dtype == np.int16 and (b.image.syn_weight != 0).any()


@pytest.mark.parametrize("seed", range(6))
def test_sort_helpers_match_numpy(seed):
    """The mapper's sort-based set helpers give np.unique's and np.lexsort's results."""
    from emulator.mapping.sets import lexsort_ints, unique_ints, unique_inverse
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    hi = [2, 300, 1 << 20, 1 << 40][seed % 4]              # the last one forces lexsort's fallback
    keys = tuple(rng.integers(0, hi, n) for _ in range(int(rng.integers(1, 5))))
    assert np.array_equal(lexsort_ints(keys), np.lexsort(keys))
    x = keys[-1]
    assert np.array_equal(unique_ints(x), np.unique(x))
    values, inverse = unique_inverse(x)
    want_values, want_inverse = np.unique(x, return_inverse=True)
    assert np.array_equal(values, want_values) and np.array_equal(inverse, want_inverse)


def test_one_step_wrap_counts_the_spikes_that_wrap_a_24_bit_input():
    """k = (2^23 - [c > 0]) // |c| + 1 spikes of c = w << (6 + exp) leave the 24-bit range; checked
    against the wrap itself, and None when no target has that many inputs."""
    from emulator.fixed import wrap
    from emulator.mapping.mapper import wrap_spikes, peak_contribution
    for w, exp in ((-165, 3), (-20, 3), (255, -2), (1, 0), (-256, 7), (200, -8)):
        c = peak_contribution(np.array([w]), exp)
        assert c == (w << (6 + exp) if 6 + exp >= 0 else w >> -(6 + exp))
        k = wrap_spikes(c, fan_in=1 << 24)
        assert wrap(k * c, 24) != k * c and wrap((k - 1) * c, 24) == (k - 1) * c
        assert wrap_spikes(c, fan_in=k - 1) is None
    assert wrap_spikes(peak_contribution(np.array([-165, 0, -3]), 3), fan_in=999) == 100   # dense digits wta
    assert wrap_spikes(peak_contribution(np.array([0]), 3), fan_in=999) is None
    # a plastic projection is rated at its rule's bounds, where learning can take every weight
    assert peak_contribution(np.array([10]), 6, bounds=(0, 255)) == 255 << 12
    assert peak_contribution(np.array([10]), 6, bounds=(-256, 100)) == -256 << 12


@pytest.mark.parametrize("weight, du_inh", [(-165, 512), (-20, 512), (-40, 2048), (-9, 40)])
def test_sustained_wrap_is_where_the_engine_wraps(weight, du_inh):
    """k sources that spike every step into one target's inh port: the engine's u_inh wraps (turns
    positive) for k = wrap_spikes(c, fan_in, du_inh), and settles negative for k - 1."""
    from emulator.engine.simulation import Simulation
    from emulator.mapping.mapper import peak_contribution, wrap_spikes
    k = wrap_spikes(peak_contribution(np.array([weight]), 3), fan_in=1 << 20, d=du_inh)
    assert k > 1

    def wraps(n_sources):
        cfg = ne.load_config({
            "network": {
                "populations": [
                    # bias 4095 > vth << 6 and no refractory period: each fires in every step
                    {"name": "drive", "size": n_sources, "model": "lif",
                     "fixed": {"vth": 1, "bias": 4095, "du": 4095, "dv": 4095, "refractory": 0}},
                    {"name": "target", "size": 1, "model": "lif",
                     "fixed": {"vth": 131071, "du": 4095, "du_inh": du_inh, "dv": 4095}}],
                "projections": [{"name": "inh", "source": "drive", "target": "target",
                                 "connectivity": "all_to_all", "weight": weight, "weight_exp": 3, "port": "inh"}]},
            "run": {"timesteps": 1}})
        b = ne.build(cfg)
        sim = Simulation(b.image, b.stimulus)
        target = b.image.populations[1].first_id
        seen_positive = False
        for _ in range(400):
            sim.run(1)
            seen_positive |= int(sim.state.u_inh[target]) > 0
        return seen_positive

    assert wraps(k) and not wraps(k - 1)


def test_info_reports_where_the_lateral_inhibition_wraps():
    """The mapping report carries the one-step wrap figure of each projection (neuroemu info prints it)."""
    text = """
network:
  populations:
    - {name: src, size: 4, model: source}
    - {name: exc, size: 200, model: alif, fixed: {vth: 100, du: 4095, du_inh: 512, dv: 300}}
  projections:
    - {name: ff, source: src, target: exc, connectivity: all_to_all, weight: 5, weight_exp: 0}
    - {name: wta, source: exc, target: exc, connectivity: all_to_all, allow_self: false, weight: -165,
       weight_exp: 3, port: inh}
stimulus: {src: {type: poisson, rate_hz: 10}}
run: {timesteps: 5}
"""
    import yaml
    built = ne.build(ne.load_config(yaml.safe_load(text)))
    reports = {p.name: p for p in built.report.projections}
    assert reports["ff"].wrap_spikes is None and reports["ff"].max_fan_in == 4
    assert reports["wta"].wrap_spikes == 100 and reports["wta"].max_fan_in == 199
    assert reports["ff"].wrap_spikes_sustained is None
    assert reports["wta"].wrap_spikes_sustained == 13      # u_inh (du_inh 512) sums about 8 steps' input
