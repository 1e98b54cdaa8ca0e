"""Analytic properties of the neuron unit, each derived by hand in its comment."""
import numpy as np

from emulator import fixed as fx
from emulator.neurons.kernels import neuron_step
from emulator.neurons.models import FLAG_ADAPT, FLAG_DUAL, FLAG_SUBTRACT

_P = dict(du=0, du_inh=0, dv=0, vth=1000, bias=0, refractory=0, dth=0, th_inc=0, flags=0)


def step(a=0, a_inh=0, u=0, u_inh=0, v=0, th=0, ref=0, **params):
    p = {**_P, **params}
    out = neuron_step(*(np.int64(x) for x in (a, a_inh, u, u_inh, v, th, ref, p["du"], p["du_inh"], p["dv"],
                                               p["vth"], p["bias"], p["refractory"], p["dth"], p["th_inc"])),
                      np.uint8(p["flags"]))
    return tuple(int(x) for x in out[:5]) + (bool(out[5]),)


def test_current_impulse_response():
    # u_0 = 2**18; factor (4096 - (du + 1)) = 3686 for du = 409:
    # u_1 = 2**18 * 3686 / 2**12 = 64 * 3686 = 235904 exactly (no rounding),
    # u_2 = floor(235904 * 3686 / 4096) = floor(212290.56) = 212290 (truncated)
    u = step(a=2 ** 18, du=409, vth=2 ** 17 - 1)[0]
    assert u == 2 ** 18
    u = step(u=u, du=409, vth=2 ** 17 - 1)[0]
    assert u == 235904
    assert step(u=u, du=409, vth=2 ** 17 - 1)[0] == 212290


def test_decay_rounds_toward_zero_symmetrically_and_reaches_zero():
    for x in (1, 7, 4095, 123456, 2 ** 23 - 1):
        for d in (0, 1, 2047, 4095):
            assert fx.decay(-x, d, 0) == -fx.decay(x, d, 0)
    # any factor < 4096 maps 1 to floor(m / 4096) = 0: decay always ends at exactly 0
    x, steps = 2 ** 23 - 1, 0
    while x:
        x = fx.decay(x, 1, 0)
        steps += 1
    assert 0 < steps < 200_000


def test_du_4095_keeps_no_current_memory_and_dv_0_is_a_perfect_integrator():
    # du = 4095 with Loihi's +1 offset: factor 4096 - 4096 = 0 -> u_t = a_t
    assert step(a=5, u=123456, du=4095, vth=2 ** 17 - 1)[0] == 5
    # dv = 0: factor 4096/4096 -> v_t = v_{t-1} + u_t + bias, exactly
    assert step(a=100, u=0, v=-777, du=4095, bias=11, vth=2 ** 17 - 1)[2] == -777 + 100 + 11


def test_current_wraps_at_24_bits():
    # u = 2**23 does not fit 24-bit two's complement: it wraps to -2**23
    assert step(a=2 ** 23, du=4095, vth=2 ** 17 - 1)[0] == -(2 ** 23)
    # the accumulator is 24 bits too: 2**24 + 5 enters as 5
    assert step(a=2 ** 24 + 5, du=4095, vth=2 ** 17 - 1)[0] == 5


def test_voltage_saturates_symmetrically():
    big = 2 ** 23 - 1
    # the largest threshold (2**17-1) << 6 is below V_MAX, so hold it higher with the adaptive register
    assert step(u=big, v=big, du=0, th=big, vth=2 ** 17 - 1, flags=FLAG_ADAPT)[2] == fx.V_MAX
    assert step(u=-big, v=-big, du=0, vth=2 ** 17 - 1)[2] == fx.V_MIN == -(2 ** 23 - 1)


def test_threshold_is_strict_and_shifted_by_6():
    # vth = 1000 -> theta = 64000; v = 64000 does not spike, 64001 does
    assert step(v=64000, vth=1000)[5] is False
    out = step(v=64001, vth=1000)
    assert out[5] is True and out[2] == 0                        # reset to zero
    out = step(v=64001 + 500, vth=1000, flags=FLAG_SUBTRACT)
    assert out[5] is True and out[2] == 501                      # soft reset keeps the overshoot


def test_refractory_period_gives_interspike_interval_r_plus_1():
    # bias far above threshold: the neuron would fire every step; with refractory R
    # it fires at t, is held for t+1..t+R, and fires again at t+R+1
    for R in (0, 1, 3, 7):
        u = v = th = ref = 0
        times = []
        for t in range(40):
            u, _, v, th, ref, s = step(u=u, v=v, ref=ref, bias=10 ** 6, vth=10, refractory=R)
            if s:
                times.append(t)
        assert np.all(np.diff(times) == R + 1), (R, times)


def test_refractory_holds_v_but_current_keeps_integrating():
    u, _, v, _, ref, s = step(a=500, u=0, v=1234, ref=2, du=4095)
    assert (u, v, ref, s) == (500, 1234, 1, False)


def test_integrate_and_fire_soft_reset_conserves_charge():
    # IF: no leak (dv = 0), soft reset. Every step adds b; each spike removes theta.
    # So v_t + theta * spikes_t == (t + 1) * b exactly, and 0 <= v_t <= theta.
    theta_mant, b = 3, 37
    u = v = ref = 0
    spikes = 0
    for t in range(500):
        u, _, v, _, ref, s = step(u=u, v=v, ref=ref, bias=b, vth=theta_mant, du=4095, flags=FLAG_SUBTRACT)
        spikes += s
        assert v + spikes * theta_mant * 64 == (t + 1) * b
        assert 0 <= v <= theta_mant * 64
    assert spikes == (500 * b) // (theta_mant * 64) or spikes == (500 * b - 1) // (theta_mant * 64)


def test_adaptive_threshold_jumps_on_spike_and_decays():
    # spike: th <- th + th_inc << 6 = 5 * 64 = 320; next step th <- floor(320 * (4096 - 1024) / 4096) = 240
    out = step(v=64001, vth=1000, th_inc=5, dth=1024, flags=FLAG_ADAPT)
    assert out[5] and out[3] == 320
    out2 = step(v=0, th=out[3], vth=1000, th_inc=5, dth=1024, flags=FLAG_ADAPT)
    assert out2[3] == 240 and not out2[5]
    # the adapted threshold is what v must exceed: v = 64000 + 240 does not spike, +1 does
    assert not step(v=64240, th=320, vth=1000, dth=1024, flags=FLAG_ADAPT)[5]   # th decays to 240 first
    assert step(v=64241, th=320, vth=1000, dth=1024, flags=FLAG_ADAPT)[5]


def test_dual_port_currents_decay_separately_and_sum_into_v():
    # exc: du = 4095 -> u = a; inh: du_inh = 2047 -> factor 2048: u_inh = 1000 * 2048/4096 + (-300) = 200
    u, u_inh, v, _, _, _ = step(a=70, a_inh=-300, u=0, u_inh=1000, du=4095, du_inh=2047, flags=FLAG_DUAL,
                                vth=2 ** 17 - 1)
    assert (u, u_inh, v) == (70, 200, 270)
    # without the dual flag the inh register is not touched
    assert step(a_inh=-300, u_inh=1000, flags=0, vth=2 ** 17 - 1)[1] == 1000
