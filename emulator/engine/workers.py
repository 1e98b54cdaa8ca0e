"""Private neuron arrays of the parallel engine's workers.

Two workers stepping the two halves of one set of per-neuron arrays (state, accumulator
rings, spike flags) run their neuron updates ~25-30 % slower than when each has arrays of its
own, on the 2-core machine of docs/performance.md (cycle-counter probes of each phase: update
of the second half 5,200-6,000 cycles per step beside the first half's 3,600, both 3,600 with
separate allocations). Padding the halves apart inside one allocation (4-16 KiB gaps) did not
help, separate allocations did; so every worker but the first runs on private full-size copies
of those arrays, of which it touches only its own neurons' part (the rest is never written,
and large zeroed allocations are never paged in). Worker 0 uses the simulation's own arrays.

The copies are loaded from the simulation's arrays before a chunk and stored back after it, so
everything between chunks (checkpoints, rewiring, the host's resets, probes of ``sim.state``)
sees one set of arrays, as with one thread.
"""
from __future__ import annotations

import numpy as np

from .kernels import Buffers, NeuronState

#: the per-neuron buffers each worker gets a private copy of (the neuron update's own arrays)
PRIVATE_BUFFERS = ("acc", "acc_inh", "fired")


def _zeros_on_line(shape: tuple, dtype) -> np.ndarray:
    """A zeroed C-contiguous array starting on a 64-byte cache line (``np.zeros``: the OS
    pages it in only where it is written)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.zeros(nbytes + 64, np.uint8)
    skip = (-raw.ctypes.data) % 64
    return raw[skip:skip + nbytes].view(dtype).reshape(shape)


def _neuron_arrays(state: NeuronState, buffers: Buffers) -> dict:
    """Name -> the simulation's array, for every array a worker may run on its own copy of."""
    return {**state._asdict(), **{k: getattr(buffers, k) for k in PRIVATE_BUFFERS}}


class WorkerArrays:
    """Per worker g, the state fields and private buffers it runs on, as the flat tuples the
    parallel kernel indexes (``kernels.group_arrays``): ``states[5 g + f]`` (NeuronState field
    f), ``rings[2 g + b]`` (acc, acc_inh), ``flags[g]`` (fired)."""

    def __init__(self, neuron_ptr: np.ndarray, group_ptr: np.ndarray):
        bounds = neuron_ptr[group_ptr]
        self.ranges = [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]
        self._copies: list[dict] = []
        self._key = None

    def _allocate(self, arrays: dict) -> None:
        # the (1, 1) inh bank of a network without second ports is never touched: no copy
        private = {k: a for k, a in arrays.items() if not (k == "acc_inh" and a.shape[1] == 1)}
        key = tuple((k, a.shape, a.dtype.str) for k, a in private.items())
        if key != self._key:
            self._copies = [{k: _zeros_on_line(a.shape, a.dtype) for k, a in private.items()}
                            for _ in self.ranges[1:]]
            self._key = key

    def _pairs(self, arrays: dict):
        """(shared, private, neuron slice) for every private array of workers 1.."""
        for (lo, hi), copies in zip(self.ranges[1:], self._copies):
            for name, private in copies.items():
                yield arrays[name], private, slice(lo, hi)

    def load(self, state: NeuronState, buffers: Buffers) -> tuple:
        """Copy each worker's neurons into its arrays; returns the kernel's (states, rings, flags)."""
        shared = _neuron_arrays(state, buffers)
        self._allocate(shared)
        for array, private, part in self._pairs(shared):
            private[..., part] = array[..., part]
        workers = [shared] + [{**shared, **copies} for copies in self._copies]
        states = tuple(w[k] for w in workers for k in NeuronState._fields)
        rings = tuple(w[k] for w in workers for k in ("acc", "acc_inh"))
        flags = tuple(w["fired"] for w in workers)
        return states, rings, flags

    def store(self, state: NeuronState, buffers: Buffers) -> None:
        """Copy each worker's neurons back into the simulation's arrays."""
        for array, private, part in self._pairs(_neuron_arrays(state, buffers)):
            array[..., part] = private[..., part]
