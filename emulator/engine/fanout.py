"""Source-major delivery tables: the engine's copy of the synapses in the order spikes read them.

The ChipImage stores synapses as the chip does, per core and input axon (a spike's packet
names an input axon; the axon's row lists its synapses). Following that path costs a
chain of dependent loads per row (output entry -> axon -> row pointer, core, exponent,
port -> synapses); with random connectivity a row holds one or two synapses, so at 64k
neurons and beyond every synaptic event misses the caches several times.

For a network without on-chip learning the synapses never change, so the engine lays them
out again by source: every synapse a spike of source ``s`` reaches is in
``ptr[s] .. ptr[s + 1] - 1``, as one global target id and one 32-bit word::

    word = (w << (6 + exp)) << 7 | delay << 1 | port      (contribution, 6-bit delay, port)

The contribution of a 9-bit weight with a 4-bit exponent fits 22 bits, so the word's top
25 bits hold it exactly and ``word >> 7`` (arithmetic) recovers it. Delivery then streams
8 bytes per synapse and writes the accumulator: the same sums as the per-core path
(integer adds commute, the accumulator wraps either way), the same counters (one axon
event and the row's synapses per output entry, at the entry's core). Sources are the chip
neurons ``0 .. n-1``, then the host sources ``n + h``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._jit import kernel
from ..fixed import DELAY_BITS, weight_contribution, word_delay, word_weight

WORD_SHIFT = DELAY_BITS + 1      #: bits below the contribution: delay, port


class Fanout(NamedTuple):
    """Delivery tables by source (empty, ``ptr.shape[0] <= 1``, when the per-core path is used)."""
    ptr: np.ndarray       #: int64 (sources + 1, groups + 1): synapses of source s on thread group g's
                          #: neurons are ptr[s, g] .. ptr[s, g + 1] - 1 (ptr[s + 1, 0] == ptr[s, groups])
    target: np.ndarray    #: int32 (m): global target neuron
    word: np.ndarray      #: int32 (m): contribution << 7 | delay << 1 | port
    ent_ptr: np.ndarray   #: int64 (sources + 1): output entries of source s (chip, then host)
    ent_core: np.ndarray  #: int32 (entries): core of the entry's input axon
    ent_len: np.ndarray   #: int32 (entries): synapses in its row

    @staticmethod
    def empty() -> "Fanout":
        z32 = np.zeros(0, np.int32)
        return Fanout(np.zeros((1, 2), np.int64), z32, z32, np.zeros(1, np.int64), z32, z32)


def fanout_tables(image, group_first: np.ndarray) -> Fanout:
    """The Fanout of a ChipImage (its synapses as they are now: build it for static images).

    ``group_first``: int64 (groups + 1), the first neuron of each thread group and the
    neuron count. Each source's synapses are sorted by target, so a group's are a sub-range:
    a thread reads only its own, and writes the accumulator in ascending order.
    """
    ent_axon = np.concatenate([image.out_axon, image.host_out_axon]).astype(np.int64)
    ent_ptr = np.concatenate([image.out_ptr, image.out_ptr[-1] + image.host_out_ptr[1:]]).astype(np.int64)
    axon_core = image.axon_core
    row_len = (image.axon_syn_ptr[ent_axon + 1] - image.axon_syn_ptr[ent_axon]).astype(np.int64)
    ent_syn = np.concatenate([[0], np.cumsum(row_len)]).astype(np.int64)
    target = np.empty(int(ent_syn[-1]), np.int32)
    word = np.empty(int(ent_syn[-1]), np.int32)
    _fill(ent_axon, ent_syn, image.axon_syn_ptr, axon_core, image.neuron_ptr, image.axon_exp, image.axon_port,
          image.syn_target, image.syn_word, target, word)
    src_ptr = ent_syn[ent_ptr]
    ptr = np.empty((src_ptr.size, group_first.size), np.int64)
    _sort_by_target(src_ptr, np.asarray(group_first, np.int64), target, word, ptr)
    return Fanout(ptr, target, word, ent_ptr, axon_core[ent_axon].astype(np.int32), row_len.astype(np.int32))


@kernel
def _sort_by_target(src_ptr, group_first, target, word, ptr):
    """Sort each source's synapses by target; ``ptr[s, g]``: its first synapse on group g or later."""
    for s in range(src_ptr.size - 1):
        lo, hi = src_ptr[s], src_ptr[s + 1]
        order = np.argsort(target[lo:hi], kind="mergesort")
        target[lo:hi] = target[lo:hi][order]
        word[lo:hi] = word[lo:hi][order]
        ptr[s] = lo + np.searchsorted(target[lo:hi], group_first)
    ptr[src_ptr.size - 1] = src_ptr[-1]


@kernel
def _fill(ent_axon, ent_syn, axon_syn_ptr, axon_core, neuron_ptr, axon_exp, axon_port, syn_target, syn_word,
          target, word):
    for e in range(ent_axon.size):
        a = ent_axon[e]
        base = neuron_ptr[axon_core[a]]
        exp = np.int64(axon_exp[a])
        k = ent_syn[e]
        for j in range(axon_syn_ptr[a], axon_syn_ptr[a + 1]):
            syn = np.int64(syn_word[j])
            contrib = weight_contribution(word_weight(syn), exp)
            target[k] = base + np.int64(syn_target[j])
            word[k] = (contrib << WORD_SHIFT) | (word_delay(syn) << 1) | np.int64(axon_port[a])
            k += 1
