"""Spike decoders: spike trains and probed state -> values and signals (docs/coding.md).

Each decoder inverts one code of :mod:`emulator.io.encoders` (or reads a chip population
out): spike counts (rate), first-spike times (latency), membrane readout (probed ``v``/``u``
of :class:`~emulator.io.results.Results`), and reconstructions of the delta and
integrate-and-fire codes, with :func:`nrmse` / :func:`snr_db` to measure them.
"""
from __future__ import annotations

import numpy as np

from .encoders import SpikeTrain

__all__ = ["train_from_results", "train_from_stimulus", "spike_counts", "frame_counts", "rate_decode",
           "first_spike_times", "latency_decode", "delta_decode", "if_decode", "membrane_readout", "nrmse", "snr_db"]


def train_from_results(results, population: str) -> SpikeTrain:
    """The spikes of chip population ``population`` in a Results (times are absolute steps)."""
    t, i = results.spikes(population)
    return SpikeTrain(t.astype(np.int64), i.astype(np.int64), results.image.population(population).size,
                      results.t_start + results.timesteps)


def train_from_stimulus(stimulus, population: str, t_lo: int, t_hi: int) -> SpikeTrain:
    """The spikes a source population of a ``Stimulus`` (``Build.stimulus``) emits at steps [t_lo, t_hi)."""
    for train, _ in stimulus.trains:
        if train.cfg.population == population:
            t, i = train.window(t_lo, t_hi)
            return SpikeTrain(t, i, train.size, t_hi)
    raise KeyError(f"no source population {population!r} in the stimulus; "
                   f"sources: {', '.join(tr.cfg.population for tr, _ in stimulus.trains) or 'none'}")


def spike_counts(train: SpikeTrain, t0: int = 0, t1: int | None = None) -> np.ndarray:
    """Spikes per neuron at steps ``t0 <= t < t1`` (t1 None: to the end), int64 (size,)."""
    sel = (train.times >= t0) & (train.times < (t1 if t1 is not None else np.iinfo(np.int64).max))
    return np.bincount(train.indices[sel], minlength=train.size).astype(np.int64)


def frame_counts(train: SpikeTrain, frames: int, duration_steps: int, rest_steps: int = 0,
                 t0: int = 0) -> np.ndarray:
    """(frames, size) spike counts, frame f covering ``t0 + f*(duration + rest) + [0, duration)``."""
    period = duration_steps + rest_steps
    rel = train.times - t0
    f, s = np.divmod(rel, period)
    keep = (rel >= 0) & (f < frames) & (s < duration_steps)
    out = np.zeros((frames, train.size), np.int64)
    np.add.at(out, (f[keep], train.indices[keep]), 1)
    return out


def rate_decode(train: SpikeTrain, max_rate_hz: float, dt_ms: float, frames: int = 1, duration_steps: int = 100,
                rest_steps: int = 0, t0: int = 0) -> np.ndarray:
    """Estimate of the rate-coded values, (frames, size): ``count / (p_max * duration_steps)``,
    ``p_max = max_rate_hz * dt_ms / 1000``; unbiased, standard deviation ``sqrt(x (1 - p) / (p_max^2 D))``
    with ``p = p_max x``."""
    p = max_rate_hz * dt_ms / 1000.0
    return frame_counts(train, frames, duration_steps, rest_steps, t0) / (p * duration_steps)


def first_spike_times(train: SpikeTrain, frames: int = 1, duration_steps: int | None = None, rest_steps: int = 0,
                      t0: int = 0) -> np.ndarray:
    """(frames, size) step of each neuron's first spike within its frame (relative to the frame's
    start), -1 where it did not spike. ``duration_steps`` None: one frame to the end of the train."""
    duration = duration_steps if duration_steps is not None else max(train.steps - t0, 1)
    period = duration + rest_steps
    rel = train.times - t0
    f, s = np.divmod(rel, period)
    keep = (rel >= 0) & (f < frames) & (s < duration)
    out = np.full((frames, train.size), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(out, (f[keep], train.indices[keep]), s[keep])
    out[out == np.iinfo(np.int64).max] = -1
    return out


def latency_decode(train: SpikeTrain, duration_steps: int = 50, code: str = "linear", tau_steps: float = 10.0,
                   frames: int = 1, rest_steps: int = 0, t0: int = 0) -> np.ndarray:
    """Values from first-spike steps s, inverting ``latency_steps``: ``linear``: ``1 - s/(D - 1)``
    (D = 1: 1), within ``1/(2(D - 1))`` of the value; ``log``: ``exp(-s/tau)``, within a factor
    ``exp(1/(2 tau))``. A neuron without a spike decodes to 0."""
    s = first_spike_times(train, frames, duration_steps, rest_steps, t0).astype(np.float64)
    if code == "linear":
        x = 1.0 - s / (duration_steps - 1) if duration_steps > 1 else np.ones_like(s)
    elif code == "log":
        x = np.exp(-s / tau_steps)
    else:
        raise ValueError(f"unknown latency code {code!r}; linear or log")
    return np.where(s >= 0, x, 0.0)


def delta_decode(train: SpikeTrain, delta, baseline=0.0, t0: int = 0, steps: int | None = None) -> np.ndarray:
    """(steps, channels) reconstruction of a send-on-delta code: integrate up (+delta, neuron 2c) and
    down (-delta, neuron 2c+1) spikes from ``baseline``; equal to the encoder's reference ``r_t``."""
    steps = steps if steps is not None else train.steps
    channels = train.size // 2
    rel = train.times - t0
    keep = (rel >= 0) & (rel < steps)
    net = np.zeros((steps, channels))
    sign = np.where(train.indices[keep] % 2 == 0, 1.0, -1.0)
    np.add.at(net, (rel[keep], train.indices[keep] // 2), sign)
    d = np.broadcast_to(np.asarray(delta, np.float64), (channels,))
    return np.asarray(baseline, np.float64) + np.cumsum(net, axis=0) * d


def if_decode(train: SpikeTrain, theta, window_steps: int = 9, t0: int = 0, steps: int | None = None) -> np.ndarray:
    """(steps, channels) estimate of an integrate-and-fire coded signal: every spike stands for
    ``theta`` of integrated signal, spread over a centred window of ``window_steps`` steps
    (``theta * spikes in [t - w//2, t + w - 1 - w//2] / w``)."""
    steps = steps if steps is not None else train.steps
    rel = train.times - t0
    keep = (rel >= 0) & (rel < steps)
    counts = np.zeros((steps, train.size))
    np.add.at(counts, (rel[keep], train.indices[keep]), 1.0)
    kernel = np.ones(window_steps) / window_steps
    lead = window_steps // 2
    out = np.stack([np.convolve(counts[:, c], kernel, mode="full")[window_steps - 1 - lead:][:steps]
                    for c in range(train.size)], axis=1) if train.size else counts
    return out * np.broadcast_to(np.asarray(theta, np.float64), (train.size,))


def membrane_readout(results, population: str, variable: str = "v", physical: bool = True,
                     reduce: str | None = None, t0: int | None = None, t1: int | None = None) -> np.ndarray:
    """Probed ``variable`` of ``population`` (Results.probes): (timesteps, probed neurons), in units of
    the population's v when ``physical`` (register / ``scale``), else raw register values. Steps
    ``t0 <= t < t1`` (absolute); ``reduce``: ``last``, ``mean`` or ``max`` over them -> (probed neurons,)."""
    key = (population, variable)
    if key not in results.probes:
        probed = ", ".join(f"{p}.{v}" for p, v in results.probes) or "none"
        raise KeyError(f"{population}.{variable} was not probed; probed: {probed} (add it to run.probes)")
    vals = results.probes[key].astype(np.float64)
    lo = 0 if t0 is None else t0 - results.t_start
    hi = vals.shape[0] if t1 is None else t1 - results.t_start
    vals = vals[max(lo, 0):max(hi, 0)]
    if physical:
        vals = vals / results.image.population(population).scale
    if reduce is None:
        return vals
    ops = {"last": lambda a: a[-1], "mean": lambda a: a.mean(axis=0), "max": lambda a: a.max(axis=0)}
    if reduce not in ops:
        raise ValueError(f"unknown reduce {reduce!r}; last, mean or max")
    return ops[reduce](vals)


def nrmse(x, xhat) -> float:
    """Normalized RMS error ``rms(x - xhat) / rms(x)`` (0: exact; 1: as bad as predicting 0)."""
    x, xhat = np.asarray(x, np.float64), np.asarray(xhat, np.float64)
    ref = np.sqrt(np.mean(x ** 2))
    return float(np.sqrt(np.mean((x - xhat) ** 2)) / ref) if ref > 0 else float("inf")


def snr_db(x, xhat) -> float:
    """Signal-to-reconstruction-error ratio ``-20 log10(nrmse)`` in dB."""
    e = nrmse(x, xhat)
    return float(-20.0 * np.log10(e)) if e > 0 else float("inf")
