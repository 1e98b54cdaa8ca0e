"""Numba kernels of the learn phase (phase 3 of a timestep, docs/learning.md).

Per core ``c`` and timestep ``t``, after the neuron update, in this order:

1. pre traces: for every plastic input-axon row ``a`` of the core (in row order),
   ``x0 |= spiked``, ``x1 = trace_step(x1, ...)``, ``x2 = trace_step(x2, ...)``;
   a row "spiked" at step t when a packet reached it at step t (emitted at t-1)
2. post traces: for every learning neuron ``n`` of the core (in id order),
   ``y0 |= fired``, then y1, y2, y3
3. on the epoch boundary of a row's rule (``(t + 1) % epoch == 0``): every synapse of
   the row gets ``w = clamp(w + rule_dw(...), wmin, wmax)``; then the row's x0 is
   cleared; after every row, the y0 of neurons on their epoch boundary are cleared

Random bits come from the core's LFSR, advanced once per draw, only where a draw
changes the result: a decay of a non-zero trace (12 bits) and the rounding of a
dw accumulator with a non-zero fraction (8 bits). The order of draws is the
order above, so a run is reproducible from the seed.
"""
from __future__ import annotations

import numpy as np

from .._jit import kernel
from .fixed import ACC_FRAC_BITS, LFSR_BITS, apply_dw, lfsr_next, round_dw, trace_step
from .rules import MAX_FACTORS

# columns of rule_param (one row per rule)
EPOCH, WMIN, WMAX, X1_DECAY, X1_IMP, X2_DECAY, X2_IMP, Y1_DECAY, Y1_IMP, Y2_DECAY, Y2_IMP, Y3_DECAY, Y3_IMP = range(13)
RULE_PARAMS = ("epoch", "wmin", "wmax", "x1_decay", "x1_impulse", "x2_decay", "x2_impulse", "y1_decay",
               "y1_impulse", "y2_decay", "y2_impulse", "y3_decay", "y3_impulse")
# columns of the pre-trace table xtr (per input-axon row) and the post-trace table ytr (per neuron)
X_SPIKE, X0, X1, X2 = range(4)
Y0, Y1, Y2, Y3 = range(4)
# codes of rule variables (emulator.learning.rules.VAR_CODE): 0 = constant 1
V_ONE, V_X0, V_X1, V_X2, V_Y0, V_Y1, V_Y2, V_Y3, V_W, V_R = range(10)


@kernel
def rule_acc(prog, vals):
    """The rule's dw accumulator: ``sum_terms const * prod(vals[codes]) << (8 + exp)`` (int64, exact).

    ``prog``: one rule's program (terms, TERM_WORDS); ``vals``: int64 (10,) variable values by code.
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
    vals = np.zeros(10, np.int64)
    vals[V_ONE] = 1
    base = tb.neuron_ptr[c]
    frac = (1 << ACC_FRAC_BITS) - 1
    for a in range(tb.axon_ptr[c], tb.axon_ptr[c + 1]):
        r = tb.axon_rule[a]
        if r < 0 or (t + 1) % prm[r, EPOCH] != 0:
            continue
        epochs = 1
        prog = tb.rule_prog[r]
        vals[V_X0], vals[V_X1], vals[V_X2] = xtr[a, X0], xtr[a, X1], xtr[a, X2]
        wmin, wmax = np.int64(prm[r, WMIN]), np.int64(prm[r, WMAX])
        for j in range(tb.axon_syn_ptr[a], tb.axon_syn_ptr[a + 1]):
            n = base + np.int64(tb.syn_target[j])
            vals[V_Y0], vals[V_Y1], vals[V_Y2], vals[V_Y3] = ytr[n, Y0], ytr[n, Y1], ytr[n, Y2], ytr[n, Y3]
            vals[V_R] = buf.reward[n]
            w = np.int64(tb.syn_weight[j])
            vals[V_W] = w
            acc = rule_acc(prog, vals)
            rnd = (_draw(lfsr, c) >> (LFSR_BITS - ACC_FRAC_BITS)) if (acc & frac) != 0 else 0
            tb.syn_weight[j] = apply_dw(w, round_dw(acc, rnd), wmin, wmax)
        n_syn += tb.axon_syn_ptr[a + 1] - tb.axon_syn_ptr[a]
        xtr[a, X0] = 0
    for n in range(tb.neuron_ptr[c], tb.neuron_ptr[c + 1]):
        r = tb.neuron_rule[n]
        if r >= 0 and (t + 1) % prm[r, EPOCH] == 0:
            ytr[n, Y0] = 0
    return n_syn, n_traces, epochs


@kernel
def mark_pre(g, tb, buf, host_ids):
    """Flag the plastic rows of group ``g``'s cores that receive a packet this step
    (the spikes of t-1 in ``buf.pending`` and the host spikes), as deliver does."""
    for i in range(buf.n_pending[0]):
        n = buf.pending[i]
        for e in range(tb.out_ptr[n], tb.out_ptr[n + 1]):
            a = tb.out_axon[e]
            if tb.axon_rule[a] >= 0 and tb.core_group[tb.axon_core[a]] == g:
                buf.xtr[a, X_SPIKE] = 1
    for h in host_ids:
        for e in range(tb.host_out_ptr[h], tb.host_out_ptr[h + 1]):
            a = tb.host_out_axon[e]
            if tb.axon_rule[a] >= 0 and tb.core_group[tb.axon_core[a]] == g:
                buf.xtr[a, X_SPIKE] = 1
