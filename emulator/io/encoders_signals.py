"""Signals for the spike encoders (docs/coding.md): images, files and generated sounds.

A :class:`Signal` is an array plus its sample rate. ``sample_rate_hz`` None means the
array has no time base of its own: a static vector (one value per neuron, e.g. an
image) or a sequence of such frames (one row each), which the encoder presents on its
own schedule. Nothing here downloads: images come from scikit-learn's bundled 8x8
digits, sounds from ``.wav``/``.npy`` files or are generated from a formula.

The YAML form (``stimulus.NAME.signal``) is validated by :func:`validate_signal` into a
:class:`SignalSpec`, which :meth:`SignalSpec.load` turns into a Signal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..config.schema import at, choice, get, integer, mapping, nullable, number, seq, show, string
from ..errors import ConfigError

__all__ = ["Signal", "SignalSpec", "digits_images", "load_signal_file", "generate", "GENERATORS",
           "validate_signal"]

DIGITS_COUNT = 1797          #: images in scikit-learn's bundled 8x8 digits set
DIGITS_PIXELS = 64


@dataclass(frozen=True, eq=False)
class Signal:
    data: np.ndarray                     #: float64; (n,) static, (k, n) frames, or (samples,) / (samples, c)
    sample_rate_hz: float | None = None  #: None: no time base (a static vector or frames)

    @property
    def duration_s(self) -> float:
        return self.data.shape[0] / self.sample_rate_hz if self.sample_rate_hz else 0.0


# ------------------------------------------------------------------ images
def digits_images(index: int | list[int] | tuple[int, ...]) -> np.ndarray:
    """Pixels of scikit-learn's bundled 8x8 digits (values 0..16) divided by 16, in [0, 1].

    One index gives shape (64,); a list gives (len, 64), one image per row."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:      # pragma: no cover - sklearn is in the test and learning extras
        raise ImportError("the digits signal needs scikit-learn: pip install -e '.[learning]'") from None
    data = load_digits().data / 16.0
    return data[np.asarray(index, dtype=np.int64)]


# ------------------------------------------------------------------ files
def load_signal_file(path: str | Path, sample_rate_hz: float | None = None, channel: int | None = None) -> Signal:
    """A ``.npy`` array (``sample_rate_hz`` as given, None for static/frames) or a ``.wav`` file
    (its own rate; integer PCM scaled to [-1, 1); ``channel`` picks one of several channels,
    default: their mean). Raises ValueError with the reason."""
    path = Path(path)
    if path.suffix == ".wav":
        from scipy.io import wavfile
        try:
            rate, data = wavfile.read(path)
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None
        if data.dtype.kind in "iu":
            info = np.iinfo(data.dtype)
            data = (data.astype(np.float64) - (info.max + 1 + info.min) / 2) / ((info.max - info.min + 1) / 2)
        data = data.astype(np.float64)
        if data.ndim == 2:
            if channel is not None and channel >= data.shape[1]:
                raise ValueError(f"{path.name} has {data.shape[1]} channel(s); channel {channel} does not exist")
            data = data[:, channel] if channel is not None else data.mean(axis=1)
        return Signal(data, float(rate))
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "biuf" or data.ndim not in (1, 2):
        raise ValueError(f"{path.name}: expected a 1-D or 2-D numeric array, got "
                         f"{getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}")
    data = data.astype(np.float64)
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{path.name}: the array holds NaN or infinite values")
    if channel is not None:
        if data.ndim != 2 or channel >= data.shape[1]:
            raise ValueError(f"{path.name} has shape {data.shape}; channel {channel} does not exist")
        data = data[:, channel]
    return Signal(data, sample_rate_hz)


# ------------------------------------------------------------------ generated sounds
def _t(duration_ms: float, sample_rate_hz: float) -> np.ndarray:
    return np.arange(int(round(duration_ms * sample_rate_hz / 1000.0))) / sample_rate_hz


def sine(duration_ms=1000.0, sample_rate_hz=16000.0, amplitude=1.0, freq_hz=440.0, phase=0.0) -> np.ndarray:
    """``amplitude * sin(2 pi f t + phase)``."""
    return amplitude * np.sin(2 * np.pi * freq_hz * _t(duration_ms, sample_rate_hz) + phase)


def chirp(duration_ms=1000.0, sample_rate_hz=16000.0, amplitude=1.0, f0_hz=100.0, f1_hz=4000.0) -> np.ndarray:
    """Exponential sweep from ``f0_hz`` to ``f1_hz``: phase ``2 pi f0 T/ln(k) (k^(t/T) - 1)``, k = f1/f0."""
    t = _t(duration_ms, sample_rate_hz)
    dur = max(t.size / sample_rate_hz, 1e-12)
    k = f1_hz / f0_hz
    if abs(k - 1.0) < 1e-12:
        return amplitude * np.sin(2 * np.pi * f0_hz * t)
    return amplitude * np.sin(2 * np.pi * f0_hz * dur / np.log(k) * (k ** (t / dur) - 1.0))


#: formant frequencies (Hz) of three vowels (adult male averages, Peterson & Barney 1952)
VOWELS = {"a": (730.0, 1090.0, 2440.0), "i": (270.0, 2290.0, 3010.0), "u": (300.0, 870.0, 2240.0)}


def vowel(duration_ms=1000.0, sample_rate_hz=16000.0, amplitude=1.0, f0_hz=120.0, vowels="aiu",
          syllable_hz=4.0) -> np.ndarray:
    """A vowel-like harmonic mix: harmonics ``h*f0`` (up to 5 kHz or Nyquist) with amplitude
    ``sum_formants 1/(1 + ((h f0 - F)/(0.1 F + 50))^2) / h``, the vowels of ``vowels`` in equal
    segments (formants of :data:`VOWELS`), each segment gated by a raised cosine, and the whole
    signal amplitude-modulated at ``syllable_hz`` (``0.5 - 0.5 cos``; 0: no modulation);
    scaled to peak ``amplitude``."""
    t = _t(duration_ms, sample_rate_hz)
    out = np.zeros_like(t)
    segments = np.array_split(np.arange(t.size), max(1, len(vowels)))
    n_harm = int(min(5000.0, 0.45 * sample_rate_hz) // f0_hz)
    for v, idx in zip(vowels, segments):
        if idx.size == 0:
            continue
        formants = VOWELS[v]
        seg = np.zeros(idx.size)
        for h in range(1, n_harm + 1):
            f = h * f0_hz
            a = sum(1.0 / (1.0 + ((f - F) / (0.1 * F + 50.0)) ** 2) for F in formants) / h
            seg += a * np.sin(2 * np.pi * f * t[idx])
        seg *= 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(idx.size) / max(idx.size - 1, 1))
        out[idx] = seg
    if syllable_hz > 0:
        out *= 0.5 - 0.5 * np.cos(2 * np.pi * syllable_hz * t)
    peak = np.max(np.abs(out)) if out.size else 0.0
    return amplitude * out / peak if peak > 0 else out


def chirp_vowel(duration_ms=1000.0, sample_rate_hz=16000.0, amplitude=1.0, f0_hz=100.0, f1_hz=4000.0,
                pitch_hz=120.0) -> np.ndarray:
    """The audio demo signal: ``0.4 * chirp(f0 -> f1) + 0.6 * vowel(pitch, 'aiu', 4 Hz)``, peak ``amplitude``."""
    x = 0.4 * chirp(duration_ms, sample_rate_hz, 1.0, f0_hz, f1_hz) + \
        0.6 * vowel(duration_ms, sample_rate_hz, 1.0, pitch_hz)
    peak = np.max(np.abs(x)) if x.size else 0.0
    return amplitude * x / peak if peak > 0 else x


_COMMON = {"duration_ms": (partial(number, lo=0, lo_open=True), 1000.0),
           "sample_rate_hz": (partial(number, lo=0, lo_open=True), 16000.0),
           "amplitude": (partial(number, lo=0), 1.0)}
_FREQ = partial(number, lo=0, lo_open=True)
#: generator name -> (function, {key: (check, default)}) of its own keys
GENERATORS = {
    "sine": (sine, {"freq_hz": (_FREQ, 440.0), "phase": (number, 0.0)}),
    "chirp": (chirp, {"f0_hz": (_FREQ, 100.0), "f1_hz": (_FREQ, 4000.0)}),
    "vowel": (vowel, {"f0_hz": (_FREQ, 120.0), "syllable_hz": (partial(number, lo=0), 4.0),
                      "vowels": (lambda v, p: _vowels(v, p), "aiu")}),
    "chirp_vowel": (chirp_vowel, {"f0_hz": (_FREQ, 100.0), "f1_hz": (_FREQ, 4000.0), "pitch_hz": (_FREQ, 120.0)}),
}


def _vowels(value: Any, path: str) -> str:
    text = string(value, path)
    bad = [c for c in text if c not in VOWELS]
    if bad:
        raise ConfigError(path, f"unknown vowel {bad[0]!r}; valid: {', '.join(VOWELS)}")
    return text


def generate(kind: str, **params) -> Signal:
    """A generated sound (:data:`GENERATORS`) with its sample rate; unknown keys are a TypeError."""
    fn, _ = GENERATORS[kind]
    rate = float(params.get("sample_rate_hz", 16000.0))
    return Signal(np.asarray(fn(**params), np.float64), rate)


# ------------------------------------------------------------------ YAML
@dataclass(frozen=True)
class SignalSpec:
    """A validated ``signal:`` mapping: ``kind`` digits / file / generate and its values."""
    kind: str
    digits: tuple[int, ...] | int | None = None
    file: str | None = None                 #: resolved path
    generator: str | None = None
    params: dict = field(default_factory=dict)
    sample_rate_hz: float | None = None     #: of a .npy file (a .wav knows its own)
    channel: int | None = None
    path: str = ""                          #: YAML path, for error messages

    def load(self) -> Signal:
        """The signal; a file that cannot be read is a ConfigError naming ``path.file``."""
        if self.kind == "digits":
            return Signal(digits_images(list(self.digits) if isinstance(self.digits, tuple) else self.digits))
        if self.kind == "file":
            try:
                return load_signal_file(self.file, self.sample_rate_hz, self.channel)
            except ValueError as exc:
                raise ConfigError(at(self.path, "file"), str(exc)) from None
        return generate(self.generator, **self.params)


_SIGNAL_KEYS = {"digits": (), "file": ("sample_rate_hz", "channel"), "generate": ()}   #: kind -> its other keys
_SIGNAL_SUFFIXES = (".npy", ".wav")


def validate_signal(raw: Any, path: str, base_dir: Path) -> SignalSpec:
    """``{digits: i | [i, ...]}``, ``{file: x.npy | x.wav, sample_rate_hz, channel}`` or
    ``{generate: NAME, duration_ms, sample_rate_hz, amplitude, <its keys>}`` -> SignalSpec."""
    kinds = tuple(_SIGNAL_KEYS)
    if not isinstance(raw, dict):
        raise ConfigError(path, f"expected a mapping with one of {', '.join(kinds)}, got {show(raw)}")
    given = [k for k in kinds if k in raw]
    if len(given) != 1:
        raise ConfigError(path, f"expected exactly one of {', '.join(kinds)}, got "
                                f"{', '.join(given) if given else 'none'}")
    kind = given[0]
    if kind == "generate":
        name = get(raw, "generate", path, choice, options=GENERATORS, what="signal generator")
        own = GENERATORS[name][1]
        m = mapping(raw, path, ("generate", *_COMMON, *own))
        params = {k: get(m, k, path, check, default) for k, (check, default) in {**_COMMON, **own}.items()}
        return SignalSpec("generate", generator=name, params=params, path=path)
    m = mapping(raw, path, (kind, *_SIGNAL_KEYS[kind]))
    if kind == "digits":
        value = m["digits"]
        dpath = at(path, "digits")
        check = partial(integer, lo=0, hi=DIGITS_COUNT - 1)
        if isinstance(value, (list, tuple)):
            digits = tuple(check(v, f"{dpath}[{i}]") for i, v in enumerate(seq(value, dpath, min_len=1)))
        else:
            digits = check(value, dpath)
        return SignalSpec("digits", digits=digits, path=path)
    name = string(m["file"], at(path, "file"))
    file = Path(base_dir) / name
    if file.suffix not in _SIGNAL_SUFFIXES:
        raise ConfigError(at(path, "file"), f"expected a .npy or .wav file, got {name!r}")
    if not file.is_file():
        raise ConfigError(at(path, "file"), f"file not found: {file} (relative paths start at {base_dir})")
    rate = get(m, "sample_rate_hz", path, nullable(number), None, lo=0, lo_open=True)
    if rate is not None and file.suffix == ".wav":
        raise ConfigError(at(path, "sample_rate_hz"), "a .wav file carries its own sample rate; remove it")
    channel = get(m, "channel", path, nullable(integer), None, lo=0)
    return SignalSpec("file", file=str(file), sample_rate_hz=rate, channel=channel, path=path)
