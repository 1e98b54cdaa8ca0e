"""Stimulus: spike trains of the host's spike sources, generated window by window.

Poisson sources use a counter-based generator: the uniform draw for source
neuron ``i`` of population ``k`` at timestep ``t`` is a pure hash of
``(seed, k, i, t)``. Spikes therefore do not depend on how the run is cut
into chunks, on resume, or on the backend -- same seed, same bits.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._jit import kernel
from ..config.types import StimulusConfig
from ..errors import ConfigError

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@kernel
def mix64(z):
    """SplitMix64 finalizer (Steele et al. 2014) on a uint64, arithmetic mod 2**64."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@kernel
def uniform32(seed, stream, t):
    """32-bit uniform draw ``mix64(mix64(mix64(seed) ^ stream) ^ t * golden) >> 32`` (mod 2**64)."""
    key = mix64(mix64(np.uint64(seed)) ^ np.uint64(stream))
    return mix64(key ^ (np.uint64(t) * _GOLDEN)) >> np.uint64(32)


def rate_to_threshold(rate_hz: np.ndarray, dt_ms: float) -> np.ndarray:
    """Spike iff ``uniform32 < round(rate * dt * 2**32)`` (probability per step, 32-bit fixed point)."""
    p = np.clip(np.asarray(rate_hz, dtype=np.float64) * dt_ms / 1000.0, 0.0, 1.0)
    return np.minimum(np.rint(p * 2.0 ** 32), 2.0 ** 32).astype(np.uint64)


@kernel
def _poisson_window(seed, pop_index, thresholds, t_lo, t_hi, start, stop, times, ids):
    """Append the Poisson spikes of one population for steps ``[t_lo, t_hi)`` ∩ ``[start, stop)``."""
    n = 0
    stream_base = np.uint64(pop_index) << np.uint64(24)
    for t in range(max(t_lo, start), min(t_hi, stop)):
        for i in range(thresholds.size):
            if uniform32(seed, stream_base | np.uint64(i), t) < thresholds[i]:
                times[n] = t
                ids[n] = i
                n += 1
    return n


class SourceTrain:
    """Spike generator of one source population (pure function of the step window)."""

    def __init__(self, cfg: StimulusConfig, size: int, pop_index: int, seed: int, dt_ms: float,
                 base_dir: str = "."):
        self.cfg, self.size, self.pop_index, self.seed = cfg, size, pop_index, seed
        self.start = cfg.start_step
        self.stop = cfg.stop_step if cfg.stop_step is not None else np.iinfo(np.int64).max
        self._times = self._ids = None
        if cfg.kind == "poisson":
            rates = np.array(cfg.rates_hz, dtype=np.float64) if cfg.rates_hz else np.full(size, cfg.rate_hz)
            self._thr = rate_to_threshold(rates, dt_ms)
        elif cfg.kind == "spike_times":
            self._set_list(np.asarray(cfg.times_steps, dtype=np.int64), np.asarray(cfg.indices, dtype=np.int64))
        elif cfg.kind == "file":
            self._load(Path(base_dir) / cfg.file if not Path(cfg.file).is_absolute() else Path(cfg.file))
        elif cfg.kind == "encoded":     # a signal through a spike encoder, from start_step (docs/coding.md)
            from .encoders import encode
            tr = encode(cfg.encoding, size, dt_ms, seed, pop_index, self.start)
            self._set_list(tr.times, tr.indices)
        elif cfg.kind != "regular":
            raise ConfigError(cfg.path, f"unknown stimulus type {cfg.kind!r}")

    def _set_list(self, times, ids):
        keep = (times >= self.start) & (times < self.stop)
        order = np.lexsort((ids[keep], times[keep]))
        self._times, self._ids = times[keep][order], ids[keep][order]

    def _load(self, path: Path):
        where = self.cfg.path + ".file"
        try:
            data = np.load(path)
        except (OSError, ValueError) as exc:
            raise ConfigError(where, f"cannot read {path}: {exc}") from None
        if isinstance(data, np.ndarray):
            if data.ndim != 2 or data.shape[1] != self.size:
                raise ConfigError(where, f"{path.name} has shape {data.shape}; expected [timesteps, {self.size}]")
            t, i = np.nonzero(data)
        else:
            with data:
                if not {"times", "indices"} <= set(data.files):
                    raise ConfigError(where, f"{path.name} needs arrays 'times' (steps) and 'indices'")
                t, i = np.asarray(data["times"]).ravel(), np.asarray(data["indices"]).ravel()
            if t.size != i.size or (i.size and (i.min() < 0 or i.max() >= self.size)):
                raise ConfigError(where, f"{path.name}: indices must be in [0, {self.size}) and match times")
        self._set_list(t.astype(np.int64), i.astype(np.int64))

    def window(self, t_lo: int, t_hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(times, indices) of spikes emitted at steps ``t_lo <= t < t_hi``, sorted by (t, index)."""
        kind = self.cfg.kind
        if kind == "poisson":
            cap = max(0, min(t_hi, self.stop) - max(t_lo, self.start)) * self.size
            times, ids = np.empty(cap, np.int64), np.empty(cap, np.int64)
            n = _poisson_window(self.seed, self.pop_index, self._thr, t_lo, t_hi, self.start, self.stop, times, ids)
            return times[:n], ids[:n]
        if kind == "regular":
            c = self.cfg
            first = max(t_lo, self.start, c.phase_steps)
            first += (c.phase_steps - first) % c.period_steps
            steps = np.arange(first, min(t_hi, self.stop), c.period_steps, dtype=np.int64)
            return np.repeat(steps, self.size), np.tile(np.arange(self.size, dtype=np.int64), steps.size)
        lo, hi = np.searchsorted(self._times, [t_lo, t_hi])
        return self._times[lo:hi], self._ids[lo:hi]


class Stimulus:
    """All host sources of a run; ids are host-global (population offset + index)."""

    def __init__(self, trains: list[tuple[SourceTrain, int]]):
        self.trains = trains          # (train, host id offset)

    def window(self, t_lo: int, t_hi: int) -> tuple[np.ndarray, np.ndarray]:
        """CSR of the window: ``ptr[k]..ptr[k+1]`` are the host ids emitted at step ``t_lo + k``."""
        parts = [(t, i + off) for tr, off in self.trains for t, i in [tr.window(t_lo, t_hi)]]
        times = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64)
        ids = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64)
        order = np.lexsort((ids, times))
        times, ids = times[order], ids[order]
        ptr = np.searchsorted(times, np.arange(t_lo, t_hi + 1)).astype(np.int64)
        return ptr, ids.astype(np.int32)
