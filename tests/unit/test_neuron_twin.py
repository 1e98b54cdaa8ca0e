"""The Numba neuron unit agrees bit for bit with its plain-Python twin."""
import numpy as np
import pytest

from emulator import fixed as fx
from emulator.neurons.kernels import neuron_step
from tests.reference.neuron_ref import neuron_step_ref, weight_contribution_ref

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


@pytest.mark.parametrize("exp", range(fx.WEIGHT_EXP_MIN, fx.WEIGHT_EXP_MAX + 1))
def test_weight_contribution_matches_reference(exp):
    for w in range(fx.WEIGHT_MIN, fx.WEIGHT_MAX + 1):
        assert fx.weight_contribution(w, exp) == weight_contribution_ref(w, exp)
