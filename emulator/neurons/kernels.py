"""The neuron unit: one fixed-point datapath shared by every neuron model.

``neuron_step`` is the per-neuron, per-timestep update as a pure function of
integers (its plain-Python twin is ``tests/reference/neuron_ref.py``);
``update_range`` applies it to a contiguous range of neurons of one core.

Ordering contract of one update (all integers, int64 intermediates):

1. ``a = wrap24(acc[slot, n])``; the slot is cleared by the caller's loop
2. ``u = wrap24(decay(u, du, DU_OFFSET) + a)``           current wraps (Loihi)
3. ``u_inh = wrap24(decay(u_inh, du_inh, 1) + a_inh)``    only with FLAG_DUAL
4. ``v = sat24(decay(v, dv, DV_OFFSET) + u + u_inh + bias)``   voltage saturates
   -- skipped while refractory: v holds its post-reset value, ref -= 1
5. ``th = decay(th, dth, 0)``                             only with FLAG_ADAPT
6. spike iff not refractory and ``v > (vth << 6) + th`` (strict)
7. on a spike: ``v = 0`` (or ``v -= (vth << 6) + th`` with FLAG_SUBTRACT),
   ``ref = refractory``, ``th = min(th + (th_inc << 6), TH_MAX)``
"""
from __future__ import annotations

import numpy as np

from .._jit import kernel
from ..fixed import (ACC_BITS, DU_OFFSET, DV_OFFSET, TH_MAX, U_BITS, V_MAX, V_MIN,
                     VTH_SHIFT, decay, saturate, wrap)
from .models import FLAG_ADAPT, FLAG_DUAL, FLAG_SUBTRACT


@kernel
def neuron_step(a, a_inh, u, u_inh, v, th, ref,
                du, du_inh, dv, vth, bias, refractory, dth, th_inc, flags):
    """One timestep of one neuron unit; returns ``(u, u_inh, v, th, ref, spiked)``.

    ``bias`` is the effective bias ``mant << exp``; ``a``/``a_inh`` are the raw
    accumulator slots (wrapped to ACC_BITS here).
    """
    u = wrap(decay(u, du, DU_OFFSET) + wrap(a, ACC_BITS), U_BITS)
    if flags & FLAG_DUAL:
        u_inh = wrap(decay(u_inh, du_inh, DU_OFFSET) + wrap(a_inh, ACC_BITS), U_BITS)
    if flags & FLAG_ADAPT:
        th = decay(th, dth, 0)
    if ref > 0:
        # refractory: the voltage update is gated off, u keeps integrating
        return u, u_inh, v, th, ref - 1, False
    v = saturate(decay(v, dv, DV_OFFSET) + u + u_inh + bias, V_MIN, V_MAX)
    theta = (vth << VTH_SHIFT) + th
    if v > theta:
        if flags & FLAG_SUBTRACT:
            v -= theta
        else:
            v = 0
        if flags & FLAG_ADAPT:
            th = min(th + (th_inc << VTH_SHIFT), TH_MAX)
        return u, u_inh, v, th, refractory, True
    return u, u_inh, v, th, ref, False


@kernel
def update_range(lo, hi, slot, acc, acc_inh, p, s, spikes, n_spikes):
    """Update neurons ``lo..hi-1``: consume and clear their accumulator slot,
    step each neuron, append the ids of those that spiked to ``spikes``.

    ``p`` is a NeuronParams tuple, ``s`` a NeuronState tuple (struct of arrays).
    Returns the new spike count.
    """
    dual_bank = acc_inh.shape[1] > 1
    for n in range(lo, hi):
        a = np.int64(acc[slot, n])
        acc[slot, n] = 0
        a_inh = np.int64(0)
        if dual_bank:
            a_inh = np.int64(acc_inh[slot, n])
            acc_inh[slot, n] = 0
        u, u_inh, v, th, ref, spiked = neuron_step(
            a, a_inh, np.int64(s.u[n]), np.int64(s.u_inh[n]), np.int64(s.v[n]),
            np.int64(s.th[n]), np.int64(s.ref[n]),
            np.int64(p.du[n]), np.int64(p.du_inh[n]), np.int64(p.dv[n]), np.int64(p.vth[n]),
            np.int64(p.bias[n]), np.int64(p.refractory[n]), np.int64(p.dth[n]),
            np.int64(p.th_inc[n]), p.flags[n])
        s.u[n] = u
        s.u_inh[n] = u_inh
        s.v[n] = v
        s.th[n] = th
        s.ref[n] = ref
        if spiked:
            spikes[n_spikes] = n
            n_spikes += 1
    return n_spikes
