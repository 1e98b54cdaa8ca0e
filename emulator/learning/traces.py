"""Seeding of the learning engine's per-core LFSRs (the trace arithmetic is in ``learning.fixed``)."""
from __future__ import annotations

from .fixed import LFSR_MASK


def learn_lfsr_seed(seed: int, core: int) -> int:
    """Initial LFSR state of ``core``: a 32-bit mix of (seed, core), never 0 (xorshift's fixed point).

    ``s = ((seed * 0x9E3779B1) ^ ((core + 1) * 0x85EBCA77)) mod 2**32``, then 0 -> 1.
    """
    s = ((int(seed) * 0x9E3779B1) ^ ((int(core) + 1) * 0x85EBCA77)) & LFSR_MASK
    return s or 1
