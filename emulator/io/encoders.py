"""Spike encoders: values and signals -> spike trains of a source population (docs/coding.md).

* ``rate``: Bernoulli spikes per step with probability ``max_rate_hz * dt * x`` (a Poisson-like
  rate code), drawn from the counter-based hash of :mod:`emulator.io.stimulus` -- same seed,
  same bits, and one frame equals a ``poisson`` source with ``rates_hz = max_rate_hz * x``;
* ``latency``: time to first spike, one spike per value, brighter = earlier;
* ``delta``: send-on-delta / threshold crossing of an analog signal, an up and a down
  neuron per channel; the running sum of their spikes tracks the signal within ``delta``;
* ``filterbank``: a cochlea-like sparse temporal code for audio: ERB-spaced band-pass
  channels, half-wave rectified and low-passed envelopes, compressed, then per channel
  send-on-delta (``delta``) or integrate-and-fire (``if``), with the threshold chosen to
  hit a target spike rate.

Every encoder returns a :class:`SpikeTrain` (times in steps, indices, size, steps).
:mod:`emulator.io.decoders` inverts them. From YAML, ``stimulus.NAME: {type: encoded,
encoder, signal, params}`` is validated by :func:`validate_encoding` and turned into
spikes by :func:`encode`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from .._jit import kernel
from ..config.schema import at, choice, integer, number, section
from ..errors import ConfigError
from .encoders_signals import Signal, SignalSpec, validate_signal
from .stimulus import rate_to_threshold, uniform32

__all__ = ["SpikeTrain", "rate_encode", "latency_encode", "latency_steps", "delta_encode", "if_encode",
           "Cochlea", "FilterbankCode", "filterbank_encode", "threshold_for_rate", "EncodingSpec", "ENCODERS",
           "validate_encoding", "encode"]


class SpikeTrain(NamedTuple):
    """Spikes of ``size`` neurons over ``steps`` timesteps; sorted by (time, index)."""
    times: np.ndarray      #: int64 timesteps
    indices: np.ndarray    #: int64 neuron indices in [0, size)
    size: int
    steps: int             #: length of the code: steps t0 .. t0 + steps - 1

    def rate_hz(self, dt_ms: float) -> float:
        """Mean spike rate per neuron over the code's steps."""
        seconds = self.size * self.steps * dt_ms / 1000.0
        return self.times.size / seconds if seconds else 0.0


def _train(times, ids, size: int, steps: int) -> SpikeTrain:
    times, ids = np.asarray(times, np.int64), np.asarray(ids, np.int64)
    order = np.lexsort((ids, times))
    return SpikeTrain(times[order], ids[order], int(size), int(steps))


def _frames(values: np.ndarray, what: str) -> np.ndarray:
    v = np.asarray(values, np.float64)
    v = v[None, :] if v.ndim == 1 else v
    if v.ndim != 2 or not np.all(np.isfinite(v)) or (v.size and (v.min() < 0 or v.max() > 1)):
        raise ValueError(f"{what}: expected finite values in [0, 1] of shape (n,) or (frames, n)")
    return v


# ------------------------------------------------------------------ rate
@kernel
def _bernoulli_frames(seed, stream_base, thr, duration, period, t0, times, ids):
    """Spike (t, i) iff ``uniform32(seed, stream_base | i, t) < thr[f, i]``, t = t0 + f*period + s, s < duration."""
    n = 0
    for f in range(thr.shape[0]):
        for s in range(duration):
            t = t0 + f * period + s
            for i in range(thr.shape[1]):
                if uniform32(seed, stream_base | np.uint64(i), t) < thr[f, i]:
                    times[n] = t
                    ids[n] = i
                    n += 1
    return n


def rate_encode(values, max_rate_hz: float, dt_ms: float, seed: int, duration_steps: int = 100,
                rest_steps: int = 0, t0: int = 0, stream: int = 0) -> SpikeTrain:
    """Rate code of ``values`` in [0, 1], shape (n,) or (frames, n).

    Frame f is presented at steps ``t0 + f*(duration_steps + rest_steps) + [0, duration_steps)``;
    neuron i spikes at step t iff ``uniform32(seed, stream << 24 | i, t) < round(p * 2**32)``,
    ``p = max_rate_hz * dt_ms / 1000 * x_i`` (the rule and hash of a ``poisson`` source of
    population index ``stream``): an expected ``p * duration_steps`` spikes, Binomial.
    """
    v = _frames(values, "rate_encode")
    if max_rate_hz < 0 or max_rate_hz * dt_ms / 1000.0 > 1.0:
        raise ValueError(f"max_rate_hz {max_rate_hz:g} must be in [0, {1000.0 / dt_ms:g}] at dt_ms {dt_ms:g}")
    thr = rate_to_threshold(max_rate_hz * v, dt_ms).reshape(v.shape)
    period = duration_steps + rest_steps
    cap = v.shape[0] * duration_steps * v.shape[1]
    times, ids = np.empty(cap, np.int64), np.empty(cap, np.int64)
    n = _bernoulli_frames(np.uint64(seed), np.uint64(stream) << np.uint64(24), thr, duration_steps, period, t0,
                          times, ids)
    return SpikeTrain(times[:n], ids[:n], v.shape[1], v.shape[0] * period)


# ------------------------------------------------------------------ latency
def latency_steps(x: np.ndarray, duration_steps: int, code: str = "linear", tau_steps: float = 10.0,
                  threshold: float = 0.0) -> np.ndarray:
    """Spike step of each value within its window, -1 for no spike.

    ``linear``: ``s = floor((1 - x) * (duration_steps - 1) + 1/2)`` for x > threshold;
    ``log``: ``s = floor(tau_steps * ln(1 / x) + 1/2)`` for x > threshold and s < duration_steps
    (the time at which a threshold decaying as ``exp(-s / tau)`` falls to x).
    """
    x = np.asarray(x, np.float64)
    on = x > threshold
    if code == "linear":
        s = np.floor((1.0 - x) * (duration_steps - 1) + 0.5)
    elif code == "log":
        with np.errstate(divide="ignore"):
            s = np.floor(tau_steps * np.log(1.0 / np.where(on, x, 1.0)) + 0.5)
        on &= s < duration_steps
    else:
        raise ValueError(f"unknown latency code {code!r}; linear or log")
    return np.where(on, s, -1).astype(np.int64)


def latency_encode(values, duration_steps: int = 50, code: str = "linear", tau_steps: float = 10.0,
                   threshold: float = 0.0, rest_steps: int = 0, t0: int = 0) -> SpikeTrain:
    """Time-to-first-spike code of ``values`` in [0, 1], shape (n,) or (frames, n): one spike per
    value above ``threshold`` at ``t0 + f*(duration_steps + rest_steps) + latency_steps(x)``."""
    v = _frames(values, "latency_encode")
    s = latency_steps(v, duration_steps, code, tau_steps, threshold)
    f, i = np.nonzero(s >= 0)
    period = duration_steps + rest_steps
    return _train(t0 + f * period + s[f, i], i, v.shape[1], v.shape[0] * period)


# ------------------------------------------------------------------ delta / threshold crossing
@kernel
def _send_on_delta(x, delta, baseline, up, down):
    """Per channel c: ``r = baseline[c] + k*delta[c]``; an up spike (k += 1) when ``x - r >= delta``,
    else a down spike (k -= 1) when ``r - x >= delta``: at most one per channel and step."""
    for c in range(x.shape[1]):
        k = 0
        for t in range(x.shape[0]):
            r = baseline[c] + k * delta[c]
            if x[t, c] - r >= delta[c]:
                k += 1
                up[t, c] = True
            elif r - x[t, c] >= delta[c]:
                k -= 1
                down[t, c] = True


def delta_encode(signal, delta, baseline=0.0, t0: int = 0) -> SpikeTrain:
    """Send-on-delta of ``signal`` sampled once per step, shape (steps,) or (steps, channels).

    Neuron ``2c`` is channel c's up neuron, ``2c + 1`` its down neuron. The reference
    ``r_t = baseline + delta * (ups - downs so far)`` moves by one ``delta`` per spike; while
    ``|x_t - x_(t-1)| <= delta`` (and ``|x_0 - baseline| < 2 delta``) it stays within
    ``|x_t - r_t| < delta`` (by induction: a step of at most delta from inside the band ends
    inside it after at most one spike). Faster changes are followed at one delta per step.
    ``delta`` and ``baseline`` are scalars or one value per channel.
    """
    x = np.asarray(signal, np.float64)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise ValueError("delta_encode: expected finite values of shape (steps,) or (steps, channels)")
    d = np.broadcast_to(np.asarray(delta, np.float64), (x.shape[1],)).copy()
    b = np.broadcast_to(np.asarray(baseline, np.float64), (x.shape[1],)).copy()
    if np.any(d <= 0) or not np.all(np.isfinite(d)):
        raise ValueError("delta_encode: delta must be > 0")
    up, down = np.zeros(x.shape, np.bool_), np.zeros(x.shape, np.bool_)
    _send_on_delta(x, d, b, up, down)
    tu, cu = np.nonzero(up)
    td, cd = np.nonzero(down)
    return _train(t0 + np.concatenate([tu, td]), np.concatenate([2 * cu, 2 * cd + 1]), 2 * x.shape[1], x.shape[0])


@kernel
def _integrate_fire(cum, theta, spikes):
    """Per channel: spike at t iff ``cum[t] >= theta * (n + 1)``, n = spikes so far (at most one per step)."""
    for c in range(cum.shape[1]):
        n = 0
        for t in range(cum.shape[0]):
            if cum[t, c] >= theta[c] * (n + 1):
                n += 1
                spikes[t, c] = True


def if_encode(signal, theta, t0: int = 0) -> SpikeTrain:
    """Integrate-and-fire code of a non-negative ``signal`` (steps,) or (steps, channels): channel c
    spikes when the running sum ``S_t = x_0 + ... + x_t`` reaches ``theta * (spikes + 1)``.

    Each spike stands for ``theta`` of integrated signal, so ``0 <= S_t - theta * n_t`` and, without
    saturation (one spike per step), ``< theta``. The count is non-increasing in theta: comparing
    with ``S_t`` (not a running remainder) makes this hold exactly in floating point.
    """
    x = np.asarray(signal, np.float64)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or not np.all(np.isfinite(x)) or (x.size and x.min() < 0):
        raise ValueError("if_encode: expected finite, non-negative values of shape (steps,) or (steps, channels)")
    th = np.broadcast_to(np.asarray(theta, np.float64), (x.shape[1],)).copy()
    if np.any(th <= 0):
        raise ValueError("if_encode: theta must be > 0")
    spikes = np.zeros(x.shape, np.bool_)
    _integrate_fire(np.cumsum(x, axis=0), th, spikes)
    t, c = np.nonzero(spikes)
    return _train(t0 + t, c, x.shape[1], x.shape[0])


# ------------------------------------------------------------------ filterbank (cochlea)
def _erb_rate(f):
    """Glasberg & Moore (1990) ERB-rate scale: ``21.4 log10(1 + 0.00437 f)``."""
    return 21.4 * np.log10(1.0 + 0.00437 * np.asarray(f, np.float64))


def _erb_rate_inv(e):
    return (10.0 ** (np.asarray(e, np.float64) / 21.4) - 1.0) / 0.00437


@dataclass(frozen=True)
class Cochlea:
    """A bank of ``channels`` band-pass filters whose band edges are equally spaced on the ERB-rate
    scale from ``f_lo_hz`` to ``f_hi_hz`` (contiguous bands; Butterworth, ``order`` per edge, so a
    2*order-pole band-pass), each followed by an inner-hair-cell stage: half-wave rectification,
    a 2nd-order Butterworth low-pass at ``envelope_hz``, the mean over each timestep, and power-law
    compression ``e ** compression``."""
    sample_rate_hz: float
    channels: int
    f_lo_hz: float = 100.0
    f_hi_hz: float | None = None          #: None: min(6000, 0.45 * sample rate)
    order: int = 2
    envelope_hz: float = 100.0
    compression: float = 0.3

    @property
    def edges_hz(self) -> np.ndarray:
        hi = self.f_hi_hz if self.f_hi_hz is not None else min(6000.0, 0.45 * self.sample_rate_hz)
        return _erb_rate_inv(np.linspace(_erb_rate(self.f_lo_hz), _erb_rate(hi), self.channels + 1))

    @property
    def centers_hz(self) -> np.ndarray:
        e = _erb_rate(self.edges_hz)
        return _erb_rate_inv((e[:-1] + e[1:]) / 2)

    def check(self) -> None:
        """ValueError naming the parameter when the bank cannot be built at this sample rate."""
        nyq = self.sample_rate_hz / 2
        hi = self.edges_hz[-1]
        if not 0 < self.f_lo_hz < hi < nyq:
            raise ValueError(f"f_hi_hz: need 0 < f_lo_hz ({self.f_lo_hz:g}) < f_hi_hz ({hi:g}) < "
                             f"sample rate / 2 ({nyq:g})")
        if not 0 < self.envelope_hz < nyq:
            raise ValueError(f"envelope_hz: {self.envelope_hz:g} must be below sample rate / 2 ({nyq:g})")

    def envelopes(self, x: np.ndarray, dt_ms: float) -> np.ndarray:
        """(steps, channels) compressed envelopes, steps = ceil(samples * 1000 / (rate * dt_ms))."""
        from scipy.signal import butter, sosfilt
        self.check()
        x = np.asarray(x, np.float64)
        low = butter(2, self.envelope_hz, btype="lowpass", fs=self.sample_rate_hz, output="sos")
        edges = self.edges_hz
        per_step = self.sample_rate_hz * dt_ms / 1000.0
        steps = int(math.ceil(x.size / per_step - 1e-9))
        starts = np.floor(np.arange(steps) * per_step + 1e-9).astype(np.int64)
        widths = np.diff(np.append(starts, x.size))
        out = np.empty((steps, self.channels))
        for c in range(self.channels):
            band = butter(self.order, [edges[c], edges[c + 1]], btype="bandpass", fs=self.sample_rate_hz,
                          output="sos")
            env = np.maximum(sosfilt(low, np.maximum(sosfilt(band, x), 0.0)), 0.0)
            out[:, c] = np.add.reduceat(env, starts) / widths
        return out ** self.compression


@dataclass(frozen=True, eq=False)
class FilterbankCode:
    """What ``filterbank_encode`` made: the spikes plus what a decoder and a plot need."""
    train: SpikeTrain
    envelope: np.ndarray        #: (steps, channels) normalized compressed envelopes (peak 1): the coded signal
    threshold: float            #: delta (code delta) or theta (code if) in envelope units
    code: str
    rate_hz: float              #: achieved mean rate per neuron
    centers_hz: np.ndarray
    scale: float                #: the envelopes were divided by this (their peak before normalization)


def _count(code: str, env: np.ndarray, threshold: float) -> int:
    train = delta_encode(env, threshold) if code == "delta" else if_encode(env, threshold)
    return int(train.times.size)


def threshold_for_rate(count: Callable[[float], int], target: float, lo: float, hi: float,
                       tolerance: float = 0.02, iterations: int = 60) -> tuple[float, int]:
    """Bisection in log space for a threshold whose spike ``count`` is within ``max(tolerance * target,
    1)`` of ``target``, assuming count falls as the threshold rises (exactly so for the ``if`` code;
    for ``delta`` up to grid effects). Returns (threshold, count); raises ValueError naming the
    nearest count when the target cannot be reached between ``lo`` and ``hi``."""
    tol = max(tolerance * target, 1.0)
    best = None
    for _ in range(iterations):
        mid = math.sqrt(lo * hi)
        n = count(mid)
        if best is None or abs(n - target) < abs(best[1] - target):
            best = (mid, n)
        if abs(n - target) <= tol:
            return mid, n
        lo, hi = (mid, hi) if n > target else (lo, mid)
    for th in (lo, hi):
        n = count(th)
        if abs(n - target) < abs(best[1] - target):
            best = (th, n)
    if abs(best[1] - target) <= tol:
        return best
    raise ValueError(f"target of {target:g} spikes not reachable; nearest {best[1]} at threshold {best[0]:.6g}")


def filterbank_encode(signal: Signal | np.ndarray, dt_ms: float, channels: int, code: str = "delta",
                      delta: float | None = None, target_rate_hz: float | None = None,
                      rate_tolerance: float = 0.02, sample_rate_hz: float | None = None, t0: int = 0,
                      **cochlea) -> FilterbankCode:
    """Sparse temporal code of a sound: :class:`Cochlea` envelopes (normalized to peak 1), then per
    channel ``delta_encode`` (code ``delta``: 2 neurons per channel, up 2c and down 2c+1) or
    ``if_encode`` (code ``if``: one neuron per channel) with one threshold for all channels:
    ``delta`` as given, or chosen by :func:`threshold_for_rate` so that the mean rate per neuron
    is within ``rate_tolerance`` (relative; or one spike) of ``target_rate_hz``."""
    if isinstance(signal, Signal):
        x, fs = signal.data, signal.sample_rate_hz
    else:
        x, fs = np.asarray(signal, np.float64), sample_rate_hz
    if fs is None or np.ndim(x) != 1:
        raise ValueError("filterbank_encode: expected a 1-D sound with a sample rate")
    if code not in ("delta", "if"):
        raise ValueError(f"unknown filterbank code {code!r}; delta or if")
    if (delta is None) == (target_rate_hz is None):
        raise ValueError("filterbank_encode: give exactly one of delta or target_rate_hz")
    bank = Cochlea(fs, channels, **cochlea)
    env = bank.envelopes(x, dt_ms)
    scale = float(env.max()) if env.size else 0.0
    env = env / scale if scale > 0 else env
    size = channels * (2 if code == "delta" else 1)
    if delta is None:
        target = target_rate_hz * size * env.shape[0] * dt_ms / 1000.0
        hi = 1.0 + 1e-9 if code == "delta" else float(env.sum(axis=0).max()) * (1.0 + 1e-9) + 1e-12
        try:
            delta, _ = threshold_for_rate(partial(_count, code, env), target, 1e-7, hi, rate_tolerance)
        except ValueError as exc:
            raise ValueError(f"target_rate_hz {target_rate_hz:g}: {exc}") from None
    train = delta_encode(env, delta, 0.0, t0) if code == "delta" else if_encode(env, delta, t0)
    return FilterbankCode(train, env, float(delta), code, train.rate_hz(dt_ms), bank.centers_hz, scale)


# ------------------------------------------------------------------ YAML: registry, validation, encode
@dataclass(frozen=True)
class EncodingSpec:
    """A validated ``{type: encoded, encoder, signal, params}`` stimulus (docs/coding.md)."""
    encoder: str
    signal: SignalSpec
    params: dict = field(default_factory=dict)
    path: str = ""


_POS = partial(number, lo=0, lo_open=True)
_FRAMES = {"duration_steps": (partial(integer, lo=1), 100), "rest_steps": (partial(integer, lo=0), 0)}
#: encoder -> {param: (check(value, path), default)}; default None = optional with no value
ENCODERS: dict[str, dict[str, tuple[Callable, Any]]] = {
    "rate": {"max_rate_hz": (partial(number, lo=0), 100.0), **_FRAMES},
    "latency": {**_FRAMES, "duration_steps": (partial(integer, lo=1), 50),
                "code": (partial(choice, options=("linear", "log"), what="latency code"), "linear"),
                "tau_steps": (_POS, 10.0), "threshold": (partial(number, lo=0, hi=1), 0.0)},
    "delta": {"delta": (_POS, None), "baseline": (number, 0.0)},
    "filterbank": {"code": (partial(choice, options=("delta", "if"), what="filterbank code"), "delta"),
                   "delta": (_POS, None), "target_rate_hz": (_POS, None),
                   "rate_tolerance": (partial(number, lo=0, hi=1, lo_open=True), 0.02),
                   "f_lo_hz": (_POS, 100.0), "f_hi_hz": (_POS, None), "order": (partial(integer, lo=1, hi=8), 2),
                   "envelope_hz": (_POS, 100.0), "compression": (partial(number, lo=0, hi=1, lo_open=True), 0.3)},
}
_REQUIRED = {"delta": ("delta",)}


def validate_encoding(m: dict, path: str, size: int, dt_ms: float, base_dir: str | Path = ".") -> EncodingSpec:
    """Check ``encoder``, ``signal`` and ``params`` of the stimulus mapping ``m`` at ``path`` for a
    source population of ``size`` neurons; load the signal and check its shape. Raises one
    ConfigError naming the field."""
    if "encoder" not in m:
        raise ConfigError(path, f"missing required key 'encoder' (one of {', '.join(sorted(ENCODERS))})")
    name = choice(m["encoder"], at(path, "encoder"), ENCODERS, what="encoder")
    ppath = at(path, "params")
    table = ENCODERS[name]
    raw = section(m.get("params"), ppath, table)
    for key in _REQUIRED.get(name, ()):
        if key not in raw:
            raise ConfigError(ppath, f"missing required key {key!r} for encoder {name}")
    params = {k: check(raw[k], at(ppath, k)) if k in raw else default for k, (check, default) in table.items()}
    if "signal" not in m:
        raise ConfigError(path, "missing required key 'signal' ({digits: i}, {file: x.npy | x.wav} or "
                                "{generate: NAME, ...})")
    spath = at(path, "signal")
    spec = validate_signal(m["signal"], spath, Path(base_dir))
    sig = spec.load()
    _check_shape(name, params, sig, spath, ppath, size, dt_ms)
    return EncodingSpec(name, spec, params, path)


def _check_shape(name: str, params: dict, sig: Signal, spath: str, ppath: str, size: int, dt_ms: float) -> None:
    data = sig.data
    if name in ("rate", "latency"):
        if sig.sample_rate_hz is not None:
            raise ConfigError(spath, f"the {name} encoder takes values (one per neuron, or frames of them), "
                                     "not a sound with a sample rate; use the filterbank or delta encoder")
        if data.ndim not in (1, 2) or data.shape[-1] != size:
            raise ConfigError(spath, f"signal has shape {data.shape}; the {name} encoder needs ({size},) or "
                                     f"(frames, {size}) for a population of {size} neurons")
        if data.size and (data.min() < 0 or data.max() > 1):
            raise ConfigError(spath, f"values must be in [0, 1] for the {name} encoder (min {data.min():g}, "
                                     f"max {data.max():g}); scale the signal")
        if name == "rate" and params["max_rate_hz"] * dt_ms / 1000.0 > 1.0:
            raise ConfigError(at(ppath, "max_rate_hz"), f"{params['max_rate_hz']:g} Hz at dt_ms {dt_ms:g} is more "
                                                        f"than one spike per timestep; use at most {1000 / dt_ms:g}")
    elif name == "delta":
        channels = 1 if data.ndim == 1 else data.shape[1]
        if data.ndim not in (1, 2) or 2 * channels != size:
            raise ConfigError(spath, f"signal has shape {data.shape} ({channels} channel(s)); the delta encoder "
                                     f"needs 2 neurons per channel (up, down): population size {2 * channels}, "
                                     f"not {size}")
    else:
        if sig.sample_rate_hz is None or data.ndim != 1:
            raise ConfigError(spath, f"the filterbank encoder needs a 1-D sound with a sample rate (a .wav, a "
                                     f".npy with sample_rate_hz, or generate:), got shape {data.shape}"
                                     + ("" if sig.sample_rate_hz else " without a sample rate"))
        per = 2 if params["code"] == "delta" else 1
        if size % per:
            raise ConfigError(spath, f"code delta uses 2 neurons per channel (up, down); population size {size} "
                                     "is odd")
        if (params["delta"] is None) == (params["target_rate_hz"] is None):
            raise ConfigError(ppath, "give exactly one of delta (a fixed threshold) or target_rate_hz "
                                     "(the threshold is chosen to reach that mean rate per neuron)")
        if params["target_rate_hz"] is not None and params["target_rate_hz"] * dt_ms / 1000.0 > 1.0:
            raise ConfigError(at(ppath, "target_rate_hz"), f"more than one spike per timestep at dt_ms {dt_ms:g}")
        try:
            _cochlea(params, sig.sample_rate_hz, size // per).check()
        except ValueError as exc:
            key, _, msg = str(exc).partition(": ")
            raise ConfigError(at(ppath, key), msg) from None


def _cochlea(params: dict, fs: float, channels: int) -> Cochlea:
    return Cochlea(fs, channels, params["f_lo_hz"], params["f_hi_hz"], params["order"], params["envelope_hz"],
                   params["compression"])


def _per_step(sig: Signal, dt_ms: float) -> np.ndarray:
    """The signal sampled once per timestep (linear interpolation at t * dt when it has a sample rate)."""
    if sig.sample_rate_hz is None:
        return sig.data
    n = sig.data.shape[0]
    steps = int(math.ceil(n / sig.sample_rate_hz * 1000.0 / dt_ms - 1e-9))
    src = np.arange(n) / sig.sample_rate_hz
    at_steps = np.arange(steps) * dt_ms / 1000.0
    data = sig.data[:, None] if sig.data.ndim == 1 else sig.data
    out = np.stack([np.interp(at_steps, src, data[:, c]) for c in range(data.shape[1])], axis=1)
    return out[:, 0] if sig.data.ndim == 1 else out


def encode(spec: EncodingSpec, size: int, dt_ms: float, seed: int = 0, stream: int = 0, t0: int = 0):
    """The spikes of a validated encoding for a population of ``size`` neurons whose stimulus starts at
    ``t0``; ``stream`` is the population's index (the rate code's hash stream). Returns a SpikeTrain
    (a FilterbankCode's ``train`` for the filterbank)."""
    p = spec.params
    sig = spec.signal.load()
    if spec.encoder == "rate":
        return rate_encode(sig.data, p["max_rate_hz"], dt_ms, seed, p["duration_steps"], p["rest_steps"], t0, stream)
    if spec.encoder == "latency":
        return latency_encode(sig.data, p["duration_steps"], p["code"], p["tau_steps"], p["threshold"],
                              p["rest_steps"], t0)
    if spec.encoder == "delta":
        return delta_encode(_per_step(sig, dt_ms), p["delta"], p["baseline"], t0)
    per = 2 if p["code"] == "delta" else 1
    try:
        return filterbank_encode(sig, dt_ms, size // per, p["code"], p["delta"], p["target_rate_hz"],
                                 p["rate_tolerance"], t0=t0, f_lo_hz=p["f_lo_hz"], f_hi_hz=p["f_hi_hz"],
                                 order=p["order"], envelope_hz=p["envelope_hz"],
                                 compression=p["compression"]).train
    except ValueError as exc:       # the only one left after validation: an unreachable target rate
        if p["target_rate_hz"] is None:
            raise
        raise ConfigError(at(at(spec.path, "params"), "target_rate_hz"), str(exc)) from None
