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
from numba import literally

from .._jit import kernel
from ..fixed import (ACC_BITS, DU_OFFSET, DV_OFFSET, TH_MAX, U_BITS, V_MAX, V_MIN,
                     VTH_SHIFT, decay, saturate, wrap)
from .models import FLAG_ADAPT, FLAG_DUAL, FLAG_SUBTRACT


@kernel
def neuron_step(a, a_inh, u, u_inh, v, th, ref,
                du, du_inh, dv, vth, bias, refractory, dth, th_inc, flags):
    """One timestep of one neuron unit; returns ``(u, u_inh, v, th, ref, spiked)``.

    ``bias`` is the effective bias ``mant << exp``; ``a``/``a_inh`` are the raw
    accumulator slots (wrapped to ACC_BITS here). Written with selects instead
    of branches, like the hardware's muxes, so a loop over neurons vectorizes.
    """
    dual = (flags & FLAG_DUAL) != 0
    adapt = (flags & FLAG_ADAPT) != 0
    free = ref == 0
    u = wrap(decay(u, du, DU_OFFSET) + wrap(a, ACC_BITS), U_BITS)
    u_inh = wrap(decay(u_inh, du_inh, DU_OFFSET) + wrap(a_inh, ACC_BITS), U_BITS) if dual else u_inh
    th = decay(th, dth, 0) if adapt else th
    # refractory: the voltage update is gated off (v holds), u keeps integrating
    v_new = saturate(decay(v, dv, DV_OFFSET) + u + u_inh + bias, V_MIN, V_MAX)
    theta = (vth << VTH_SHIFT) + th
    spiked = free & (v_new > theta)
    v_reset = v_new - theta if (flags & FLAG_SUBTRACT) != 0 else 0
    v = v_reset if spiked else (v_new if free else v)
    ref = refractory if spiked else (ref if free else ref - 1)
    th = min(th + (th_inc << VTH_SHIFT), TH_MAX) if spiked & adapt else th
    return u, u_inh, v, th, ref, spiked


GENERIC = 255   #: specialization of cores whose neurons differ in ADAPT/DUAL, or use ADAPT


@kernel
def _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, spec):
    """The neuron loop, compiled once per literal ``spec``: 0 (plain LIF/IF),
    FLAG_DUAL (separate inhibitory current) or GENERIC (every neuron's own
    flags). With ADAPT/DUAL known at compile time the unused registers cost
    nothing; the reset mode stays a per-neuron select (it is cheap).

    Row views and an unsigned index let LLVM drop Numba's negative-index
    wraparound selects; the body has no loop-carried state: it vectorizes.
    """
    literally(spec)
    count = 0
    for n in range(np.uint64(lo), np.uint64(hi)):
        f = p.flags[n] if spec == GENERIC else (p.flags[n] & FLAG_SUBTRACT) | np.uint8(spec)
        a = np.int64(a_row[n])
        a_row[n] = 0
        a_inh = np.int64(0)
        # the inh bank exists (is wider than 1) only when some neuron has FLAG_DUAL
        if spec == FLAG_DUAL or (spec == GENERIC and (f & FLAG_DUAL) != 0):
            a_inh = np.int64(a_inh_row[n])
            a_inh_row[n] = 0
        u, u_inh, v, th, ref, spiked = neuron_step(
            a, a_inh, np.int64(s.u[n]), np.int64(s.u_inh[n]), np.int64(s.v[n]),
            np.int64(s.th[n]), np.int64(s.ref[n]),
            np.int64(p.du[n]), np.int64(p.du_inh[n]), np.int64(p.dv[n]), np.int64(p.vth[n]),
            np.int64(p.bias[n]), np.int64(p.refractory[n]), np.int64(p.dth[n]),
            np.int64(p.th_inc[n]), f)
        s.u[n] = u
        s.u_inh[n] = u_inh
        s.v[n] = v
        s.th[n] = th
        s.ref[n] = ref
        fired[n] = spiked
        count += spiked
    return count


@kernel
def update_range(lo, hi, slot, acc, acc_inh, p, s, fired, spec):
    """Update neurons ``lo..hi-1``: consume and clear their accumulator slot and
    step each neuron; ``fired[n]`` is set to 1 for those that spiked. Returns
    how many spiked.

    ``p`` is a NeuronParams tuple, ``s`` a NeuronState tuple (struct of arrays);
    ``spec`` is the range's specialization (``core_specialization``).
    """
    a_row = acc[slot]
    a_inh_row = acc_inh[slot if acc_inh.shape[1] > 1 else 0]
    if spec == 0:
        return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, 0)
    elif spec == FLAG_DUAL:
        return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, FLAG_DUAL)
    else:
        return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, GENERIC)


def core_specialization(flags: np.ndarray, neuron_ptr: np.ndarray) -> np.ndarray:
    """Per core, the update loop to use: 0 when no neuron has ADAPT or DUAL,
    FLAG_DUAL when all have DUAL and none ADAPT, else GENERIC (int64)."""
    out = np.full(neuron_ptr.size - 1, GENERIC, np.int64)
    for c in range(out.size):
        f = flags[neuron_ptr[c]:neuron_ptr[c + 1]] & (FLAG_ADAPT | FLAG_DUAL)
        if not np.any(f & FLAG_ADAPT) and (np.all(f == 0) or np.all(f == FLAG_DUAL)):
            out[c] = int(f[0]) if f.size else 0
    return out


@kernel
def collect_spikes(lo, hi, fired, spikes, n_spikes):
    """Append the ids ``lo <= n < hi`` with ``fired[n]`` to ``spikes``; return the new count.

    Reads the flags eight at a time, so silent neurons cost one load per eight.
    """
    n = lo
    while n < hi and n & 7:
        if fired[n]:
            spikes[n_spikes] = n
            n_spikes += 1
        n += 1
    words = fired.view(np.uint64)
    while n + 8 <= hi:
        if words[n >> 3] != 0:
            for k in range(n, n + 8):
                if fired[k]:
                    spikes[n_spikes] = k
                    n_spikes += 1
        n += 8
    while n < hi:
        if fired[n]:
            spikes[n_spikes] = n
            n_spikes += 1
        n += 1
    return n_spikes
