"""Numba kernels of one barrier-synchronous timestep.

Work per timestep is ``O(spikes x fan-out)`` for delivery and ``O(neurons)``
for the neuron update, which the hardware also performs every timestep.
Kernels take a few named tuples of arrays (struct of arrays), never objects.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numba import prange

from .._jit import parallel_kernel, step_kernel
from .fanout import WORD_SHIFT
from .sync import barrier, prefetch
from ..fixed import weight_contribution, word_delay, word_weight
from ..learning.kernels import learn_core, mark_pre
from ..neurons.kernels import collect_spikes, update_range

# per-core, per-timestep counters (last axis of Recorder.counters)
(AXON_EVENTS, SYNOPS, NEURON_UPDATES, SPIKES, PACKETS, HOPS, LEARN_SYNAPSES, TRACE_UPDATES, LEARN_EPOCHS,
 DENDRITE_UPDATES) = range(10)
COUNTER_NAMES = ("axon_events", "synops", "neuron_updates", "spikes", "packets", "hops",
                 "learn_synapses", "trace_updates", "learn_epochs", "dendrite_updates")
PROBE_VARS = ("u", "v", "th", "u_inh")
#: int64 words a core's counters of one step occupy (two cache lines): the recorder keeps its
#: counters in (steps, cores, COUNTER_STRIDE), the first len(COUNTER_NAMES) of each row used,
#: so no two cores share a line and the two workers of neighbouring cores never write one
#: line (a shared line cost ~1 us of every ~3 us step at CUBA 4k on two threads)
COUNTER_STRIDE = 16


def used_counters(counters: np.ndarray) -> np.ndarray:
    """A recorder's counters without the padding of COUNTER_STRIDE: (steps, cores, len(COUNTER_NAMES))."""
    return counters[..., :len(COUNTER_NAMES)]


#: int64 words per cache line: a group's own scalars (packet count, recorder fill) get a
#: line each, or the threads would pass one line back and forth every timestep
LINE = 8


class Tables(NamedTuple):
    """Read-only routing and synapse tables of a ChipImage."""
    neuron_ptr: np.ndarray
    axon_core: np.ndarray    #: int32 (n_axons): core of each input axon
    axon_syn_ptr: np.ndarray
    axon_exp: np.ndarray
    axon_port: np.ndarray
    syn_target: np.ndarray
    syn_word: np.ndarray     #: uint16 (n_synapses): weight | delay << 9 (emulator.fixed.synapse_word)
    out_ptr: np.ndarray
    out_axon: np.ndarray
    out_hops: np.ndarray
    host_out_ptr: np.ndarray
    host_out_axon: np.ndarray
    core_group: np.ndarray   #: int64 (n_cores): thread group that emulates each core
    group_ptr: np.ndarray    #: int64 (groups + 1): cores of group g are group_ptr[g] .. group_ptr[g+1]-1
    core_spec: np.ndarray    #: int64 (n_cores): neuron-loop specialization (neurons.kernels.core_specialization)
    core_run: np.ndarray     #: int64 (n_cores): neighbours with equal ids update in one loop (neurons.kernels.core_runs)
    core_uniform: np.ndarray #: int64 (n_cores): 1 when the core's neurons share every register
    # learning engine (emulator.learning; the Simulation's own copy of syn_word is written by it)
    axon_ptr: np.ndarray     #: int64 (n_cores + 1): input-axon rows of each core
    axon_rule: np.ndarray    #: int16 (n_axons): rule of a plastic row, -1 static
    neuron_rule: np.ndarray  #: int16 (n_neurons): rule whose post-trace parameters a neuron uses, -1 none
    rule_prog: np.ndarray    #: int32 (rules, MAX_TERMS, TERM_WORDS): encoded rule programs
    rule_param: np.ndarray   #: int32 (rules, 13): learning.kernels.RULE_PARAMS
    core_dend: np.ndarray    #: int64 (n_cores): two-compartment neurons of each core (their dendrite updates)
    tag_prog: np.ndarray     #: int32 (rules, MAX_TERMS, TERM_WORDS): tag (eligibility) programs, all 0: none
    # source-major delivery tables (static images; fields of engine/fanout.Fanout), fan_ptr.shape[0] 1: none
    fan_ptr: np.ndarray
    fan_target: np.ndarray
    fan_word: np.ndarray
    fan_ent_ptr: np.ndarray
    fan_ent_core: np.ndarray
    fan_ent_len: np.ndarray


class NeuronState(NamedTuple):
    u: np.ndarray
    u_inh: np.ndarray
    v: np.ndarray
    th: np.ndarray
    ref: np.ndarray


class Buffers(NamedTuple):
    """Dendritic accumulator rings (slots x neurons) and the spikes of the last timestep."""
    acc: np.ndarray          #: int32 (ring, n): exc port
    acc_inh: np.ndarray      #: int32 (ring, n) or (1, 1) when no neuron has an inh port
    pending: np.ndarray      #: int32 (2, n): spikes of the steps of parity 0 / 1; group g's in its neuron range
    n_pending: np.ndarray    #: int64 (2, groups, LINE): [q, g, 0]: how many group g emitted in the step of parity q
    fired: np.ndarray        #: uint8 (n rounded up to 8): this step's spike flags
    xtr: np.ndarray          #: int32 (n_axons, 4): per row: spike this step, x0, x1, x2 (learning)
    ytr: np.ndarray          #: int32 (n_neurons, 4): per neuron: y0, y1, y2, y3 (learning)
    reward: np.ndarray       #: int32 (n_neurons): third factor r of each neuron (learning)
    lfsr: np.ndarray         #: int64 (n_cores): each core's learning LFSR state
    noise_lfsr: np.ndarray   #: int64 (n_cores): each core's neuron-noise LFSR state
    tag: np.ndarray          #: int16 (n_synapses, or 0 without tag programs): synaptic tags t (learning)
    learn_vals: np.ndarray   #: int64 (n_cores, N_CODES): scratch of the learn phase, rule variable values
    learn_gate: np.ndarray   #: int8 (n_cores, rules, 2, 2): scratch of the learn phase, rule_gates


class Recorder(NamedTuple):
    """What a chunk records; group g appends its spikes to its own segment of the spike arrays."""
    spike_t: np.ndarray      #: int64 (capacity,)
    spike_id: np.ndarray     #: int32 (capacity,)
    n_rec: np.ndarray        #: int64 (groups, LINE): [g, 0]: spikes in group g's segment
    rec_ptr: np.ndarray      #: int64 (groups + 1): group g's segment is rec_ptr[g] .. rec_ptr[g+1]-1
    room: np.ndarray         #: int64 (2, groups, LINE): [q, g, 0] 1 when group g's segment holds another step
    probe_ids: np.ndarray    #: int64 (n_probe,)
    probe_vals: np.ndarray   #: int32 (chunk, n_probe, 4): PROBE_VARS after the update
    counters: np.ndarray     #: int64 (chunk, n_cores, COUNTER_STRIDE): [..., :len(COUNTER_NAMES)] used


@step_kernel
def _deliver_axon(t, a, tb, buf, cnt):
    """One input-axon event on core ``axon_core[a]``: accumulate its synapse row into the ring."""
    mask = buf.acc.shape[0] - 1
    c = tb.axon_core[a]
    base = tb.neuron_ptr[c]
    exp = np.int64(tb.axon_exp[a])
    bank = buf.acc_inh if tb.axon_port[a] else buf.acc
    lo, hi = tb.axon_syn_ptr[a], tb.axon_syn_ptr[a + 1]
    cnt[c, AXON_EVENTS] += 1
    cnt[c, SYNOPS] += hi - lo
    for j in range(lo, hi):
        word = np.int64(tb.syn_word[j])
        # a spike of step t-1 with delay d is consumed by the update of step t + d
        slot = (t + word_delay(word)) & mask
        bank[slot, base + np.int64(tb.syn_target[j])] += weight_contribution(word_weight(word), exp)


@step_kernel
def _deliver_source(t, s, g, tb, buf, cnt):
    """Every event of one spike of source ``s`` on group ``g``'s cores, from the
    source-major tables: the counters per output entry, then the group's synapses."""
    for e in range(tb.fan_ent_ptr[s], tb.fan_ent_ptr[s + 1]):
        c = tb.fan_ent_core[e]
        if tb.core_group[c] == g:
            cnt[c, AXON_EVENTS] += 1
            cnt[c, SYNOPS] += tb.fan_ent_len[e]
    mask = buf.acc.shape[0] - 1
    for j in range(tb.fan_ptr[s, g], tb.fan_ptr[s, g + 1]):
        n = tb.fan_target[j]
        w = tb.fan_word[j]
        slot = (t + ((w >> 1) & ((1 << (WORD_SHIFT - 1)) - 1))) & mask
        if w & 1:
            buf.acc_inh[slot, n] += w >> WORD_SHIFT
        else:
            buf.acc[slot, n] += w >> WORD_SHIFT


@step_kernel
def deliver(t, g, tb, buf, host_ids, cnt):
    """Phase 1 for the cores of thread group ``g``: route the spikes of step t-1
    (chip neurons in core order, then host sources) to those of their axons that live there.

    Every group scans all packets and keeps its own, so groups never write the
    same accumulator or counter and need no locks. Static images read the
    source-major tables (``tb.fan_*``), plastic ones the per-core rows.
    """
    q = (t - 1) & 1
    source_major = tb.fan_ptr.shape[0] > 1
    if source_major:
        # each spike's synapse list is a random place in a table larger than L2: ask for all of
        # their first lines before walking any, so the misses overlap instead of queueing
        for src in range(tb.group_ptr.size - 1):
            base = tb.neuron_ptr[tb.group_ptr[src]]
            for i in range(buf.n_pending[q, src, 0]):
                j = tb.fan_ptr[np.int64(buf.pending[q, base + i]), g]
                prefetch(tb.fan_target, j)
                prefetch(tb.fan_word, j)
    for src in range(tb.group_ptr.size - 1):
        base = tb.neuron_ptr[tb.group_ptr[src]]
        for i in range(buf.n_pending[q, src, 0]):
            n = np.int64(buf.pending[q, base + i])
            if source_major:
                _deliver_source(t, n, g, tb, buf, cnt)
            else:
                _deliver_rows(t, g, tb.out_axon[tb.out_ptr[n]:tb.out_ptr[n + 1]], tb, buf, cnt)
    n_neurons = tb.neuron_ptr[-1]
    for h in host_ids:
        if source_major:
            _deliver_source(t, n_neurons + h, g, tb, buf, cnt)
        else:
            _deliver_rows(t, g, tb.host_out_axon[tb.host_out_ptr[h]:tb.host_out_ptr[h + 1]], tb, buf, cnt)


@step_kernel
def _deliver_rows(t, g, axons, tb, buf, cnt):
    """The per-core path for one spike: each of its packets (input ``axons``) that lands on
    group ``g``'s cores delivers its synapse row."""
    for a in axons:
        if tb.core_group[tb.axon_core[a]] == g:
            _deliver_axon(t, a, tb, buf, cnt)


@step_kernel
def update(t, g, tb, p, s, buf, cnt):
    """Phase 2 for the cores of group ``g``: every neuron consumes ring slot t
    and steps; spike flags go to ``buf.fired``, and the ids of the neurons that spiked,
    core by core (the order a sequential core emits them), become next step's packets
    (``pending``, this step's parity, the group's neuron range; ``emit`` counts them).

    Neighbouring cores of one run (same plain specialization and, when uniform, the
    same registers: ``core_runs``) are one loop (a core's neurons are contiguous ids):
    the loop's setup is paid once, not per core. GENERIC cores run alone, each with
    its own noise LFSR. The loop counts its spikes: a silent run's flags are not read
    again (most cores are silent in most timesteps)."""
    slot = t & (buf.acc.shape[0] - 1)
    q = t & 1
    c, end = tb.group_ptr[g], tb.group_ptr[g + 1]
    base = tb.neuron_ptr[c]
    n_sp = base
    while c < end:
        spec = tb.core_spec[c]
        last = c + 1
        while last < end and tb.core_run[last] == tb.core_run[c]:
            last += 1
        spiked = update_range(tb.neuron_ptr[c], tb.neuron_ptr[last], slot, buf.acc, buf.acc_inh, p, s, buf.fired,
                              spec, tb.core_uniform[c], buf.noise_lfsr, c)
        for k in range(c, last):
            cnt[k, NEURON_UPDATES] += tb.neuron_ptr[k + 1] - tb.neuron_ptr[k]
            cnt[k, DENDRITE_UPDATES] += tb.core_dend[k]
            if spiked:
                first = n_sp
                n_sp = collect_spikes(tb.neuron_ptr[k], tb.neuron_ptr[k + 1], buf.fired, buf.pending[q], n_sp)
                cnt[k, SPIKES] += n_sp - first
        c = last
    buf.n_pending[q, g, 0] = n_sp - base


@step_kernel
def learn(t, g, tb, buf, host_ids, cnt):
    """Phase 3 for the cores of group ``g``: traces every step, weight updates on
    learning-epoch boundaries (``emulator.learning.kernels``). Pre traces live per
    input-axon row on the row's core, post traces per neuron: a group touches only
    its own cores' rows, neurons, weights and LFSRs."""
    if tb.rule_prog.shape[0] == 0:
        return
    mark_pre(t, g, tb, buf, host_ids)
    for c in range(tb.group_ptr[g], tb.group_ptr[g + 1]):
        n_syn, n_tr, n_ep = learn_core(t, c, tb, buf)
        cnt[c, LEARN_SYNAPSES] += n_syn
        cnt[c, TRACE_UPDATES] += n_tr
        cnt[c, LEARN_EPOCHS] += n_ep


@step_kernel
def emit(t, g, tb, buf, cnt):
    """End of the update phase of group ``g``: count the packets and hops of its cores'
    spikes of step t (collected by ``update`` into ``pending``, core by core)."""
    q = t & 1
    lo = tb.neuron_ptr[tb.group_ptr[g]]
    for c in range(tb.group_ptr[g], tb.group_ptr[g + 1]):
        hi = lo + cnt[c, SPIKES]
        for i in range(lo, hi):
            n = buf.pending[q, i]
            cnt[c, PACKETS] += tb.out_ptr[n + 1] - tb.out_ptr[n]
            for e in range(tb.out_ptr[n], tb.out_ptr[n + 1]):
                cnt[c, HOPS] += tb.out_hops[e]
        lo = hi


@step_kernel
def record(t, k, g, tb, s, buf, rec):
    """Append group ``g``'s spikes of step t to its recorder segment, record the probed
    neurons of its cores, and say whether the segment holds another step."""
    q = t & 1
    lo, hi = tb.neuron_ptr[tb.group_ptr[g]], tb.neuron_ptr[tb.group_ptr[g + 1]]
    r = rec.rec_ptr[g] + rec.n_rec[g, 0]
    m = buf.n_pending[q, g, 0]
    for i in range(m):
        rec.spike_t[r + i] = t
        rec.spike_id[r + i] = buf.pending[q, lo + i]
    rec.n_rec[g, 0] += m
    for j in range(rec.probe_ids.size):
        n = rec.probe_ids[j]
        if lo <= n < hi:
            rec.probe_vals[k, j, 0] = s.u[n]
            rec.probe_vals[k, j, 1] = s.v[n]
            rec.probe_vals[k, j, 2] = s.th[n]
            rec.probe_vals[k, j, 3] = s.u_inh[n]
    # a group emits at most one spike per neuron and step
    rec.room[q, g, 0] = 1 if r + m + (hi - lo) <= rec.rec_ptr[g + 1] else 0


@step_kernel
def group_step(t, k, g, tb, p, s, buf, host_ids, rec):
    """What the cores of group ``g`` do in timestep ``t`` (row ``k`` of the chunk's
    recorder), phases in order:

    1. deliver -- spikes emitted at t-1 reach their input axons; each synapse
       adds ``w << (6 + exp)`` to ring slot ``t + delay`` of its target
    2. update  -- every neuron consumes ring slot ``t``, updates u, v (and th)
       and raises its spike flag
    3. learn   -- traces of plastic rows and learning neurons; on learning-epoch
       boundaries the rule programs update the plastic weights
    4. emit    -- the spikes become next step's packets, and are recorded
    Groups touch disjoint cores and write disjoint parts of every buffer, so they
    may run in parallel; step t's packets are read only after the barrier.
    """
    cnt = rec.counters[k]
    deliver(t, g, tb, buf, host_ids, cnt)
    update(t, g, tb, p, s, buf, cnt)
    learn(t, g, tb, buf, host_ids, cnt)
    emit(t, g, tb, buf, cnt)
    record(t, k, g, tb, s, buf, rec)


@step_kernel
def has_room(t, rec):
    """Every group's recorder segment holds step t (as their ``record`` of t-1 found)."""
    q = (t - 1) & 1
    for g in range(rec.room.shape[1]):
        if rec.room[q, g, 0] == 0:
            return False
    return True


@step_kernel
def run_chunk(t0, t1, tb, p, s, buf, host_ptr, host_ids, rec, sync):
    """Run steps ``t0 .. t1-1`` on one thread, the groups one after the other; return the
    first step not run (< t1 when a recorder segment is full).

    ``host_ptr[k] .. host_ptr[k+1]`` index the host spikes emitted at step ``t0 + k - 1``.
    ``sync`` is unused here (the parallel kernel's barrier).
    """
    for t in range(t0, t1):
        if not has_room(t, rec):
            return t
        k = t - t0
        for g in range(tb.group_ptr.size - 1):
            group_step(t, k, g, tb, p, s, buf, host_ids[host_ptr[k]:host_ptr[k + 1]], rec)
    return t1


@step_kernel
def group_arrays(g, s, buf, states, rings, flags):
    """Worker ``g``'s NeuronState and Buffers: its own state fields, accumulator rings and spike
    flags (``workers.WorkerArrays``), every other buffer shared."""
    f = 5 * g
    own_s = NeuronState(states[f], states[f + 1], states[f + 2], states[f + 3], states[f + 4])
    own_buf = Buffers(rings[2 * g], rings[2 * g + 1], buf.pending, buf.n_pending, flags[g], buf.xtr, buf.ytr,
                      buf.reward, buf.lfsr, buf.noise_lfsr, buf.tag, buf.learn_vals, buf.learn_gate)
    return own_s, own_buf


@parallel_kernel
def run_chunk_parallel(t0, t1, tb, p, s, buf, host_ptr, host_ids, rec, sync, states, rings, flags):
    """``run_chunk`` with one worker thread per group for the whole chunk: each runs its group's
    steps on its own neuron arrays (``group_arrays``) and meets the others at a spin barrier
    after every step (``sync.barrier`` on ``sync[0]``, zeroed by the caller; ``sync[1] = t1`` on
    entry, the step where the workers stopped on exit). Every worker takes the same stop
    decision: it reads the recorders' room flags of step t-1, written before the last barrier."""
    n_groups = tb.group_ptr.size - 1
    for g in prange(n_groups):
        own_s, own_buf = group_arrays(g, s, buf, states, rings, flags)
        for t in range(t0, t1):
            if not has_room(t, rec):
                if g == 0:
                    sync[1] = t
                break
            k = t - t0
            group_step(t, k, g, tb, p, own_s, own_buf, host_ids[host_ptr[k]:host_ptr[k + 1]], rec)
            barrier(sync, n_groups, k)
    return sync[1]
