"""Host spike sources of the learning runner (docs/learning.md): spike trains given as arrays,
rate-coded images generated window by window, several trains of one source, and a stimulus gated
by the phases of a wake/sleep schedule. Each is a pure function of the step window it is asked
for, so the spikes do not depend on how a run is cut into chunks."""
from __future__ import annotations

import numpy as np


def level_code(x: np.ndarray, levels: int) -> np.ndarray:
    """Graded population code of pixel intensities (a thermometer code): every pixel value v in
    [0, 1] of the last axis (``n`` pixels) drives ``levels`` channels, channel ``j`` (0 .. levels-1)
    of pixel ``p`` at index ``j * n + p`` (level-major: the first ``n`` channels are level 0) with
    value ``clip(levels * v - j, 0, 1)``; so the channels of a pixel sum to ``levels * v`` and fill
    up one after the other as v grows (v = 0.6, levels 4: 1, 1, 0.4, 0). An image train spikes each
    channel with probability ``max_prob`` times its value. ``levels`` 1 returns ``x`` itself
    (today's encoding, bit for bit)."""
    levels = int(levels)
    if levels < 1:
        raise ValueError(f"levels must be a positive integer, got {levels}")
    if levels == 1:
        return x
    x = np.asarray(x, np.float64)
    j = np.arange(levels, dtype=np.float64).reshape((levels,) + (1,) * x.ndim)
    code = np.clip(levels * x[None] - j, 0.0, 1.0)                 # (levels, ..., n)
    return np.moveaxis(code, 0, -2).reshape(x.shape[:-1] + (levels * x.shape[-1],))


def level_sum(w: np.ndarray, levels: int) -> np.ndarray:
    """Weights from ``levels * n`` level-coded input channels (rows of ``w``, order of
    ``level_code``) summed over the levels of each pixel: shape (n, ...), e.g. to show them as images."""
    w = np.asarray(w)
    return w if levels == 1 else w.reshape((levels, w.shape[0] // levels) + w.shape[1:]).sum(axis=0)


class ArrayTrain:
    """Spikes of one host source given as (times, indices) arrays: a ``Stimulus`` train."""

    def __init__(self, times: np.ndarray, ids: np.ndarray):
        order = np.lexsort((ids, times))
        self.times, self.ids = np.asarray(times, np.int64)[order], np.asarray(ids, np.int64)[order]

    def window(self, t_lo: int, t_hi: int):
        lo, hi = np.searchsorted(self.times, [t_lo, t_hi])
        return self.times[lo:hi], self.ids[lo:hi]


class ImageTrain:
    """Rate-coded images, generated window by window: image ``order[k]`` is shown during steps
    ``t0 + k*(present + rest) + [0, present)``, pixel value v spiking with probability
    ``max_prob * v`` per step (``bernoulli``: independent draws from a generator seeded with
    (seed, k); ``regular``: a phase accumulator). A pure function of the window, so spikes do not
    depend on how the run is cut."""

    def __init__(self, images, order, t0, present, rest, max_prob, seed, encoding="bernoulli"):
        self.images, self.order = images, np.asarray(order, np.int64)
        self.t0, self.present, self.period = int(t0), int(present), int(present + rest)
        self.max_prob, self.seed, self.encoding = max_prob, int(seed), encoding

    @property
    def end(self) -> int:
        return self.t0 + self.order.size * self.period

    def image_spikes(self, k: int):
        rate = self.max_prob * self.images[self.order[k]]
        if self.encoding == "bernoulli":
            draws = np.random.default_rng((self.seed, k)).random((self.present, rate.size)) < rate
        else:
            s = np.arange(self.present, dtype=np.float64)[:, None]
            draws = np.floor((s + 1) * rate + 1e-9) > np.floor(s * rate + 1e-9)
        s, i = np.nonzero(draws)
        return self.t0 + k * self.period + s, i

    def window(self, t_lo: int, t_hi: int):
        k_lo = max(0, (t_lo - self.t0) // self.period)
        k_hi = min(self.order.size, -(-(t_hi - self.t0) // self.period))
        parts = [self.image_spikes(k) for k in range(k_lo, k_hi)]
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        t = np.concatenate([p[0] for p in parts]).astype(np.int64)
        i = np.concatenate([p[1] for p in parts]).astype(np.int64)
        keep = (t >= t_lo) & (t < t_hi)
        return t[keep], i[keep]


class MultiTrain:
    """Several trains of one source population (e.g. training, labelling and test blocks)."""

    def __init__(self, trains):
        self.trains = list(trains)

    def window(self, t_lo: int, t_hi: int):
        parts = [tr.window(t_lo, t_hi) for tr in self.trains]
        t = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        i = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        order = np.lexsort((i, t))
        return t[order], i[order]


class GatedStimulus:
    """A Stimulus whose sources are switched off outside the phases that list them (``run.schedule``)."""

    def __init__(self, base, starts: np.ndarray, on: np.ndarray):
        self.base, self.starts, self.on = base, starts, on      # on: bool (phases, host ids)
        self.trains = base.trains

    def window(self, t_lo: int, t_hi: int):
        ptr, ids = self.base.window(t_lo, t_hi)
        t = np.repeat(np.arange(t_lo, t_hi, dtype=np.int64), np.diff(ptr))
        phase = np.clip(np.searchsorted(self.starts, t, side="right") - 1, 0, len(self.starts) - 1)
        keep = self.on[phase, ids] if ids.size else np.zeros(0, bool)
        t, ids = t[keep], ids[keep]
        return np.searchsorted(t, np.arange(t_lo, t_hi + 1)).astype(np.int64), ids.astype(np.int32)


def add_source(stimulus, image, population: str, train) -> None:
    """Append ``train`` as the spike source of host population ``population``."""
    stimulus.trains.append((train, image.population(population).first_id))


def encode_labels_train(labels, t0, present, rest, period) -> ArrayTrain:
    """Teacher spikes: source neuron ``labels[k]`` spikes every ``period`` steps while image k is shown."""
    steps = np.arange(0, present, period)
    k = np.repeat(np.arange(len(labels)), steps.size)
    return ArrayTrain(t0 + k * (present + rest) + np.tile(steps, len(labels)), np.asarray(labels)[k])
