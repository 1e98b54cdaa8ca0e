"""First mapper stage: split populations into core-sized blocks, in order.

Neurons are assigned greedily, population by population (each starting on a
fresh core), to the current core until one of its limits would be exceeded,
then to the next core. The limits
are counted exactly: neurons, synapse memory bits (synapses x word bits),
input axons (one synapse-list row per distinct (projection, source neuron)
that reaches the core) and output axons (one per distinct (projection,
destination core) a neuron's spikes go to). A neuron's output axons depend on
how its targets were split, so the fill is repeated with the fan-outs of the
previous split until the split no longer changes (targets do not depend on
their sources' split, so this settles in a few rounds).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import fixed as fx
from .._jit import kernel
from ..config.types import ChipSpec
from ..errors import MappingError
from ..ir.network import Network
from .sets import unique_ints, unique_inverse


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
_OK, _TOO_MANY_BITS, _TOO_MANY_ROWS, _TOO_MANY_OUT = 0, 1, 2, 3
_ROUNDS = 8     #: fills with updated fan-outs before giving up


@kernel
def _fill(syn_ptr, keys, n_keys, bits_per_syn, cap_neurons, cap_bits, cap_rows, fan, cap_out, first_core,
          core_of):
    """Greedy in-order fill of one population starting on the empty core ``first_core``.

    A row (key) counts once per core: ``last_core[key]`` marks the core that
    already holds it, so moving to a fresh core makes every mark stale.
    Returns (code, neuron index, last core used); code != 0 means a lone
    neuron does not fit an empty core.
    """
    last_core = np.full(n_keys, -1, np.int64)
    core, n_used, bits, rows, out = first_core, 0, 0, 0, 0
    for n in range(syn_ptr.size - 1):
        lo, hi = syn_ptr[n], syn_ptr[n + 1]
        nbits = (hi - lo) * bits_per_syn
        for attempt in range(2):
            new_rows = 0
            for j in range(lo, hi):
                if last_core[keys[j]] != core:
                    last_core[keys[j]] = core
                    new_rows += 1
            if (n_used < cap_neurons and bits + nbits <= cap_bits and rows + new_rows <= cap_rows
                    and out + fan[n] <= cap_out):
                break
            if attempt == 1:                 # already alone on a fresh core: cannot fit anywhere
                if nbits > cap_bits:
                    return _TOO_MANY_BITS, n, core
                if new_rows > cap_rows:
                    return _TOO_MANY_ROWS, n, core
                return _TOO_MANY_OUT, n, core
            core += 1
            n_used, bits, rows, out = 0, 0, 0, 0
        n_used += 1
        bits += nbits
        rows += new_rows
        out += fan[n]
        core_of[n] = core
    return _OK, -1, core


def partition(net: Network, chip: ChipSpec) -> Placement:
    """Assign every chip neuron to a core; raise MappingError naming what does not fit."""
    word = synapse_word_bits(chip)
    incoming = {p.name: _incoming_rows(net, p.name, p.size) for p in net.populations if not p.is_source}
    fan = {name: np.zeros(rows[0].size - 1, np.int64) for name, rows in incoming.items()}
    core_of = None
    for _ in range(_ROUNDS):
        new, n_cores = _fill_all(net, chip, incoming, fan, word, core_of)
        if core_of is not None and all(np.array_equal(new[k], core_of[k]) for k in new):
            break
        core_of = new
        fan = _fan_out(net, core_of)
    else:
        core_of, n_cores = _fill_all(net, chip, incoming, fan, word, core_of)
    if n_cores > chip.n_cores:
        raise MappingError(
            f"the network needs {n_cores} cores but the {chip.mesh_width} x {chip.mesh_height} mesh of chip "
            f"'{chip.name}' has {chip.n_cores}; use a bigger mesh (chip.mesh) or fewer/smaller populations")
    neurons = np.zeros(n_cores, np.int64)
    for arr in core_of.values():
        neurons += np.bincount(arr, minlength=n_cores)
    bits, rows = _core_usage(net, core_of, n_cores, word)
    return Placement(core_of, n_cores, neurons, bits, rows)


def _fill_all(net: Network, chip: ChipSpec, incoming: dict, fan: dict, word: int, previous: dict | None):
    lim = chip.limits
    core_of = {}
    next_core = 0
    for pop in net.populations:
        if pop.is_source:
            continue
        syn_ptr, keys, n_keys = incoming[pop.name]
        out = np.full(pop.size, -1, np.int32)
        cap = min(pop.max_per_core or lim.neurons, lim.neurons)
        code, n, last = _fill(syn_ptr, keys, n_keys, word, cap, lim.synapse_memory_bits, lim.input_axons,
                              fan[pop.name], lim.output_axons, next_core, out)
        next_core = last + 1                 # each population starts on a fresh core
        if code == _TOO_MANY_OUT:
            _raise_fan_out_error(pop.name, n, fan[pop.name], previous[pop.name], lim)
        if code != _OK:
            _raise_fill_error(pop.name, code, n, int(syn_ptr[n + 1] - syn_ptr[n]), word, lim)
        core_of[pop.name] = out
    return core_of, next_core


def _raise_fan_out_error(pop: str, n: int, fan: np.ndarray, previous: np.ndarray, lim) -> None:
    """A lone neuron sends to more rows than a core has output axons: splitting cannot help."""
    core = int(previous[n])
    total = int(fan[previous == core].sum())
    raise MappingError(
        f"core {core} (population {pop}): {total} output axons exceed chip.limits.output_axons = "
        f"{lim.output_axons}, and neuron {n} of '{pop}' alone sends to {int(fan[n])} synapse rows (one per "
        "projection and destination core); give its targets more neurons per core (fewer destination cores) "
        "or raise the limit")


def _raise_fill_error(pop: str, code: int, n: int, fan_in: int, word: int, lim) -> None:
    if code == _TOO_MANY_BITS:
        raise MappingError(
            f"population '{pop}' neuron {n}: {fan_in} incoming synapses x {word} bits = "
            f"{fan_in * word:,} bits exceed one core's synapse memory ({lim.synapse_memory_bits:,} bits, "
            "chip.limits.synapse_memory_bits); reduce its fan-in or use a chip with more synapse memory")
    if code == _TOO_MANY_ROWS:
        raise MappingError(
            f"population '{pop}' neuron {n}: its {fan_in} incoming synapses come from more distinct "
            f"sources than a core's {lim.input_axons} input axons (chip.limits.input_axons); "
            "reduce its fan-in or raise the limit")


def _fan_out(net: Network, core_of: dict) -> dict:
    """Output axons of every chip neuron: distinct (projection, destination core) of its synapses."""
    fan = {name: np.zeros(arr.size, np.int64) for name, arr in core_of.items()}
    for proj in net.projections:
        if proj.source not in fan or not proj.n_synapses:
            continue
        core = core_of[proj.target][proj.post].astype(np.int64)
        pairs = unique_ints(proj.pre.astype(np.int64) << 32 | core)
        fan[proj.source] += np.bincount(pairs >> 32, minlength=fan[proj.source].size)
    return fan


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
    uniq, inv = unique_inverse(key[order])
    syn_ptr = np.concatenate([[0], np.cumsum(np.bincount(post, minlength=size))]).astype(np.int64)
    return syn_ptr, inv.astype(np.int64), int(uniq.size)


def _core_usage(net: Network, core_of: dict, n_cores: int, word: int):
    bits = np.zeros(n_cores, np.int64)
    rows = np.zeros(n_cores, np.int64)
    for i, proj in enumerate(net.projections):
        core = core_of[proj.target][proj.post]
        bits += np.bincount(core, minlength=n_cores) * word
        rows += np.bincount(unique_ints(core.astype(np.int64) << 32 | proj.pre) >> 32, minlength=n_cores)
    return bits, rows
