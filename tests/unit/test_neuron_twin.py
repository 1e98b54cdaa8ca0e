"""The Numba neuron unit agrees bit for bit with its plain-Python twin."""
import numpy as np
import pytest

from emulator import fixed as fx
from emulator.neurons.kernels import neuron_step, neuron_unit
from tests.reference.neuron_ref import neuron_step_ref, noise_ref, weight_contribution_ref, xorshift32

N_DRAWS = 12_000


def _edge_or_uniform(rng, lo, hi, edges):
    """Mostly uniform draws in [lo, hi], with 20 % taken from the edge values."""
    if rng.random() < 0.2:
        return int(rng.choice(edges))
    return int(rng.integers(lo, hi + 1))


def _random_case(rng):
    v24 = (-(2 ** 23), 2 ** 23 - 1)
    state_edges = [-(2 ** 23), -(2 ** 23) + 1, -1, 0, 1, 2 ** 23 - 2, 2 ** 23 - 1]
    acc_edges = [-(2 ** 31), 2 ** 31 - 1, 2 ** 23, -(2 ** 23) - 1, 0, 1, -1]
    return dict(
        a=_edge_or_uniform(rng, -(2 ** 31), 2 ** 31 - 1, acc_edges),
        a_inh=_edge_or_uniform(rng, -(2 ** 31), 2 ** 31 - 1, acc_edges),
        u=_edge_or_uniform(rng, *v24, state_edges),
        u_inh=_edge_or_uniform(rng, *v24, state_edges),
        v=_edge_or_uniform(rng, -(2 ** 23) + 1, 2 ** 23 - 1, state_edges[1:]),
        th=_edge_or_uniform(rng, 0, 2 ** 23 - 1, [0, 1, 2 ** 23 - 1]),
        ref=0 if rng.random() < 0.6 else _edge_or_uniform(rng, 0, 63, [1, 63]),  # mostly not refractory
        du=_edge_or_uniform(rng, 0, 4095, [0, 1, 4094, 4095]),
        du_inh=_edge_or_uniform(rng, 0, 4095, [0, 4095]),
        dv=_edge_or_uniform(rng, 0, 4095, [0, 1, 4095]),
        # log-uniform threshold: small thresholds are where spikes and resets happen
        vth=int(rng.choice([0, 1, 2 ** 17 - 1])) if rng.random() < 0.1 else int(2 ** rng.uniform(0, 17)) - 1,
        bias=_edge_or_uniform(rng, -4096, 4095, [-4096, 0, 4095]) << int(rng.integers(0, 8)),
        refractory=_edge_or_uniform(rng, 0, 63, [0, 1, 63]),
        dth=_edge_or_uniform(rng, 0, 4095, [0, 4095]),
        th_inc=_edge_or_uniform(rng, 0, 2 ** 17 - 1, [0, 2 ** 17 - 1]),
        flags=int(rng.integers(0, 8)),
    )


def test_neuron_step_matches_reference_on_random_draws():
    rng = np.random.default_rng(20261123)
    spikes = 0
    for i in range(N_DRAWS):
        case = _random_case(rng)
        got = neuron_step(*(np.int64(x) for x in list(case.values())[:-1]), np.uint8(case["flags"]))
        want = neuron_step_ref(**case)
        assert tuple(int(x) for x in got[:5]) == want[:5] and bool(got[5]) == want[5], (i, case, got, want)
        spikes += want[5]
    # the draws must exercise both outcomes, or the comparison proves little
    assert 0.05 * N_DRAWS < spikes < 0.95 * N_DRAWS


def test_neuron_unit_with_noise_and_dendrite_matches_reference():
    """The full unit (issue #8: noise on u or v, the dendritic compartment) on random draws, every
    flag combination; noise values span the whole range of (2b - 255) * (mant << exp)."""
    rng = np.random.default_rng(88)
    spikes = passed = blocked = 0
    for i in range(N_DRAWS):
        case = _random_case(rng)
        case["flags"] = int(rng.integers(0, 64))
        if case["flags"] & 4 and case["flags"] & 32:      # DUAL and DEND share the second register
            case["flags"] &= ~4
        case["noise"] = (2 * int(rng.integers(0, 256)) - 255) * (int(rng.integers(0, 256)) << int(rng.integers(0, 8)))
        case["dend_th"] = _edge_or_uniform(rng, 0, 2 ** 17 - 1, [0, 1, 2 ** 17 - 1])
        case["dend_sat"] = _edge_or_uniform(rng, 0, 2 ** 17 - 1, [0, 1, 2 ** 17 - 1])
        args = [np.int64(case[k]) for k in ("a", "a_inh", "u", "u_inh", "v", "th", "ref", "du", "du_inh", "dv",
                                            "vth", "bias", "refractory", "dth", "th_inc")]
        got = neuron_unit(*args, np.uint8(case["flags"]), *(np.int64(case[k]) for k in ("noise", "dend_th",
                                                                                        "dend_sat")))
        want = neuron_step_ref(**case)
        assert tuple(int(x) for x in got[:5]) == want[:5] and bool(got[5]) == want[5], (i, case, got, want)
        spikes += want[5]
        if case["flags"] & 32:
            d = want[1]
            passed += d > case["dend_th"] * 64
            blocked += d <= case["dend_th"] * 64
    assert 0.05 * N_DRAWS < spikes < 0.95 * N_DRAWS
    assert passed > 100 and blocked > 100, (passed, blocked)


def test_noise_lfsr_and_value_match_reference():
    """xorshift32 and the noise formula against the twin, and the noise is zero-mean and symmetric."""
    s_emu = s_ref = 0x1234567
    values = []
    for _ in range(20_000):
        s_emu = fx.lfsr_next(s_emu)
        s_ref, want = noise_ref(s_ref, 3)
        assert s_emu == s_ref and fx.noise_value(s_emu, 3) == want
        values.append(want)
    values = np.array(values)
    assert values.min() >= -765 and values.max() <= 765 and np.all(values % 3 == 0) and np.all((values // 3) % 2)
    # mean of 20,000 uniform odd values in [-255, 255] * 3: standard error 3 * 147.8 / sqrt(20000) = 3.1
    assert abs(values.mean()) < 4 * 3.1
    assert xorshift32(1) == 270369   # 1 ^ (1 << 13) = 8193; ^ 8193 >> 17 = 8193; ^ (8193 << 5) = 270369


@pytest.mark.parametrize("exp", range(fx.WEIGHT_EXP_MIN, fx.WEIGHT_EXP_MAX + 1))
def test_weight_contribution_matches_reference(exp):
    for w in range(fx.WEIGHT_MIN, fx.WEIGHT_MAX + 1):
        assert fx.weight_contribution(w, exp) == weight_contribution_ref(w, exp)


def test_synapse_word_packs_every_weight_and_delay():
    """Every (weight, delay) pair of the fields round-trips through the 16-bit synapse word, the
    scalar kernels agree with the twin's decoder, and with_weight keeps the delay."""
    from emulator.image import pack_synapses, synapse_delays, synapse_weights
    from tests.reference.neuron_ref import synapse_ref
    w, d = np.meshgrid(np.arange(fx.WEIGHT_MIN, fx.WEIGHT_MAX + 1), np.arange(fx.MAX_DELAY + 1), indexing="ij")
    words = pack_synapses(w.ravel(), d.ravel())
    assert words.dtype == np.uint16 and int(words.max()) < 1 << 15 and np.unique(words).size == words.size
    assert np.array_equal(synapse_weights(words), w.ravel()) and np.array_equal(synapse_delays(words), d.ravel())
    rng = np.random.default_rng(0)
    for i in rng.integers(0, words.size, 2000):
        word, new = int(words[i]), int(rng.integers(fx.WEIGHT_MIN, fx.WEIGHT_MAX + 1))
        assert (fx.word_weight(word), fx.word_delay(word)) == synapse_ref(word) == (w.ravel()[i], d.ravel()[i])
        assert synapse_ref(fx.with_weight(word, new)) == (new, d.ravel()[i])
        assert fx.synapse_word(int(w.ravel()[i]), int(d.ravel()[i])) == word


@pytest.mark.parametrize("weight, delay", [([256], [0]), ([-257], [0]), ([0], [fx.MAX_DELAY + 1]), ([0], [-1])])
def test_synapse_word_refuses_fields_that_overflow(weight, delay):
    from emulator.image import pack_synapses
    with pytest.raises(ValueError, match="outside"):
        pack_synapses(np.array(weight), np.array(delay))


def test_slow_decay_equals_decay():
    """decay24_slow == decay for every offset + d <= SLOW_DECAY_MAX, on the 24-bit edges and random x."""
    rng = np.random.default_rng(255)
    xs = [-(2 ** 23), -(2 ** 23) + 1, -4097, -4096, -4095, -1, 0, 1, 4095, 4096, 2 ** 23 - 1]
    xs += [int(x) for x in rng.integers(-(2 ** 23), 2 ** 23, 400)]
    for offset in (0, 1):
        for d in range(0, fx.SLOW_DECAY_MAX + 1 - offset):
            for x in xs:
                got = int(fx.decay24_slow(np.int32(x), np.int32(d), offset))
                assert got == int(fx.decay(np.int64(x), np.int64(d), offset)), (x, d, offset)


def test_neuron_unit_slow_decays_match_reference():
    """The unit's slow-decay path (uniform loops whose decays fit decay24_slow) against the twin."""
    rng = np.random.default_rng(16)
    spikes = 0
    for i in range(N_DRAWS):
        case = _random_case(rng)
        case["flags"] = int(rng.integers(0, 8))               # ADAPT too: th keeps decay24 either way
        case["du"] = _edge_or_uniform(rng, 0, fx.SLOW_DECAY_MAX - 1, [0, fx.SLOW_DECAY_MAX - 1])
        case["du_inh"] = _edge_or_uniform(rng, 0, fx.SLOW_DECAY_MAX - 1, [0, fx.SLOW_DECAY_MAX - 1])
        case["dv"] = _edge_or_uniform(rng, 0, fx.SLOW_DECAY_MAX, [0, fx.SLOW_DECAY_MAX])
        args = [np.int64(case[k]) for k in ("a", "a_inh", "u", "u_inh", "v", "th", "ref", "du", "du_inh", "dv",
                                            "vth", "bias", "refractory", "dth", "th_inc")]
        got = neuron_unit(*args, np.uint8(case["flags"]), np.int64(0), np.int64(0), np.int64(0), 1)
        want = neuron_step_ref(**case)
        assert tuple(int(x) for x in got[:5]) == want[:5] and bool(got[5]) == want[5], (i, case, got, want)
        spikes += want[5]
    assert 0.05 * N_DRAWS < spikes < 0.95 * N_DRAWS
