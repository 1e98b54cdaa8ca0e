"""Set operations on large integer arrays for the mapper.

``np.unique`` of NumPy 2.3+ hashes integer arrays; on millions of distinct 64-bit keys
(``pre << 32 | core`` pairs of a large network) that is about 15x slower than sorting
(5 M keys: 4.9 s against 0.32 s on the benchmark machine), so the mapper sorts.
"""
from __future__ import annotations

import numpy as np


def unique_ints(x: np.ndarray) -> np.ndarray:
    """The distinct values of integer array ``x``, ascending (``np.unique(x)``)."""
    s = np.sort(x)
    return s[_run_starts(s)]


def unique_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, inverse) of integer array ``x``: ``values[inverse] == x``, values ascending
    (``np.unique(x, return_inverse=True)``, inverse as int64)."""
    order = np.argsort(x, kind="stable")
    s = x[order]
    first = _run_starts(s)
    inverse = np.empty(x.size, np.int64)
    inverse[order] = np.cumsum(first) - 1
    return s[first], inverse


def _run_starts(s: np.ndarray) -> np.ndarray:
    """Bool mask of the entries of sorted ``s`` that differ from their predecessor."""
    first = np.empty(s.size, bool)
    first[:1] = True
    np.not_equal(s[1:], s[:-1], out=first[1:])
    return first


def lexsort_ints(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """``np.lexsort(keys)`` (the last key primary, stable) of non-negative integer arrays: one
    stable argsort of the keys packed into one int64 when their bit widths add up to at most 63
    (3-4x faster than lexsort on millions of synapses), else lexsort itself."""
    widths, shift = [], 0
    for k in keys:
        top = int(k.max()) if k.size else 0
        if k.size and int(k.min()) < 0:
            return np.lexsort(keys)
        widths.append(shift)
        shift += max(top.bit_length(), 1)
    if shift > 63:
        return np.lexsort(keys)
    packed = np.zeros(keys[0].size, np.int64)
    for k, s in zip(keys, widths):
        packed |= k.astype(np.int64) << s
    return np.argsort(packed, kind="stable")
