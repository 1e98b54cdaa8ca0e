"""Numba kernels of the learn phase (phase 3 of a timestep, docs/learning.md).

Per core ``c`` and timestep ``t``, after the neuron update, in this order:

1. pre traces: for every plastic input-axon row ``a`` of the core (in row order),
   ``x0 |= spiked``, ``x1 = trace_step(x1, ...)``, ``x2 = trace_step(x2, ...)``;
   a row "spiked" at step t when a packet reached it at step t (emitted at t-1)
2. post traces: for every learning neuron ``n`` of the core (in id order),
   ``y0 |= fired``, then y1, y2, y3
3. on the epoch boundary of a row's rule (``(t + 1) % epoch == 0``): every synapse of
   the row, in synapse order, evaluates the rule's weight program and (when the rule has
   one) its tag program on the same values (x*, y*, r, the old w and the old tag t), then
   ``w = clamp(w + dw, wmin, wmax)`` and ``t = clamp(t + dt, TAG_MIN, TAG_MAX)``; then the
   row's x0 is cleared; after every row, the y0 of neurons on their epoch boundary are cleared

Random bits come from the core's LFSR, advanced once per draw, only where a draw
changes the result: a decay of a non-zero trace (12 bits) and the rounding of a
dw (then dt) accumulator with a non-zero fraction (8 bits). The order of draws is the
order above, so a run is reproducible from the seed.

A synapse whose programs are zero for certain (every term has an x0 or y0 factor that is 0,
e.g. the competitive rule at a neuron that did not spike) is not evaluated: its accumulators
would be 0, with no draw, and its weight is already inside the bounds (the mapper clamps the
initial weights of plastic synapses; the learn phase keeps them there). This changes no bit,
only the emulator's speed; the counters still count every plastic synapse of the row, as
the hardware visits them all.
"""
from __future__ import annotations

import numpy as np

from .._jit import kernel
from ..fixed import with_weight, word_weight
from .fixed import ACC_FRAC_BITS, LFSR_BITS, apply_dt, apply_dw, lfsr_next, round_dw, trace_step
from .rules import MAX_FACTORS

# columns of rule_param (one row per rule)
EPOCH, WMIN, WMAX, X1_DECAY, X1_IMP, X2_DECAY, X2_IMP, Y1_DECAY, Y1_IMP, Y2_DECAY, Y2_IMP, Y3_DECAY, Y3_IMP = range(13)
RULE_PARAMS = ("epoch", "wmin", "wmax", "x1_decay", "x1_impulse", "x2_decay", "x2_impulse", "y1_decay",
               "y1_impulse", "y2_decay", "y2_impulse", "y3_decay", "y3_impulse")
# columns of the pre-trace table xtr (per input-axon row) and the post-trace table ytr (per neuron)
X_SPIKE, X0, X1, X2 = range(4)
Y0, Y1, Y2, Y3 = range(4)
# codes of rule variables (emulator.learning.rules.VAR_CODE): 0 = constant 1
V_ONE, V_X0, V_X1, V_X2, V_Y0, V_Y1, V_Y2, V_Y3, V_W, V_R, V_T = range(11)
N_CODES = 11


@kernel
def rule_acc(prog, vals):
    """The rule's dw accumulator: ``sum_terms const * prod(vals[codes]) << (8 + exp)`` (int64, exact).

    ``prog``: one rule's program (terms, TERM_WORDS); ``vals``: int64 (N_CODES,) variable values by code.
    A row with const 0 contributes nothing (unused program rows).
    """
    acc = np.int64(0)
    for i in range(prog.shape[0]):
        p = np.int64(prog[i, 0])
        if p == 0:
            continue
        for k in range(MAX_FACTORS):
            p *= vals[prog[i, 2 + k]]
        acc += p << (ACC_FRAC_BITS + prog[i, 1])
    return acc


@kernel
def _zero_terms(prog, x0, y0):
    """True when every term of ``prog`` is certainly 0 given the row's x0 and the neuron's y0:
    each term has an x0 factor with x0 = 0 or a y0 factor with y0 = 0 (an empty program: True)."""
    for i in range(prog.shape[0]):
        if prog[i, 0] == 0:
            continue
        dead = False
        for k in range(MAX_FACTORS):
            code = prog[i, 2 + k]
            if (code == V_X0 and x0 == 0) or (code == V_Y0 and y0 == 0):
                dead = True
        if not dead:
            return False
    return True


@kernel
def rule_gates(rule_prog, tag_prog, g):
    """Fill ``g``, int8 (rules, 2, 2): ``g[r, x0, y0]`` is 1 when both programs of rule r
    are 0 for certain. (The learn phase runs without allocating: ``g`` is a scratch buffer.)"""
    n = rule_prog.shape[0]
    has_tag = tag_prog.shape[0] == n
    for r in range(n):
        for x0 in range(2):
            for y0 in range(2):
                z = _zero_terms(rule_prog[r], x0, y0)
                if z and has_tag:
                    z = _zero_terms(tag_prog[r], x0, y0)
                g[r, x0, y0] = 1 if z else 0


@kernel
def _draw(lfsr, c):
    s = lfsr_next(lfsr[c])
    lfsr[c] = s
    return s


@kernel
def learn_core(t, c, tb, buf):
    """Phase 3 on core ``c`` (pre events already flagged in ``buf.xtr[:, X_SPIKE]``).

    Returns (plastic synapse updates, trace updates, learning epochs run) for the counters.
    """
    prm = tb.rule_param
    xtr, ytr, lfsr = buf.xtr, buf.ytr, buf.lfsr
    n_traces = 0
    for a in range(tb.axon_ptr[c], tb.axon_ptr[c + 1]):
        r = tb.axon_rule[a]
        if r < 0:
            continue
        spk = np.int64(xtr[a, X_SPIKE])
        xtr[a, X_SPIKE] = 0
        xtr[a, X0] |= spk
        for col, dcol in ((X1, X1_DECAY), (X2, X2_DECAY)):
            x = np.int64(xtr[a, col])
            rnd = (_draw(lfsr, c) >> (LFSR_BITS - 12)) if x != 0 else 0
            xtr[a, col] = trace_step(x, np.int64(prm[r, dcol]), np.int64(prm[r, dcol + 1]), spk, rnd)
        n_traces += 2
    for n in range(tb.neuron_ptr[c], tb.neuron_ptr[c + 1]):
        r = tb.neuron_rule[n]
        if r < 0:
            continue
        spk = np.int64(buf.fired[n])
        ytr[n, Y0] |= spk
        for col, dcol in ((Y1, Y1_DECAY), (Y2, Y2_DECAY), (Y3, Y3_DECAY)):
            y = np.int64(ytr[n, col])
            rnd = (_draw(lfsr, c) >> (LFSR_BITS - 12)) if y != 0 else 0
            ytr[n, col] = trace_step(y, np.int64(prm[r, dcol]), np.int64(prm[r, dcol + 1]), spk, rnd)
        n_traces += 3
    n_syn = 0
    epochs = 0
    vals = buf.learn_vals[c]            # this core's scratch: groups never share one
    vals[:] = 0
    vals[V_ONE] = 1
    base = tb.neuron_ptr[c]
    frac = (1 << ACC_FRAC_BITS) - 1
    any_y0 = False
    for n in range(tb.neuron_ptr[c], tb.neuron_ptr[c + 1]):
        if tb.neuron_rule[n] >= 0 and ytr[n, Y0] != 0:
            any_y0 = True
    gates = buf.learn_gate[c]
    rule_gates(tb.rule_prog, tb.tag_prog, gates)
    tags = buf.tag
    for a in range(tb.axon_ptr[c], tb.axon_ptr[c + 1]):
        r = tb.axon_rule[a]
        if r < 0 or (t + 1) % prm[r, EPOCH] != 0:
            continue
        epochs = 1
        n_syn += tb.axon_syn_ptr[a + 1] - tb.axon_syn_ptr[a]
        x0 = xtr[a, X0]
        xtr[a, X0] = 0
        if gates[r, x0, 1] != 0 or (gates[r, x0, 0] != 0 and not any_y0):
            continue                    # every synapse of the row: dw = dt = 0, no draw
        need_y0 = gates[r, x0, 0] != 0
        prog = tb.rule_prog[r]
        has_tag = tags.size > 0 and tb.tag_prog[r, 0, 0] != 0
        vals[V_X0], vals[V_X1], vals[V_X2] = x0, xtr[a, X1], xtr[a, X2]
        wmin, wmax = np.int64(prm[r, WMIN]), np.int64(prm[r, WMAX])
        for j in range(tb.axon_syn_ptr[a], tb.axon_syn_ptr[a + 1]):
            n = base + np.int64(tb.syn_target[j])
            if need_y0 and ytr[n, Y0] == 0:
                continue
            vals[V_Y0], vals[V_Y1], vals[V_Y2], vals[V_Y3] = ytr[n, Y0], ytr[n, Y1], ytr[n, Y2], ytr[n, Y3]
            vals[V_R] = buf.reward[n]
            syn = np.int64(tb.syn_word[j])
            w = word_weight(syn)
            vals[V_W] = w
            tag = np.int64(tags[j]) if tags.size > 0 else np.int64(0)
            vals[V_T] = tag
            acc = rule_acc(prog, vals)
            rnd = (_draw(lfsr, c) >> (LFSR_BITS - ACC_FRAC_BITS)) if (acc & frac) != 0 else 0
            tb.syn_word[j] = with_weight(syn, apply_dw(w, round_dw(acc, rnd), wmin, wmax))
            if has_tag:
                acc = rule_acc(tb.tag_prog[r], vals)
                rnd = (_draw(lfsr, c) >> (LFSR_BITS - ACC_FRAC_BITS)) if (acc & frac) != 0 else 0
                tags[j] = apply_dt(tag, round_dw(acc, rnd))
    for n in range(tb.neuron_ptr[c], tb.neuron_ptr[c + 1]):
        r = tb.neuron_rule[n]
        if r >= 0 and (t + 1) % prm[r, EPOCH] == 0:
            ytr[n, Y0] = 0
    return n_syn, n_traces, epochs


@kernel
def mark_pre(t, g, tb, buf, host_ids):
    """Flag the plastic rows of group ``g``'s cores that receive a packet in step t
    (the spikes of t-1 in ``buf.pending``, every group's, and the host spikes), as deliver does."""
    q = (t - 1) & 1
    for src in range(tb.group_ptr.size - 1):
        base = tb.neuron_ptr[tb.group_ptr[src]]
        for i in range(buf.n_pending[q, src, 0]):
            n = buf.pending[q, base + i]
            for e in range(tb.out_ptr[n], tb.out_ptr[n + 1]):
                a = tb.out_axon[e]
                if tb.axon_rule[a] >= 0 and tb.core_group[tb.axon_core[a]] == g:
                    buf.xtr[a, X_SPIKE] = 1
    for h in host_ids:
        for e in range(tb.host_out_ptr[h], tb.host_out_ptr[h + 1]):
            a = tb.host_out_axon[e]
            if tb.axon_rule[a] >= 0 and tb.core_group[tb.axon_core[a]] == g:
                buf.xtr[a, X_SPIKE] = 1
