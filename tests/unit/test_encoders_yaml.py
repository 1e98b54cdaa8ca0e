"""``stimulus.NAME: {type: encoded, encoder, signal, params}``: validation names the field, and the
spikes of a config are the encoder's (docs/coding.md, docs/yaml.md)."""
import copy
from pathlib import Path

import numpy as np
import pytest

from emulator.config import ConfigError, load
from emulator.io.encoders import delta_encode, encode, filterbank_encode, latency_encode, rate_encode
from emulator.io.encoders_signals import digits_images, generate, load_signal_file
from emulator.io.stimulus import SourceTrain

REPO = Path(__file__).resolve().parents[2]


def config(size=64, stim=None) -> dict:
    return {"network": {"populations": [{"name": "other", "size": 3, "model": "source"},
                                        {"name": "src", "size": size, "model": "source"},
                                        {"name": "n", "size": 2, "model": "if", "fixed": {"vth": 10}}],
                        "projections": [{"source": "src", "target": "n", "connectivity": "all_to_all", "weight": 1}]},
            "stimulus": {"other": {"type": "regular"},
                         "src": stim or {"type": "encoded", "encoder": "rate", "signal": {"digits": [3, 4]},
                                         "params": {"max_rate_hz": 250, "duration_steps": 40, "rest_steps": 5}}},
            "run": {"timesteps": 100, "seed": 11}}


def test_rate_stimulus_is_the_rate_encoder_from_start_step_and_chunk_independent():
    raw = config()
    raw["stimulus"]["src"]["start_step"] = 7
    cfg = load(raw)
    sc = cfg.stimulus[1]
    assert sc.kind == "encoded" and sc.encoding.encoder == "rate" and sc.encoding.signal.digits == (3, 4)
    want = rate_encode(digits_images([3, 4]), 250.0, 1.0, seed=11, duration_steps=40, rest_steps=5, t0=7, stream=1)
    train = SourceTrain(sc, 64, 1, 11, 1.0)
    t, i = train.window(0, 200)
    assert np.array_equal(t, want.times) and np.array_equal(i, want.indices) and t.min() >= 7
    pieces = [train.window(lo, lo + 13) for lo in range(0, 200, 13)]
    assert np.array_equal(np.concatenate([p[0] for p in pieces]), t)


def test_latency_delta_and_filterbank_stimuli(tmp_path):
    cfg = load(config(stim={"type": "encoded", "encoder": "latency", "signal": {"digits": 0},
                            "params": {"duration_steps": 20}}))
    t, i = SourceTrain(cfg.stimulus[1], 64, 1, 0, 1.0).window(0, 100)
    want = latency_encode(digits_images(0), 20)
    assert np.array_equal(t, want.times) and np.array_equal(i, want.indices)

    x = np.cumsum(np.random.default_rng(0).normal(0, 0.05, (300, 2)), axis=0)
    np.save(tmp_path / "x.npy", x)
    cfg = load(config(size=4, stim={"type": "encoded", "encoder": "delta", "signal": {"file": "x.npy"},
                                    "params": {"delta": 0.1}}), base_dir=tmp_path)
    t, i = SourceTrain(cfg.stimulus[1], 4, 1, 0, 1.0).window(0, 300)
    want = delta_encode(x, 0.1)
    assert np.array_equal(t, want.times) and np.array_equal(i, want.indices) and t.size > 20

    from scipy.io import wavfile
    sound = generate("chirp_vowel", duration_ms=300, sample_rate_hz=8000).data
    wavfile.write(tmp_path / "s.wav", 8000, (sound * 20000).astype(np.int16))
    cfg = load(config(size=16, stim={"type": "encoded", "encoder": "filterbank", "signal": {"file": "s.wav"},
                                     "params": {"target_rate_hz": 30, "f_hi_hz": 3500}}), base_dir=tmp_path)
    t, i = SourceTrain(cfg.stimulus[1], 16, 1, 0, 1.0).window(0, 300)
    rate = t.size / (16 * 0.3)
    assert abs(rate - 30) <= 0.02 * 30 + 1 / (16 * 0.3) and i.max() == 15
    fc = filterbank_encode(load_signal_file(tmp_path / "s.wav"), 1.0, 8, target_rate_hz=30, f_hi_hz=3500)
    assert np.array_equal(t, fc.train.times) and np.array_equal(i, fc.train.indices)


def test_the_example_configs_validate():
    for name in ("encode_digits_rate", "encode_digits_latency", "encode_audio", "encode_delta_sine"):
        cfg = load(REPO / "configs" / "examples" / f"{name}.yaml")
        assert cfg.stimulus[0].kind == "encoded"


def _bad(stim_changes=None, size=64, drop=()):
    raw = config(size=size)
    raw["stimulus"]["src"].update(stim_changes or {})
    for key in drop:
        del raw["stimulus"]["src"][key]
    return raw


@pytest.mark.parametrize("raw, path, message", [
    (_bad({"encoder": "poison"}), "stimulus.src.encoder", "unknown encoder 'poison'; valid: delta, filterbank"),
    (_bad(drop=("signal",)), "stimulus.src", "missing required key 'signal'"),
    (_bad(drop=("encoder",)), "stimulus.src", "missing required key 'encoder'"),
    (_bad({"params": {"max_rate": 10}}), "stimulus.src.params", "unknown key 'max_rate'"),
    (_bad({"params": {"max_rate_hz": 2000}}), "stimulus.src.params.max_rate_hz", "more than one spike per timestep"),
    (_bad(size=10), "stimulus.src.signal", "signal has shape (2, 64); the rate encoder needs (10,)"),
    (_bad({"signal": {"digits": 1797}}), "stimulus.src.signal.digits", "expected an integer in [0, 1796]"),
    (_bad({"signal": {"digits": 1, "file": "a.npy"}}), "stimulus.src.signal", "expected exactly one of digits"),
    (_bad({"signal": {"generate": "noise"}}), "stimulus.src.signal.generate", "unknown signal generator 'noise'"),
    (_bad({"signal": {"generate": "sine"}}), "stimulus.src.signal", "not a sound with a sample rate"),
    (_bad({"signal": {"file": "missing.npy"}}), "stimulus.src.signal.file", "file not found"),
    (_bad({"encoder": "delta", "params": {}}), "stimulus.src.params", "missing required key 'delta'"),
    (_bad({"encoder": "delta", "params": {"delta": 0.1}, "signal": {"generate": "sine"}}), "stimulus.src.signal",
     "2 neurons per channel (up, down): population size 2, not 64"),
    (_bad({"encoder": "latency", "params": {"code": "lin"}}), "stimulus.src.params.code", "unknown latency code"),
    (_bad({"encoder": "filterbank", "signal": {"generate": "chirp"}, "params": {}}), "stimulus.src.params",
     "give exactly one of delta"),
    (_bad({"encoder": "filterbank", "signal": {"generate": "chirp", "sample_rate_hz": 8000},
           "params": {"delta": 0.1, "f_hi_hz": 5000}}), "stimulus.src.params.f_hi_hz", "sample rate / 2 (4000)"),
    (_bad({"encoder": "filterbank", "signal": {"digits": 0}, "params": {"delta": 0.1}}), "stimulus.src.signal",
     "needs a 1-D sound with a sample rate"),
    (_bad({"encoder": "filterbank", "signal": {"generate": "chirp"}, "params": {"delta": 0.1}}, size=63),
     "stimulus.src.signal", "population size 63 is odd"),
])
def test_bad_encoded_stimulus_is_one_config_error_naming_the_field(raw, path, message):
    with pytest.raises(ConfigError) as exc:
        load(raw)
    assert exc.value.path == path and message in exc.value.message


def test_bad_signal_files_name_the_field(tmp_path):
    np.save(tmp_path / "big.npy", np.full(64, 3.0))
    np.save(tmp_path / "audio.npy", np.zeros(800))
    (tmp_path / "broken.npy").write_bytes(b"not numpy")
    cases = [({"encoder": "rate", "signal": {"file": "big.npy"}}, "stimulus.src.signal", "values must be in [0, 1]"),
             ({"encoder": "filterbank", "signal": {"file": "audio.npy"}, "params": {"delta": 0.1}},
              "stimulus.src.signal", "without a sample rate"),
             ({"encoder": "rate", "signal": {"file": "broken.npy"}}, "stimulus.src.signal.file", "cannot read"),
             ({"encoder": "rate", "signal": {"file": "x.txt"}}, "stimulus.src.signal.file", "a .npy or .wav")]
    (tmp_path / "x.txt").write_text("1")
    for changes, path, message in cases:
        raw = _bad({**changes, "params": changes.get("params", {})})
        with pytest.raises(ConfigError) as exc:
            load(raw, base_dir=tmp_path)
        assert exc.value.path == path and message in exc.value.message, exc.value


def test_unreachable_target_rate_is_a_config_error_at_build():
    # a pure tone in 16 channels: the rate cannot reach 900 Hz per neuron (at most one spike per step and
    # the quiet channels hardly move)
    raw = config(size=32, stim={"type": "encoded", "encoder": "filterbank",
                                "signal": {"generate": "sine", "duration_ms": 200, "freq_hz": 1000},
                                "params": {"target_rate_hz": 900}})
    cfg = load(raw)
    with pytest.raises(ConfigError) as exc:
        encode(cfg.stimulus[1].encoding, 32, 1.0)
    assert exc.value.path == "stimulus.src.params.target_rate_hz" and "not reachable" in exc.value.message


def test_load_does_not_mutate_the_raw_config():
    raw = config()
    before = copy.deepcopy(raw)
    load(raw)
    assert raw == before
