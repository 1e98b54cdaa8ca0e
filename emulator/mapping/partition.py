"""First mapper stage: split populations into core-sized blocks, in order.

Neurons are assigned greedily, population by population (each starting on a
fresh core), to the current core until one of its limits would be exceeded,
then to the next core. The limits
are counted exactly: neurons, synapse memory bits (synapses x word bits) and
input axons (one synapse-list row per distinct (projection, source neuron)
that reaches the core). Output axons are checked after the image is built.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import fixed as fx
from .._jit import kernel
from ..config.types import ChipSpec
from ..errors import MappingError
from ..ir.network import Network


def synapse_word_bits(chip: ChipSpec) -> int:
    """Bits of one synapse in synapse memory: weight + delay + target neuron index."""
    target_bits = max(1, int(np.ceil(np.log2(max(chip.limits.neurons, 2)))))
    return fx.WEIGHT_BITS + fx.DELAY_BITS + target_bits


@dataclass(frozen=True)
class Placement:
    """Core index of every neuron of every chip population, plus per-core usage."""
    core_of: dict            #: population name -> int32 array (size,)
    n_cores: int
    neurons: np.ndarray      #: per core
    synapse_bits: np.ndarray
    input_axons: np.ndarray


# error codes of the greedy kernel
_OK, _TOO_MANY_BITS, _TOO_MANY_ROWS = 0, 1, 2


@kernel
def _fill(syn_ptr, keys, n_keys, bits_per_syn, cap_neurons, cap_bits, cap_rows, first_core, core_of):
    """Greedy in-order fill of one population starting on the empty core ``first_core``.

    A row (key) counts once per core: ``last_core[key]`` marks the core that
    already holds it, so moving to a fresh core makes every mark stale.
    Returns (code, neuron index, last core used); code != 0 means a lone
    neuron does not fit an empty core.
    """
    last_core = np.full(n_keys, -1, np.int64)
    core, n_used, bits, rows = first_core, 0, 0, 0
    for n in range(syn_ptr.size - 1):
        lo, hi = syn_ptr[n], syn_ptr[n + 1]
        nbits = (hi - lo) * bits_per_syn
        for attempt in range(2):
            new_rows = 0
            for j in range(lo, hi):
                if last_core[keys[j]] != core:
                    last_core[keys[j]] = core
                    new_rows += 1
            if n_used < cap_neurons and bits + nbits <= cap_bits and rows + new_rows <= cap_rows:
                break
            if attempt == 1:                 # already alone on a fresh core: cannot fit anywhere
                return (_TOO_MANY_BITS if nbits > cap_bits else _TOO_MANY_ROWS), n, core
            core += 1
            n_used, bits, rows = 0, 0, 0
        n_used += 1
        bits += nbits
        rows += new_rows
        core_of[n] = core
    return _OK, -1, core


def partition(net: Network, chip: ChipSpec) -> Placement:
    """Assign every chip neuron to a core; raise MappingError naming what does not fit."""
    lim = chip.limits
    word = synapse_word_bits(chip)
    core_of = {}
    next_core = 0
    for pop in net.populations:
        if pop.is_source:
            continue
        syn_ptr, keys, n_keys = _incoming_rows(net, pop.name, pop.size)
        out = np.full(pop.size, -1, np.int32)
        cap = min(pop.max_per_core or lim.neurons, lim.neurons)
        code, n, last = _fill(syn_ptr, keys, n_keys, word, cap, lim.synapse_memory_bits, lim.input_axons,
                              next_core, out)
        next_core = last + 1                 # each population starts on a fresh core
        if code != _OK:
            fan_in = int(syn_ptr[n + 1] - syn_ptr[n])
            if code == _TOO_MANY_BITS:
                raise MappingError(
                    f"population '{pop.name}' neuron {n}: {fan_in} incoming synapses x {word} bits = "
                    f"{fan_in * word:,} bits exceed one core's synapse memory ({lim.synapse_memory_bits:,} bits, "
                    "chip.limits.synapse_memory_bits); reduce its fan-in or use a chip with more synapse memory")
            raise MappingError(
                f"population '{pop.name}' neuron {n}: its {fan_in} incoming synapses come from more distinct "
                f"sources than a core's {lim.input_axons} input axons (chip.limits.input_axons); "
                "reduce its fan-in or raise the limit")
        core_of[pop.name] = out
    n_cores = next_core
    if n_cores > chip.n_cores:
        raise MappingError(
            f"the network needs {n_cores} cores but the {chip.mesh_width} x {chip.mesh_height} mesh of chip "
            f"'{chip.name}' has {chip.n_cores}; use a bigger mesh (chip.mesh) or fewer/smaller populations")
    neurons = np.zeros(n_cores, np.int64)
    for arr in core_of.values():
        neurons += np.bincount(arr, minlength=n_cores)
    bits, rows = _core_usage(net, core_of, n_cores, word)
    return Placement(core_of, n_cores, neurons, bits, rows)


def _incoming_rows(net: Network, target: str, size: int):
    """Synapses into ``target`` sorted by post neuron, each tagged with its row key (projection, pre)."""
    posts, keys = [], []
    for i, proj in enumerate(net.projections):
        if proj.target == target:
            posts.append(proj.post)
            keys.append((np.int64(i) << 32) | proj.pre.astype(np.int64))
    if not posts:
        return np.zeros(size + 1, np.int64), np.zeros(0, np.int64), 0
    post, key = np.concatenate(posts), np.concatenate(keys)
    order = np.argsort(post, kind="stable")
    uniq, inv = np.unique(key[order], return_inverse=True)
    syn_ptr = np.concatenate([[0], np.cumsum(np.bincount(post, minlength=size))]).astype(np.int64)
    return syn_ptr, inv.astype(np.int64), int(uniq.size)


def _core_usage(net: Network, core_of: dict, n_cores: int, word: int):
    bits = np.zeros(n_cores, np.int64)
    rows = np.zeros(n_cores, np.int64)
    for i, proj in enumerate(net.projections):
        core = core_of[proj.target][proj.post]
        bits += np.bincount(core, minlength=n_cores) * word
        rows += np.bincount(np.unique(core.astype(np.int64) << 32 | proj.pre) >> 32, minlength=n_cores)
    return bits, rows
