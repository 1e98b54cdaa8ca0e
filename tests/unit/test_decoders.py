"""Spike decoders (emulator/io/decoders.py): round trips through the encoders and exact readouts."""
from types import SimpleNamespace

import numpy as np
import pytest

from emulator.io import decoders as D
from emulator.io.encoders import SpikeTrain, delta_encode, if_encode, latency_encode, rate_encode
from emulator.io.encoders_signals import digits_images


def test_counts_and_first_spikes_of_a_hand_made_train():
    tr = SpikeTrain(np.array([0, 2, 3, 3, 12, 14, 15]), np.array([1, 1, 0, 2, 2, 0, 0]), 3, 20)
    assert D.spike_counts(tr).tolist() == [3, 2, 2] and D.spike_counts(tr, 1, 13).tolist() == [1, 1, 2]
    # frames of 10 steps: frame 0 = steps 0..9, frame 1 = 10..19
    assert D.frame_counts(tr, 2, 10).tolist() == [[1, 2, 1], [2, 0, 1]]
    assert D.frame_counts(tr, 2, 4, rest_steps=6).tolist() == [[1, 2, 1], [0, 0, 1]]
    assert D.first_spike_times(tr, 2, 10).tolist() == [[3, 0, 3], [4, -1, 2]]


def test_latency_round_trip_within_half_a_step():
    img = digits_images([0, 7])
    d = 30
    tr = latency_encode(img, d, rest_steps=4)
    x = D.latency_decode(tr, d, frames=2, rest_steps=4)
    on = img > 0
    assert np.abs(x[on] - img[on]).max() <= 0.5 / (d - 1) + 1e-12 and np.all(x[~on] == 0)
    tr = latency_encode(img, 200, code="log", tau_steps=20.0)
    x = D.latency_decode(tr, 200, code="log", tau_steps=20.0)[0]
    on = img[0] > 0
    ratio = x[on] / img[0][on]
    assert np.all(ratio <= np.exp(0.5 / 20) + 1e-12) and np.all(ratio >= np.exp(-0.5 / 20) - 1e-12)


def test_rate_round_trip_within_binomial_bounds():
    # 2000 steps at p_max = 0.5: each estimate has sd sqrt(x (1 - 0.5 x) / (0.25 * 2000)) <= 0.032
    img = digits_images(2)
    tr = rate_encode(img, 500.0, 1.0, seed=1, duration_steps=2000)
    x = D.rate_decode(tr, 500.0, 1.0, duration_steps=2000)[0]
    sd = np.sqrt(img * (1 - 0.5 * img) / (0.25 * 2000))
    assert np.all(np.abs(x - img) <= 5 * sd + 1e-12) and np.all(x[img == 0] == 0)


def test_delta_decode_is_the_encoder_reference_and_within_delta():
    t = np.arange(3000) / 1000.0
    x = np.stack([np.sin(2 * np.pi * 1.5 * t), 0.5 * np.cos(2 * np.pi * 0.7 * t) + 0.2], axis=1)
    delta = np.array([0.05, 0.02])
    tr = delta_encode(x, delta, baseline=[0.0, 0.7], t0=100)
    rec = D.delta_decode(tr, delta, baseline=[0.0, 0.7], t0=100, steps=3000)
    assert np.all(np.abs(x - rec) < delta)
    assert D.nrmse(x, rec) < 0.05 and D.snr_db(x, rec) > 26


def test_if_decode_recovers_a_smooth_signal():
    t = np.arange(4000)
    x = 0.5 + 0.4 * np.sin(2 * np.pi * t / 800.0)
    tr = if_encode(x, 1.0)             # theta >= max x: never saturated (at most one spike per step)
    rec = D.if_decode(tr, 1.0, window_steps=41, steps=4000)[:, 0]
    assert D.nrmse(x[50:-50], rec[50:-50]) < 0.03
    # the window only spreads each spike's theta: the decoded sum is theta * spikes, less what the
    # window pushes past the two ends (at most theta * w / 2 each)
    assert 0 <= 1.0 * tr.times.size - rec.sum() <= 41


def test_nrmse_and_snr_known_values():
    assert D.nrmse([1.0, 1.0], [0.9, 1.1]) == pytest.approx(0.1)
    assert D.snr_db([1.0, 1.0], [0.9, 1.1]) == pytest.approx(20.0)
    assert D.snr_db([1.0], [1.0]) == float("inf")


def test_membrane_readout_scales_windows_and_reduces():
    v = np.array([[0, 10], [64, 20], [128, -40]], np.int32)
    res = SimpleNamespace(probes={("exc", "v"): v}, t_start=100,
                          image=SimpleNamespace(population=lambda name: SimpleNamespace(scale=64.0)))
    assert D.membrane_readout(res, "exc").tolist() == [[0, 10 / 64], [1, 20 / 64], [2, -40 / 64]]
    assert D.membrane_readout(res, "exc", physical=False, reduce="max").tolist() == [128, 20]
    assert D.membrane_readout(res, "exc", reduce="mean", t0=101).tolist() == [1.5, -10 / 64]
    assert D.membrane_readout(res, "exc", physical=False, reduce="last", t1=102).tolist() == [64, 20]
    with pytest.raises(KeyError, match="exc.u was not probed; probed: exc.v"):
        D.membrane_readout(res, "exc", "u")


@pytest.mark.slow
def test_chip_integrator_reads_out_the_delta_reconstruction_bit_for_bit():
    # configs/examples/encode_delta_sine.yaml: an `if` neuron gets +64 << 6 per up spike and -64 << 6 per
    # down spike; v at step t + 1 holds every spike up to t, so v / 4096 * delta is the delta decoder's output
    import emulator as ne
    from pathlib import Path
    cfg = ne.load_config(Path(__file__).resolve().parents[2] / "configs/examples/encode_delta_sine.yaml",
                         overrides=["run.timesteps=400"])
    built = ne.build(cfg)
    res = ne.simulate(built)
    rec = D.delta_decode(D.train_from_stimulus(built.stimulus, "sensor", 0, 400), 0.1, steps=400)[:, 0]
    v = D.membrane_readout(res, "integ", physical=False)[:, 0]
    assert np.array_equal(v[1:] / 4096 * 0.1, rec[:-1]) and np.abs(rec).max() > 0.5
