"""Structural plasticity: prune the weakest synapses of a plastic projection and regrow as many
at random free positions, every N learning epochs, with the synapse count fixed (docs/structural.md).

It runs on each core between timesteps, as the core's management processor would: after the
learn phase of step ``t`` with ``(t + 1) % (every_epochs * epoch) == 0`` (and only while learning
is on). The simulation stops its chunk there (``Rewirer.cut``), so the chunk size never changes
the result. Each (core, rule) region (the contiguous synapse-list rows of one plastic projection
on one core) is rewired in place inside its slice of synapse memory:

* ``scope: neuron`` (fixed indegree): for every target neuron of the region (ascending local
  index) with ``m`` synapses, the ``k = (m * prune_q + 128) >> 8`` weakest (``|w|`` smallest, ties
  by synapse position; only those with ``|w| < prune_below``, so k may shrink) are pruned, and as
  many sources are drawn for it among the region's rows
  it was not connected to before (when fewer than ``k`` such rows exist: the rows it is not
  connected to after pruning). With ``group`` G > 0 the draw is first restricted to the rows that
  no neuron of the target's group (G consecutive neurons of the target population) reaches:
  before the pass, or grown for the group earlier in the pass; when fewer than ``k`` such rows are
  in the pool, the whole pool is used. The i-th new synapse gets the i-th pruned one's delay (in prune
  order), weight ``initial_weight`` and tag 0. The region is then laid out again, rows in order,
  each row's synapses by ascending target (as the mapper lays them out): the region's size, each
  neuron's indegree and the core's synapse memory never change; row lengths do.
* ``scope: row`` (fixed out-degree): for every row (ascending) with ``m`` synapses, the ``k``
  weakest (with ``|w| < prune_below``) are pruned and each freed slot, in prune order, gets a new target drawn among the
  projection's target neurons on the core that the row did not reach before (fallback: not
  after pruning), weight ``initial_weight`` and tag 0; the slot keeps its delay. Row lengths,
  hence the CSR pointers, never change.

Draws: one per regrown synapse from the core's structural LFSR (xorshift32, ``lfsr_next``, seeded
by ``structural_lfsr_seed(learn_seed, core)``), choosing index ``(s * size) >> 32`` of the pool
(ascending candidates); the chosen entry is replaced by the pool's last one.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import fixed as fx
from .._jit import kernel
from ..fixed import LFSR_BITS, LFSR_MASK, lfsr_next, with_weight, word_weight

#: columns of ``ChipImage.rule_struct`` (one row per rule; period 0: the rule never rewires)
STRUCT_PARAMS = ("period", "prune_q", "initial_weight", "scope", "target_first", "target_size", "prune_below",
                 "group")
PERIOD, PRUNE_Q, W_INIT, SCOPE, TGT_FIRST, TGT_SIZE, PRUNE_BELOW, GROUP = range(8)
SCOPES = ("neuron", "row")                 #: scope codes 0, 1
PRUNE_BITS = 8                             #: prune fraction in units of 2^-8 (prune_q 1..256)
PRUNE_ONE = 1 << PRUNE_BITS
MAX_PERIOD = (1 << 31) - 1                 #: timesteps between rewirings (a 31-bit register)
NO_THRESHOLD = -fx.WEIGHT_MIN + 1          #: prune_below of "no threshold": every |w| (at most 256) is below it
MAX_GROUP = 65535                          #: neurons per regrowth group (a 16-bit register, like a neuron index)


@dataclass(frozen=True)
class StructuralSpec:
    """``plasticity.structural`` of one projection (validated; docs/structural.md)."""
    every_epochs: int                      #: rewire every this many learning epochs
    prune_q: int                           #: prune fraction in units of 2^-8, 1..256
    initial_weight: int                    #: weight mantissa of a regrown synapse
    scope: str = "neuron"                  #: "neuron" (fixed indegree) or "row" (fixed out-degree)
    prune_below: int | None = None         #: only synapses with |w| < prune_below may be pruned (None: any)
    group: int = 0                         #: regrow first where no neuron of the target's group of this size reaches (0: off)

    def __post_init__(self):
        if not 1 <= self.every_epochs <= MAX_PERIOD:
            raise ValueError(f"every_epochs {self.every_epochs} outside 1..{MAX_PERIOD}")
        if not 1 <= self.prune_q <= PRUNE_ONE:
            raise ValueError(f"prune_q {self.prune_q} outside 1..{PRUNE_ONE}")
        if not fx.WEIGHT_MIN <= self.initial_weight <= fx.WEIGHT_MAX:
            raise ValueError(f"initial_weight {self.initial_weight} outside [{fx.WEIGHT_MIN}, {fx.WEIGHT_MAX}]")
        if self.scope not in SCOPES:
            raise ValueError(f"scope {self.scope!r}; valid: {', '.join(SCOPES)}")
        if self.prune_below is not None and not 1 <= self.prune_below <= NO_THRESHOLD:
            raise ValueError(f"prune_below {self.prune_below} outside 1..{NO_THRESHOLD}")
        if not 0 <= self.group <= MAX_GROUP or (self.group and self.scope != "neuron"):
            raise ValueError(f"group {self.group} outside 0..{MAX_GROUP}, or with scope {self.scope!r} (needs neuron)")

    @property
    def prune_fraction(self) -> float:
        return self.prune_q / PRUNE_ONE

    def param_row(self, epoch: int, target_first: int, target_size: int) -> np.ndarray:
        """The ``rule_struct`` row (STRUCT_PARAMS order) of a rule with learning epoch ``epoch``
        whose projection targets global neurons ``target_first .. target_first + target_size - 1``."""
        period = self.every_epochs * epoch
        if period > MAX_PERIOD:
            raise ValueError(f"every_epochs * epoch = {period} timesteps exceeds {MAX_PERIOD}")
        below = NO_THRESHOLD if self.prune_below is None else self.prune_below
        return np.array([period, self.prune_q, self.initial_weight, SCOPES.index(self.scope), target_first,
                         target_size, below, self.group], np.int64)


def structural_spec(raw, path: str, wmin: int, wmax: int, epoch: int = 1) -> StructuralSpec:
    """``plasticity.structural`` -> StructuralSpec, or one ConfigError naming the field:
    ``{every_epochs: N, prune_fraction: f, initial_weight: w, scope: neuron|row, prune_below: W, group: G}``;
    ``wmin``, ``wmax``
    are the rule's weight bounds, ``epoch`` its learning epoch in timesteps."""
    from ..config.schema import choice, get, integer, mapping, number
    from ..errors import ConfigError
    m = mapping(raw, path, ("every_epochs", "prune_fraction", "initial_weight", "scope", "prune_below", "group"),
                required=("every_epochs", "prune_fraction", "initial_weight"))
    every = get(m, "every_epochs", path, integer, lo=1, hi=MAX_PERIOD // epoch)
    frac = get(m, "prune_fraction", path, number, lo=0, hi=1, lo_open=True)
    q = round(frac * PRUNE_ONE)
    if q < 1:
        raise ConfigError(f"{path}.prune_fraction", f"{frac} is below the resolution 1/{PRUNE_ONE} of the "
                                                    "prune register; use at least 0.004")
    w0 = get(m, "initial_weight", path, integer, lo=wmin, hi=wmax)
    scope = get(m, "scope", path, choice, "neuron", options=SCOPES, what="structural scope")
    below = get(m, "prune_below", path, integer, None, lo=1, hi=NO_THRESHOLD - 1)
    group = get(m, "group", path, integer, 0, lo=1, hi=MAX_GROUP)
    if group and scope != "neuron":
        raise ConfigError(f"{path}.group", f"a regrowth group needs scope: neuron (fixed indegree), not {scope!r}")
    return StructuralSpec(every, q, w0, scope, below, group)


def structural_lfsr_seed(seed: int, core: int) -> int:
    """Initial state of ``core``'s structural LFSR: a 32-bit mix of (seed, core), never 0.

    ``s = (((seed + 0x3C6EF372) * 0x2545F491) ^ ((core + 1) * 0x61C88647)) mod 2**32``, 0 -> 1:
    a third mix besides the learning and noise LFSRs', so the three streams of a core are unrelated.
    """
    s = (((int(seed) + 0x3C6EF372) * 0x2545F491) ^ ((int(core) + 1) * 0x61C88647)) & LFSR_MASK
    return s or 1


@kernel
def prune_count(m, prune_q):
    """Synapses pruned from a group of ``m``: ``(m * prune_q + 128) >> 8`` (round half up, at most m)."""
    return (m * prune_q + (PRUNE_ONE >> 1)) >> PRUNE_BITS


class Synapses(NamedTuple):
    """The CSR synapse tables a rewiring changes (in place)."""
    ptr: np.ndarray          #: int64 (rows + 1): axon_syn_ptr
    target: np.ndarray       #: uint16 (synapses): local target neuron
    word: np.ndarray         #: uint16 (synapses): weight | delay << 9 (emulator.fixed.synapse_word)
    tag: np.ndarray          #: int16 (synapses) synaptic tags, or empty (no tag)


# ----------------------------------------------------------------- kernels
@kernel
def _draw_index(lfsr, c, size):
    """Advance core ``c``'s LFSR; an index 0..size-1: ``(s * size) >> 32``."""
    s = lfsr_next(lfsr[c])
    lfsr[c] = s
    return (s * size) >> LFSR_BITS


@kernel
def _weakest(syn, js, k, below):
    """Up to ``k`` synapses of ``js`` with the smallest ``|w|`` (ties by position), weakest first,
    only those with ``|w| < below``."""
    key = np.empty(js.size, np.int64)
    for i in range(js.size):
        key[i] = (abs(word_weight(np.int64(syn.word[js[i]]))) << 32) | js[i]
    order = np.argsort(key)
    n = 0
    while n < k and abs(word_weight(np.int64(syn.word[js[order[n]]]))) < below:
        n += 1
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = js[order[i]]
    return out


@kernel
def _free_pool(used, pruned_used, k, taken, pool):
    """Fill ``pool`` with the candidates ``0 .. taken.size - 1`` (ascending) not in ``used`` (the
    group's partners before pruning), or, when fewer than ``k`` are free, not in ``used`` minus
    ``pruned_used``; return the pool's size. ``taken`` is scratch, all False before and after."""
    for u in used:
        taken[u] = True
    size = _untaken(taken, pool)
    if size < k:                                    # nearly dense: the pruned partners are free again
        for u in pruned_used:
            taken[u] = False
        size = _untaken(taken, pool)
    for u in used:
        taken[u] = False
    return size


@kernel
def _untaken(taken, pool):
    """Write the indices with ``taken`` False to ``pool``, ascending; return how many."""
    size = 0
    for i in range(taken.size):
        if not taken[i]:
            pool[size] = i
            size += 1
    return size


@kernel
def _group_by_target(syn, s0, s1, n_local):
    """(start, order): synapses ``s0 .. s1 - 1`` of local neuron n are ``order[start[n]:start[n + 1]]``,
    in memory order (a stable counting sort by target)."""
    start = np.zeros(n_local + 1, np.int64)
    for j in range(s0, s1):
        start[np.int64(syn.target[j]) + 1] += 1
    for n in range(n_local):
        start[n + 1] += start[n]
    fill = start[:-1].copy()
    order = np.empty(s1 - s0, np.int64)
    for j in range(s0, s1):
        n = np.int64(syn.target[j])
        order[fill[n]] = j
        fill[n] += 1
    return start, order


@kernel
def _spread_pool(pool, size, k, reached):
    """Keep (in order) the pool entries whose ``reached`` is False when at least ``k`` are; the new size."""
    n = 0
    for i in range(size):
        if not reached[pool[i]]:
            n += 1
    if n < k:
        return size
    n = 0
    for i in range(size):
        if not reached[pool[i]]:
            pool[n] = pool[i]
            n += 1
    return n


@kernel
def _rewire_neurons(syn, a_lo, a_hi, n_local, prm, lfsr, c, grp):
    """``scope: neuron`` on the region rows ``a_lo .. a_hi - 1`` (module docstring); ``grp``: the regrowth
    group of each local neuron (-1: none). Returns the count."""
    s0, s1 = syn.ptr[a_lo], syn.ptr[a_hi]
    n_syn, n_rows = s1 - s0, a_hi - a_lo
    prune_q, w0, below = prm[PRUNE_Q], prm[W_INIT], prm[PRUNE_BELOW]
    row_of = np.empty(n_syn, np.int64)
    for a in range(a_lo, a_hi):
        for j in range(syn.ptr[a], syn.ptr[a + 1]):
            row_of[j - s0] = a - a_lo
    start, by_neuron = _group_by_target(syn, s0, s1, n_local)
    n_grp = max(np.int64(0), np.int64(grp.max()) + 1) if grp.size else np.int64(0)
    reached = np.zeros((n_grp, n_rows), np.bool_)          # rows some neuron of the group reaches
    for j in range(s0, s1):
        g = grp[np.int64(syn.target[j])]
        if g >= 0:
            reached[g, row_of[j - s0]] = True
    keep = np.ones(n_syn, np.bool_)
    new_row = np.empty(n_syn, np.int64)
    new_tgt = np.empty(n_syn, np.int64)
    new_word = np.empty(n_syn, np.int64)
    n_new = 0
    taken = np.zeros(n_rows, np.bool_)
    pool = np.empty(n_rows, np.int64)
    for n in range(n_local):
        js = by_neuron[start[n]:start[n + 1]]
        pruned = _weakest(syn, js, prune_count(js.size, prune_q), below)
        k = pruned.size
        if k == 0:
            continue
        size = _free_pool(row_of[js - s0], row_of[pruned - s0], k, taken, pool)
        g = grp[n]
        if g >= 0:
            size = _spread_pool(pool, size, k, reached[g])
        for i in range(k):
            p = _draw_index(lfsr, c, size)
            if g >= 0:
                reached[g, pool[p]] = True
            # the grown synapse takes the pruned one's delay and the initial weight
            new_row[n_new], new_tgt[n_new] = pool[p], n
            new_word[n_new] = with_weight(np.int64(syn.word[pruned[i]]), w0)
            n_new += 1
            pool[p] = pool[size - 1]
            size -= 1
            keep[pruned[i] - s0] = False
    if n_new == 0:
        return 0
    # lay the region out again: survivors and new synapses, by (row, target)
    key = np.empty(n_syn, np.int64)
    word = np.empty(n_syn, np.int64)
    tg = np.zeros(n_syn, np.int64)
    has_tag = syn.tag.size > 0
    i = 0
    for j in range(s0, s1):
        if keep[j - s0]:
            key[i] = row_of[j - s0] * n_local + np.int64(syn.target[j])
            word[i] = syn.word[j]
            if has_tag:
                tg[i] = syn.tag[j]
            i += 1
    for q in range(n_new):
        key[i], word[i], tg[i] = new_row[q] * n_local + new_tgt[q], new_word[q], 0
        i += 1
    order = np.argsort(key)
    counts = np.zeros(n_rows, np.int64)
    for i in range(n_syn):
        o = order[i]
        r = key[o] // n_local
        counts[r] += 1
        syn.target[s0 + i] = key[o] - r * n_local
        syn.word[s0 + i] = word[o]
        if has_tag:
            syn.tag[s0 + i] = tg[o]
    for r in range(n_rows - 1):
        syn.ptr[a_lo + r + 1] = syn.ptr[a_lo + r] + counts[r]
    return n_new


@kernel
def _rewire_rows(syn, a_lo, a_hi, t_lo, t_hi, prm, lfsr, c):
    """``scope: row`` on rows ``a_lo .. a_hi - 1``; candidate targets are local neurons
    ``t_lo .. t_hi - 1`` (module docstring). Returns the count."""
    prune_q, w0, below = prm[PRUNE_Q], prm[W_INIT], prm[PRUNE_BELOW]
    n_cand = t_hi - t_lo
    taken = np.zeros(n_cand, np.bool_)
    pool = np.empty(n_cand, np.int64)
    has_tag = syn.tag.size > 0
    total = 0
    for a in range(a_lo, a_hi):
        js = np.arange(syn.ptr[a], syn.ptr[a + 1])
        pruned = _weakest(syn, js, prune_count(js.size, prune_q), below)
        k = pruned.size
        if k == 0:
            continue
        size = _free_pool(syn.target[js].astype(np.int64) - t_lo, syn.target[pruned].astype(np.int64) - t_lo, k,
                          taken, pool)
        for i in range(k):
            p = _draw_index(lfsr, c, size)
            j = pruned[i]
            syn.target[j] = t_lo + pool[p]
            syn.word[j] = with_weight(np.int64(syn.word[j]), w0)     # the slot keeps its delay
            if has_tag:
                syn.tag[j] = 0
            pool[p] = pool[size - 1]
            size -= 1
        total += k
    return total


# ----------------------------------------------------------------- public wrapper
def rewire(syn: Synapses, rows: tuple[int, int], prm: np.ndarray, lfsr: np.ndarray, core: int,
           neurons: int, targets: tuple[int, int] | None = None, first_neuron: int = 0) -> int:
    """Rewire the region ``rows = (a_lo, a_hi)`` of ``core`` in place; return the synapses rewired.

    ``prm``: a ``rule_struct`` row (STRUCT_PARAMS); ``lfsr``: int64 per-core LFSR states (core's
    advanced); ``neurons``: the core's neuron count (local targets are below it); ``targets``:
    (first, end) local candidate targets of ``scope: row`` (default: every neuron of the core);
    ``first_neuron``: the global id of the core's local neuron 0 (for ``group``: local neuron n is in
    group ``(first_neuron + n - target_first) // group`` when inside the target population).
    Raises ValueError for inconsistent tables (what a chip's loader would refuse).
    """
    prm = np.asarray(prm, np.int64)
    if prm.shape != (len(STRUCT_PARAMS),):
        raise ValueError(f"prm must have {len(STRUCT_PARAMS)} entries {STRUCT_PARAMS}, got shape {prm.shape}")
    if not 1 <= prm[PRUNE_Q] <= PRUNE_ONE or not fx.WEIGHT_MIN <= prm[W_INIT] <= fx.WEIGHT_MAX \
            or not 0 <= prm[SCOPE] < len(SCOPES) or not 1 <= prm[PRUNE_BELOW] <= NO_THRESHOLD \
            or not 0 <= prm[GROUP] <= MAX_GROUP or (prm[GROUP] and prm[SCOPE] != 0):
        raise ValueError(f"invalid structural parameters {dict(zip(STRUCT_PARAMS, prm.tolist()))}")
    for name, arr, dt in (("ptr", syn.ptr, np.int64), ("target", syn.target, np.uint16),
                          ("word", syn.word, np.uint16), ("tag", syn.tag, np.int16)):
        if arr.dtype != dt or arr.ndim != 1:
            raise ValueError(f"synapse table {name} must be 1-d {np.dtype(dt).name}, got {arr.ndim}-d {arr.dtype}")
    a_lo, a_hi = int(rows[0]), int(rows[1])
    if not 0 <= a_lo <= a_hi < syn.ptr.size:
        raise ValueError(f"rows {a_lo}..{a_hi} outside the {syn.ptr.size - 1} rows of the table")
    n = syn.target.size
    if syn.word.size != n or syn.tag.size not in (0, n) or syn.ptr[-1] != n:
        raise ValueError("synapse tables of unequal lengths (target, word, tag, ptr[-1])")
    ptr = syn.ptr[a_lo:a_hi + 1]
    if np.any(np.diff(ptr) < 0):
        raise ValueError("axon_syn_ptr decreases inside the region")
    if lfsr.dtype != np.int64 or not 0 <= core < lfsr.size or not 0 < lfsr[core] <= LFSR_MASK:
        raise ValueError(f"lfsr must be int64 with a non-zero 32-bit state for core {core}")
    tgt = syn.target[ptr[0]:ptr[-1]].astype(np.int64)
    if tgt.size and tgt.max() >= neurons:
        raise ValueError(f"a synapse targets local neuron {int(tgt.max())}, but the core has {neurons}")
    row = np.repeat(np.arange(a_hi - a_lo), np.diff(ptr))
    if np.unique(row * max(neurons, 1) + tgt).size != tgt.size:
        raise ValueError("structural plasticity needs at most one synapse per (source row, target) pair; "
                         "this region has duplicates")
    if prm[SCOPE] == 0:
        grp = np.full(neurons, -1, np.int64)
        if prm[GROUP]:
            rel = first_neuron + np.arange(neurons, dtype=np.int64) - prm[TGT_FIRST]
            inside = (rel >= 0) & (rel < prm[TGT_SIZE])
            grp[inside] = rel[inside] // prm[GROUP]
        return int(_rewire_neurons(syn, a_lo, a_hi, neurons, prm, lfsr, core, grp))
    t_lo, t_hi = targets if targets is not None else (0, neurons)
    if not 0 <= t_lo <= t_hi <= neurons or (tgt.size and (tgt.min() < t_lo or tgt.max() >= t_hi)):
        raise ValueError(f"candidate targets {t_lo}..{t_hi} must hold every target of the region")
    return int(_rewire_rows(syn, a_lo, a_hi, t_lo, t_hi, prm, lfsr, core))


# ----------------------------------------------------------------- the simulation's rewiring unit
class Rewirer:
    """The rewiring of one Simulation: its regions, per-core LFSRs and counters.

    Made by ``attach`` (which gives the simulation its own copy of the synapse tables it changes);
    ``Simulation.run`` asks ``cut`` where a chunk must end and calls ``after_chunk`` after each chunk.
    """

    def __init__(self, image):
        rs = image.rule_struct
        if rs.shape[1] < len(STRUCT_PARAMS):        # an image saved before a column was added: 0 (off)
            rs = np.pad(rs, ((0, 0), (0, len(STRUCT_PARAMS) - rs.shape[1])))
        self.period = rs[:, PERIOD].astype(np.int64)
        self.prm = rs.astype(np.int64)
        self.regions = []            # (core, rule, a_lo, a_hi, t_lo, t_hi)
        axon_core = image.axon_core
        for r in np.flatnonzero(self.period > 0):
            rows = np.flatnonzero(image.axon_rule == r)
            for c in np.unique(axon_core[rows]):
                mine = rows[axon_core[rows] == c]
                if mine[-1] - mine[0] + 1 != mine.size:
                    raise ValueError(f"rule {r} ({image.rule_names[r] if r < len(image.rule_names) else r}): its rows "
                                     f"on core {c} are not contiguous; structural plasticity rewires one region")
                first, size = int(rs[r, TGT_FIRST]), int(rs[r, TGT_SIZE])
                lo = max(first, int(image.neuron_ptr[c])) - int(image.neuron_ptr[c])
                hi = min(first + size, int(image.neuron_ptr[c + 1])) - int(image.neuron_ptr[c])
                self.regions.append((int(c), int(r), int(mine[0]), int(mine[-1]) + 1, lo, max(lo, hi)))
        self.lfsr = np.array([structural_lfsr_seed(image.learn_seed, c) for c in range(image.n_cores)], np.int64)
        self.rewired = np.zeros(image.n_cores, np.int64)     #: synapses pruned (= regrown) per core
        self.scanned = np.zeros(image.n_cores, np.int64)     #: synapses visited per core
        self.events = np.zeros(image.n_cores, np.int64)      #: rewiring passes per core
        self.history = []            #: (step count after which it ran, synapses rewired on the chip)
        self.wall_s = 0.0            #: host time spent rewiring (seconds)

    def cut(self, t0: int, t1: int) -> int:
        """End of a chunk starting at ``t0``: ``t1`` or the first rewiring boundary before it."""
        for p in self.period[self.period > 0]:
            t1 = min(t1, (t0 // p + 1) * p)
        return int(t1)

    def after_chunk(self, sim) -> None:
        """Rewire every region whose period divides ``sim.t`` (steps run), when learning is on."""
        t = sim.t
        if t == 0 or sim.tables.rule_prog.shape[0] == 0:
            return
        start = time.perf_counter()
        syn = Synapses(sim.tables.axon_syn_ptr, sim.tables.syn_target, sim.tables.syn_word, sim.buffers.tag)
        neuron_ptr = sim.image.neuron_ptr
        total = 0
        ran = False
        for c, r, a_lo, a_hi, t_lo, t_hi in self.regions:
            if t % self.period[r]:
                continue
            n = rewire(syn, (a_lo, a_hi), self.prm[r], self.lfsr, c, int(neuron_ptr[c + 1] - neuron_ptr[c]),
                       (t_lo, t_hi), int(neuron_ptr[c]))
            self.rewired[c] += n
            self.scanned[c] += syn.ptr[a_hi] - syn.ptr[a_lo]
            self.events[c] += 1
            total += n
            ran = True
        if ran:
            self.history.append((int(t), int(total)))
        self.wall_s += time.perf_counter() - start

    def summary(self, chip=None) -> dict:
        """Counts, and the work priced like the learning engine's (an estimate, docs/structural.md)."""
        out = {"rewired_synapses": int(self.rewired.sum()), "scanned_synapses": int(self.scanned.sum()),
               "rewiring_passes": int(self.events.sum()), "wall_s": self.wall_s,
               "history": [list(h) for h in self.history]}
        if chip is not None:
            out["cycles"] = int(chip.cycles.learn_epoch * self.events.sum()
                                + chip.cycles.learn_synapse * (self.scanned.sum() + self.rewired.sum()))
            out["energy_pj"] = float(chip.energy.learn_update_pj * (self.scanned.sum() + self.rewired.sum()))
        return out

    def state_arrays(self, sim) -> dict:
        """What a checkpoint keeps: the rewired tables (the synapse words, delays included, are the
        simulation's own), the LFSRs and the counters."""
        return {"struct_ptr": sim.tables.axon_syn_ptr, "struct_target": sim.tables.syn_target, "struct_lfsr": self.lfsr,
                "struct_counts": np.stack([self.rewired, self.scanned, self.events]),
                "struct_history": np.array(self.history, np.int64).reshape(-1, 2)}

    def load_state(self, sim, z) -> None:
        sim.tables.axon_syn_ptr[:] = z["struct_ptr"]
        sim.tables.syn_target[:] = z["struct_target"]
        self.lfsr[:] = z["struct_lfsr"]
        self.rewired[:], self.scanned[:], self.events[:] = z["struct_counts"]
        self.history = [tuple(int(v) for v in h) for h in z["struct_history"]]


def _warm_up() -> None:
    """Compile (or load from the cache) both rewiring kernels on a 2-synapse table, so that the
    first rewiring pass of a run does not pay for it."""
    for scope in range(len(SCOPES)):
        syn = Synapses(np.array([0, 2], np.int64), np.array([0, 1], np.uint16), np.zeros(2, np.uint16),
                       np.zeros(0, np.int16))
        rewire(syn, (0, 1), np.array([1, PRUNE_ONE, 0, scope, 0, 3, NO_THRESHOLD, 0], np.int64),
               np.array([1], np.int64), 0, 3)


def attach(sim) -> Rewirer | None:
    """The Rewirer of ``sim`` (None when no rule rewires); gives ``sim`` its own copies of the
    tables a rewiring changes (the image keeps the mapped ones; the synapse words of a plastic
    image are the simulation's own already)."""
    image = sim.image
    rs = getattr(image, "rule_struct", None)
    if rs is None or rs.shape[0] == 0 or not np.any(rs[:, PERIOD] > 0):
        return None
    rw = Rewirer(image)
    _warm_up()
    tb = sim.tables
    sim.tables = tb._replace(axon_syn_ptr=tb.axon_syn_ptr.copy(), syn_target=tb.syn_target.copy())
    return rw


def synapse_matrix(sim, source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """(weights, connected): int64 and bool (source size, target size) matrices of the synapses
    from ``source`` to ``target`` now, read from the simulation's (possibly rewired) tables."""
    from .tasks import dense_weights
    w = dense_weights(sim.image, sim.weights, source, target, sim.tables)
    conn = dense_weights(sim.image, np.ones(sim.weights.size, np.int64), source, target, sim.tables) > 0
    return w, conn


def rule_struct_row(spec, target_first: int, target_size: int) -> np.ndarray:
    """The ``rule_struct`` row of a plastic projection's LearningSpec (all 0 without rewiring)."""
    st = getattr(spec, "structural", None)
    if st is None:
        return np.zeros(len(STRUCT_PARAMS), np.int64)
    return st.param_row(spec.epoch, target_first, target_size)
