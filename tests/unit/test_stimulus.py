"""Stimulus generators: bit-exact twin, chunk independence, statistics, explicit and file sources."""
import numpy as np
import pytest

from emulator.config.types import StimulusConfig
from emulator.io.stimulus import SourceTrain, Stimulus, rate_to_threshold, uniform32
from tests.reference.stimulus_ref import poisson_ref, uniform32_ref


def test_uniform32_matches_reference():
    rng = np.random.default_rng(1)
    for _ in range(2000):
        seed, stream, t = (int(x) for x in rng.integers(0, 2 ** 62, 3))
        assert int(uniform32(seed, stream, t)) == uniform32_ref(seed, stream, t)


def test_poisson_matches_reference_and_does_not_depend_on_windows():
    cfg = StimulusConfig("s", "poisson", rates_hz=tuple(np.linspace(0, 900, 13)))
    train = SourceTrain(cfg, 13, pop_index=3, seed=77, dt_ms=1.0)
    want = poisson_ref(77, 3, [int(x) for x in rate_to_threshold(np.linspace(0, 900, 13), 1.0)], 0, 200)
    whole = list(zip(*(a.tolist() for a in train.window(0, 200))))
    pieces = [pair for lo in range(0, 200, 37) for pair in zip(*(a.tolist() for a in train.window(lo, min(lo + 37, 200))))]
    assert whole == want == pieces


def test_poisson_rate_statistics():
    # 2000 neurons x 1000 steps at p = 0.02: the count is Binomial(2e6, 0.02), sd = 198
    train = SourceTrain(StimulusConfig("s", "poisson", rate_hz=20.0), 2000, 0, seed=5, dt_ms=1.0)
    t, _ = train.window(0, 1000)
    assert abs(t.size - 40_000) < 5 * 198


def test_regular_and_window_bounds():
    cfg = StimulusConfig("s", "regular", period_steps=4, phase_steps=2, start_step=5, stop_step=20)
    t, i = SourceTrain(cfg, 2, 0, 0, 1.0).window(0, 30)
    assert t.tolist() == [6, 6, 10, 10, 14, 14, 18, 18] and i.tolist() == [0, 1] * 4


def test_spike_times_and_file_sources(tmp_path):
    cfg = StimulusConfig("s", "spike_times", times_steps=(5, 1, 5), indices=(2, 0, 1))
    t, i = SourceTrain(cfg, 3, 0, 0, 1.0).window(0, 10)
    assert list(zip(t.tolist(), i.tolist())) == [(1, 0), (5, 1), (5, 2)]
    raster = np.zeros((8, 3), bool)
    raster[[0, 3, 3], [2, 0, 1]] = True
    np.save(tmp_path / "r.npy", raster)
    t, i = SourceTrain(StimulusConfig("s", "file", file="r.npy"), 3, 0, 0, 1.0, str(tmp_path)).window(0, 8)
    assert list(zip(t.tolist(), i.tolist())) == [(0, 2), (3, 0), (3, 1)]


def test_stimulus_merges_sources_into_csr_by_step():
    a = SourceTrain(StimulusConfig("a", "spike_times", times_steps=(1, 2), indices=(0, 0)), 1, 0, 0, 1.0)
    b = SourceTrain(StimulusConfig("b", "spike_times", times_steps=(1,), indices=(1,)), 2, 1, 0, 1.0)
    ptr, ids = Stimulus([(a, 0), (b, 1)]).window(0, 4)
    assert ptr.tolist() == [0, 0, 2, 3, 3] and ids.tolist() == [0, 2, 0]


@pytest.mark.parametrize("bad", ["missing.npy"])
def test_unreadable_file_is_a_config_error(tmp_path, bad):
    from emulator.errors import ConfigError
    with pytest.raises(ConfigError, match="cannot read"):
        SourceTrain(StimulusConfig("s", "file", file=bad, path="stimulus.s"), 3, 0, 0, 1.0, str(tmp_path))
