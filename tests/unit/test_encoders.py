"""Spike encoders (emulator/io/encoders.py, docs/coding.md): exact properties of each code."""
import numpy as np
import pytest

from emulator.config.types import StimulusConfig
from emulator.io.encoders import (Cochlea, delta_encode, filterbank_encode, if_encode, latency_encode, latency_steps,
                                  rate_encode, threshold_for_rate)
from emulator.io.encoders_signals import chirp_vowel, digits_images, sine
from emulator.io.stimulus import SourceTrain


# ------------------------------------------------------------------ rate
def test_rate_code_is_the_poisson_source_hash_and_reproducible_per_seed():
    # one frame of the rate code draws exactly what a poisson source of the same population index
    # and rates max_rate_hz * x draws (the counter-based hash of stimulus.py, no second RNG)
    x = digits_images(5)
    tr = rate_encode(x, 300.0, 1.0, seed=9, duration_steps=80, t0=20, stream=2)
    src = SourceTrain(StimulusConfig("p", "poisson", rates_hz=tuple(300.0 * x), start_step=20, stop_step=100),
                      64, pop_index=2, seed=9, dt_ms=1.0)
    t, i = src.window(0, 200)
    assert np.array_equal(tr.times, t) and np.array_equal(tr.indices, i) and t.size > 0
    again = rate_encode(x, 300.0, 1.0, seed=9, duration_steps=80, t0=20, stream=2)
    other = rate_encode(x, 300.0, 1.0, seed=10, duration_steps=80, t0=20, stream=2)
    assert np.array_equal(again.times, tr.times) and np.array_equal(again.indices, tr.indices)
    assert not (other.times.size == tr.times.size and np.array_equal(other.indices, tr.indices))


def test_rate_code_mean_rate_within_binomial_bounds():
    # 1000 neurons at x = 0.3, 200 Hz, dt 1 ms: p = 0.06 per step, 500 steps -> the count is
    # Binomial(500000, 0.06): mean 30000, sd sqrt(500000 * 0.06 * 0.94) = 167.9
    tr = rate_encode(np.full(1000, 0.3), 200.0, 1.0, seed=3, duration_steps=500)
    assert abs(tr.times.size - 30000) < 5 * 167.9
    # a zero value never spikes, a value of 1 at 1000 Hz spikes every step
    tr = rate_encode(np.array([0.0, 1.0]), 1000.0, 1.0, seed=3, duration_steps=50)
    assert tr.indices.tolist() == [1] * 50


def test_rate_code_frames_and_rest():
    tr = rate_encode(np.ones((3, 4)), 1000.0, 1.0, seed=0, duration_steps=5, rest_steps=3, t0=10)
    assert tr.steps == 24
    assert sorted(set(tr.times.tolist())) == [10, 11, 12, 13, 14, 18, 19, 20, 21, 22, 26, 27, 28, 29, 30]
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        rate_encode(np.array([1.5]), 100.0, 1.0, 0)


# ------------------------------------------------------------------ latency
def test_latency_exact_times_and_brighter_spikes_earlier():
    # linear, D = 51: s = floor((1 - x) * 50 + 1/2): x = 1 -> 0, 0.5 -> 25, 0.75 -> floor(13.0) = 13
    # (a half rounds up), 0.02 -> floor(49.5) = 49; x = 0 (= threshold) stays silent
    x = np.array([1.0, 0.5, 0.75, 0.02, 0.0])
    assert latency_steps(x, 51).tolist() == [0, 25, 13, 49, -1]
    tr = latency_encode(x, 51, t0=7)
    assert list(zip(tr.times.tolist(), tr.indices.tolist())) == [(7, 0), (20, 2), (32, 1), (56, 3)]
    # on a digit: every pixel spikes at most once, and a brighter pixel never later
    img = digits_images(3)
    tr = latency_encode(img, 30)
    assert np.bincount(tr.indices, minlength=64).max() == 1
    t = np.full(64, np.inf)
    t[tr.indices] = tr.times
    order = np.argsort(-img, kind="stable")
    assert np.all(np.diff(t[order][img[order] > 0]) >= 0)


def test_latency_log_code_and_frames():
    # log: s = floor(10 ln(1/x) + 1/2): x = 1 -> 0, e^-1 -> 10, e^-2.5 -> 25; e^-6 -> 60 >= D = 50: silent
    x = np.exp(-np.array([0.0, 1.0, 2.5, 6.0]))
    assert latency_steps(x, 50, "log", tau_steps=10.0).tolist() == [0, 10, 25, -1]
    tr = latency_encode(np.array([[1.0, 0.0], [0.0, 1.0]]), 10, rest_steps=5)
    assert list(zip(tr.times.tolist(), tr.indices.tolist())) == [(0, 0), (15, 1)] and tr.steps == 30


# ------------------------------------------------------------------ delta / threshold crossing
def test_delta_reconstruction_error_is_bounded_by_delta():
    # while |x_t - x_(t-1)| <= delta the reference r_t (integrated up/down spikes) stays within delta
    rng = np.random.default_rng(4)
    delta = 0.05
    x = np.cumsum(rng.uniform(-delta, delta, (2000, 3)), axis=0)
    x[0] = 0.0
    tr = delta_encode(x, delta)
    up = np.zeros((2000, 3))
    np.add.at(up, (tr.times, tr.indices // 2), np.where(tr.indices % 2 == 0, 1.0, -1.0))
    r = np.cumsum(up, axis=0) * delta
    assert np.abs(x - r).max() < delta
    assert tr.size == 6 and tr.times.size > 100


def test_delta_step_input_is_followed_one_delta_per_step():
    # a jump from 0 to 1 at t = 10 with delta 1/8 (slope overload): up spikes at t = 10..17, none after
    x = np.zeros(40)
    x[10:] = 1.0
    tr = delta_encode(x, 0.125)
    assert tr.times.tolist() == list(range(10, 18)) and set(tr.indices.tolist()) == {0}
    tr = delta_encode(-x, 0.25)
    assert tr.times.tolist() == [10, 11, 12, 13] and set(tr.indices.tolist()) == {1}


def test_delta_count_is_not_monotone_in_delta_in_general():
    # documented in docs/coding.md: grid effects. x (in 1/16) = 2 4 6 8 7 6 4, steps <= 2/16:
    # delta 3/16: ups at 4 (r=3) and 6 (r=6), then |x - 6| < 3: 2 spikes;
    # delta 4/16: ups at 4 (r=4) and 8 (r=8), a down at 4 (8 - 4 >= 4): 3 spikes
    x = np.array([2, 4, 6, 8, 7, 6, 4]) / 16.0
    assert delta_encode(x, 3 / 16).times.size == 2 and delta_encode(x, 4 / 16).times.size == 3


# ------------------------------------------------------------------ integrate-and-fire
def test_if_code_count_is_monotone_in_theta_and_tracks_the_integral():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, (300, 4)) ** 3
    counts = [if_encode(x, th).times.size for th in np.geomspace(0.01, 50, 200)]
    assert np.all(np.diff(counts) <= 0) and counts[0] > counts[-1]
    theta = 1.0                             # >= max x: never saturated, so 0 <= S_t - theta n_t < theta
    tr = if_encode(x, theta)
    n = np.zeros_like(x)
    np.add.at(n, (tr.times, tr.indices), 1.0)
    err = np.cumsum(x, axis=0) - theta * np.cumsum(n, axis=0)
    assert err.min() >= 0 and err.max() < theta


# ------------------------------------------------------------------ filterbank
def test_cochlea_bands_and_frequency_selectivity():
    bank = Cochlea(16000.0, 16, f_lo_hz=100.0, f_hi_hz=6000.0)
    e = bank.edges_hz
    assert abs(e[0] - 100.0) < 1e-9 and abs(e[-1] - 6000.0) < 1e-6 and np.all(np.diff(e) > 0)
    env = bank.envelopes(sine(300.0, 16000.0, 1.0, 1000.0), dt_ms=1.0)
    assert env.shape == (300, 16)
    c = int(np.argmax(env[100:].mean(axis=0)))     # after the filters settle
    assert e[c] <= 1000.0 <= e[c + 1]


@pytest.fixture(scope="module")
def envelope():
    return Cochlea(16000.0, 16).envelopes(chirp_vowel(600.0, 16000.0), 1.0)


def test_filterbank_if_count_is_monotone_in_threshold(envelope):
    counts = [if_encode(envelope, th).times.size for th in np.geomspace(0.05, 20, 150)]
    assert np.all(np.diff(counts) <= 0) and counts[0] > 50 * counts[-1]


@pytest.mark.parametrize("code", ["delta", "if"])
@pytest.mark.parametrize("target", [5.0, 40.0])
def test_filterbank_rate_control_hits_the_target_within_2_percent(code, target):
    sig = chirp_vowel(600.0, 16000.0)
    fc = filterbank_encode(sig, 1.0, 16, code=code, target_rate_hz=target, sample_rate_hz=16000.0)
    assert fc.train.size == (32 if code == "delta" else 16) and fc.train.steps == 600
    # stated tolerance: 2 % of the target count, or one spike
    target_count = target * fc.train.size * 0.6
    assert abs(fc.train.times.size - target_count) <= max(0.02 * target_count, 1.0)
    assert abs(fc.rate_hz - target) <= 0.02 * target + 1.0 / (fc.train.size * 0.6)
    assert fc.envelope.max() == 1.0


def test_threshold_for_rate_reports_an_unreachable_target():
    with pytest.raises(ValueError, match="not reachable; nearest 10"):
        threshold_for_rate(lambda th: 10 if th < 1 else 0, 5.0, 1e-3, 10.0)
