"""The neuron unit: one fixed-point datapath shared by every neuron model.

``neuron_step`` is the per-neuron, per-timestep update as a pure function of
integers (its plain-Python twin is ``tests/reference/neuron_ref.py``);
``update_range`` applies it to a contiguous range of neurons of one core.

Ordering contract of one update (all integers; registers 24 bits, computed in int32 lanes):

0. noisy neurons (FLAG_NOISE_U/V) step their core's noise LFSR once per update, in
   neuron order: ``noise = (2 * (r >> 24) - 255) * noise_amp`` (``fixed.noise_value``)
1. ``a = wrap24(acc[slot, n])``; the slot is cleared by the caller's loop
2. ``u = wrap24(decay(u, du, DU_OFFSET) + a [+ noise])``   current wraps (Loihi)
3. ``u_inh = wrap24(decay(u_inh, du_inh, 1) + a_inh)``    only with FLAG_DUAL or FLAG_DEND
   (with FLAG_DEND u_inh is the dendritic current d, fed by port 1)
4. ``v = sat24(decay(v, dv, DV_OFFSET) + u + s2 + bias [+ noise])``   voltage saturates;
   ``s2 = u_inh``, or ``dendrite_output(d, dend_th, dend_sat)`` with FLAG_DEND
   -- skipped while refractory: v holds its post-reset value, ref -= 1
5. ``th = decay(th, dth, 0)``                             only with FLAG_ADAPT
6. spike iff not refractory and ``v > (vth << 6) + th`` (strict)
7. on a spike: ``v = 0`` (or ``v -= (vth << 6) + th`` with FLAG_SUBTRACT),
   ``ref = refractory``, ``th = min(th + (th_inc << 6), TH_MAX)``
"""
from __future__ import annotations

import numpy as np
from numba import literally

from .._jit import inline_kernel, kernel, step_kernel
from ..fixed import (ACC_BITS, DU_OFFSET, DV_OFFSET, I32, SLOW_DECAY_MAX, TH_MAX, U_BITS, V_MAX, V_MIN,
                     VTH_SHIFT, decay24, decay24_slow, dendrite_output, lfsr_next, noise_value, saturate, wrap)
from .models import FLAG_ADAPT, FLAG_DEND, FLAG_DUAL, FLAG_NOISE_U, FLAG_NOISE_V, FLAG_SUBTRACT

FLAG_NOISE = FLAG_NOISE_U | FLAG_NOISE_V
FLAG_PORT1 = FLAG_DUAL | FLAG_DEND     #: the neuron reads the second accumulator bank
FLAG_RESEARCH = FLAG_NOISE | FLAG_DEND  #: models the RTL neuron unit does not implement (issue #8)


@kernel
def neuron_step(a, a_inh, u, u_inh, v, th, ref,
                du, du_inh, dv, vth, bias, refractory, dth, th_inc, flags):
    """One timestep of the LIF/IF/ALIF neuron unit (the datapath of rtl_models/neuron_unit.v):
    ``neuron_unit`` without noise or a dendritic compartment."""
    return neuron_unit(a, a_inh, u, u_inh, v, th, ref, du, du_inh, dv, vth, bias, refractory, dth, th_inc,
                       flags, 0, 0, 0)


@inline_kernel
def _decay(x, d, offset, slow):
    """``decay`` of register x in 32-bit lanes: ``decay24_slow`` when ``slow`` (offset + d <= 255), else ``decay24``."""
    return decay24_slow(x, I32(d), offset) if slow else decay24(x, I32(d), offset)


@inline_kernel
def neuron_unit(a, a_inh, u, u_inh, v, th, ref,
                du, du_inh, dv, vth, bias, refractory, dth, th_inc, flags, noise, dend_th, dend_sat, slow=0):
    """One timestep of one neuron unit; returns ``(u, u_inh, v, th, ref, spiked)``, int32.

    ``bias`` is the effective bias ``mant << exp``; ``a``/``a_inh`` are the raw
    accumulator slots (wrapped to ACC_BITS here); ``noise`` is this update's LFSR
    noise (used with FLAG_NOISE_U/V); ``dend_th``/``dend_sat`` the dendritic
    mantissas (FLAG_DEND); ``slow`` 1 (a constant of the caller's loop) when u, u_inh and v
    all decay slowly (``decay24_slow``, same results, fewer instructions). Written with selects
    instead of branches, like the hardware's muxes, so a loop over neurons vectorizes; in 32-bit lanes (``I32``):
    the registers are 24 bits, every sum below fits 26 bits and ``decay24`` splits
    the multiplier so its products do too.
    """
    dual = (flags & FLAG_DUAL) != 0
    dend = (flags & FLAG_DEND) != 0
    adapt = (flags & FLAG_ADAPT) != 0
    noise_u = I32(noise) if (flags & FLAG_NOISE_U) != 0 else I32(0)
    noise_v = I32(noise) if (flags & FLAG_NOISE_V) != 0 else I32(0)
    u, u_inh, v, th, ref = I32(u), I32(u_inh), I32(v), I32(th), I32(ref)
    free = ref == 0
    u = I32(wrap(I32(I32(_decay(u, du, DU_OFFSET, slow) + I32(wrap(I32(a), ACC_BITS))) + noise_u), U_BITS))
    if dual | dend:
        u_inh = I32(wrap(I32(_decay(u_inh, du_inh, DU_OFFSET, slow) + I32(wrap(I32(a_inh), ACC_BITS))), U_BITS))
    # the dendrite reaches the soma through its nonlinearity; an inh current directly
    second = I32(dendrite_output(u_inh, I32(dend_th), I32(dend_sat))) if dend else u_inh
    th = decay24(th, I32(dth), 0) if adapt else th
    # refractory: the voltage update is gated off (v holds), u keeps integrating
    v_sum = I32(I32(I32(I32(_decay(v, dv, DV_OFFSET, slow) + u) + second) + I32(bias)) + noise_v)
    v_new = I32(saturate(v_sum, I32(V_MIN), I32(V_MAX)))
    theta = I32(I32(I32(vth) << VTH_SHIFT) + th)
    spiked = free & (v_new > theta)
    v_reset = I32(v_new - theta) if (flags & FLAG_SUBTRACT) != 0 else I32(0)
    v = v_reset if spiked else (v_new if free else v)
    ref = I32(refractory) if spiked else (ref if free else I32(ref - 1))
    th = I32(min(I32(th + I32(I32(th_inc) << VTH_SHIFT)), I32(TH_MAX))) if spiked & adapt else th
    return u, u_inh, v, th, ref, spiked


GENERIC = 255   #: specialization of cores whose neurons differ in ADAPT/DUAL, or use ADAPT, noise or dendrites


@step_kernel
def _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, spec, uniform, slow, lfsr, c):
    """The neuron loop, compiled once per literal ``spec``: 0 (plain LIF/IF),
    FLAG_DUAL (separate inhibitory current) or GENERIC (every neuron's own
    flags), and literal ``uniform``: 1 when every neuron of ``lo..hi-1`` has the same
    registers (a population's slice: Loihi keeps them in one compartment profile),
    read once instead of per neuron, and literal ``slow``: 1 when those registers decay
    slowly (``slow_decays``). With ADAPT/DUAL known at compile time the unused
    registers cost nothing; the reset mode stays a per-neuron select (it is cheap).

    Row views and an unsigned index let LLVM drop Numba's negative-index
    wraparound selects; the body has no loop-carried state: it vectorizes.
    GENERIC cores carry one: their noise LFSR ``lfsr[c]``, stepped in neuron order.
    The loop streams its registers from L2: its speed is the bytes it moves.
    Returns how many of the neurons spiked (a sum the loop vectorizes too).
    """
    literally(spec)
    literally(uniform)
    literally(slow)
    r = lfsr[c] if spec == GENERIC else np.int64(0)
    first = lo if lo < hi else 0
    du_0, du_inh_0, dv_0, vth_0 = p.du[first], p.du_inh[first], p.dv[first], p.vth[first]
    bias_0, refractory_0, dth_0, th_inc_0 = p.bias[first], p.refractory[first], p.dth[first], p.th_inc[first]
    subtract_0 = p.flags[first] & FLAG_SUBTRACT
    spikes = 0
    for n in range(np.uint64(lo), np.uint64(hi)):
        if spec == GENERIC:
            f = p.flags[n]
        elif uniform == 1:
            f = subtract_0 | np.uint8(spec)
        else:
            f = (p.flags[n] & FLAG_SUBTRACT) | np.uint8(spec)
        a = a_row[n]
        a_row[n] = 0
        a_inh = I32(0)
        # the inh bank exists (is wider than 1) only when some neuron has FLAG_DUAL or FLAG_DEND
        if spec == FLAG_DUAL or (spec == GENERIC and (f & FLAG_PORT1) != 0):
            a_inh = a_inh_row[n]
            a_inh_row[n] = 0
        noise = I32(0)
        dend_th = I32(0)
        dend_sat = I32(0)
        if spec == GENERIC:
            if (f & FLAG_NOISE) != 0:
                r = lfsr_next(r)
                noise = I32(noise_value(r, np.int64(p.noise_amp[n])))
            dend_th = p.dend_th[n]
            dend_sat = p.dend_sat[n]
        # a plain core's u_inh and th are never written (no DUAL/DEND/ADAPT): they stay 0, unread
        u_inh_old = s.u_inh[n] if spec != 0 else I32(0)
        th_old = s.th[n] if spec == GENERIC else I32(0)
        if uniform == 1:
            u, u_inh, v, th, ref, spiked = neuron_unit(
                a, a_inh, s.u[n], u_inh_old, s.v[n], th_old, s.ref[n], du_0, du_inh_0, dv_0, vth_0, bias_0,
                refractory_0, dth_0, th_inc_0, f, noise, dend_th, dend_sat, slow)
        else:
            u, u_inh, v, th, ref, spiked = neuron_unit(
                a, a_inh, s.u[n], u_inh_old, s.v[n], th_old, s.ref[n],
                p.du[n], p.du_inh[n], p.dv[n], p.vth[n], p.bias[n], p.refractory[n], p.dth[n], p.th_inc[n],
                f, noise, dend_th, dend_sat)
        s.u[n] = u
        s.v[n] = v
        s.ref[n] = ref
        if spec != 0:
            s.u_inh[n] = u_inh
        if spec == GENERIC:
            s.th[n] = th
        fired[n] = spiked
        spikes += spiked
    if spec == GENERIC:
        lfsr[c] = r
    return spikes


@step_kernel
def update_range(lo, hi, slot, acc, acc_inh, p, s, fired, spec, uniform, lfsr, c):
    """Update neurons ``lo..hi-1`` (of core ``c``): consume and clear their accumulator
    slot and step each neuron; ``fired[n]`` is set to 1 for those that spiked; returns
    how many did.

    ``p`` is a NeuronParams tuple, ``s`` a NeuronState tuple (struct of arrays);
    ``spec`` is the range's specialization (``core_specialization``), ``uniform`` 1 when
    its neurons share every register (``core_runs``); ``lfsr[c]`` the core's noise
    generator (stepped only by noisy neurons).
    """
    a_row = acc[slot]
    a_inh_row = acc_inh[slot if acc_inh.shape[1] > 1 else 0]
    if spec == GENERIC:
        return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, GENERIC, 0, 0, lfsr, c)
    if uniform == 1 and slow_decays(p, lo, hi, spec):
        if spec == FLAG_DUAL:
            return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, FLAG_DUAL, 1, 1, lfsr, c)
        return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, 0, 1, 1, lfsr, c)
    if uniform == 1 and spec == FLAG_DUAL:
        return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, FLAG_DUAL, 1, 0, lfsr, c)
    if uniform == 1:
        return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, 0, 1, 0, lfsr, c)
    if spec == FLAG_DUAL:
        return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, FLAG_DUAL, 0, 0, lfsr, c)
    return _update_loop(lo, hi, a_row, a_inh_row, p, s, fired, 0, 0, 0, lfsr, c)


@step_kernel
def slow_decays(p, lo, hi, spec):
    """A uniform run whose u (and with FLAG_DUAL u_inh) and v decays all fit ``decay24_slow``
    (``offset + d <= SLOW_DECAY_MAX``; the registers of neuron ``lo`` are the run's)."""
    if hi <= lo:
        return False
    slow = p.du[lo] + DU_OFFSET <= SLOW_DECAY_MAX and p.dv[lo] + DV_OFFSET <= SLOW_DECAY_MAX
    if spec == FLAG_DUAL:
        slow = slow and p.du_inh[lo] + DU_OFFSET <= SLOW_DECAY_MAX
    return slow


def core_specialization(flags: np.ndarray, neuron_ptr: np.ndarray) -> np.ndarray:
    """Per core, the update loop to use: 0 when no neuron has ADAPT, DUAL, noise or a
    dendrite, FLAG_DUAL when all have DUAL and none of the others, else GENERIC (int64)."""
    out = np.full(neuron_ptr.size - 1, GENERIC, np.int64)
    for c in range(out.size):
        f = flags[neuron_ptr[c]:neuron_ptr[c + 1]] & (FLAG_ADAPT | FLAG_DUAL | FLAG_RESEARCH)
        if not np.any(f & (FLAG_ADAPT | FLAG_RESEARCH)) and (np.all(f == 0) or np.all(f == FLAG_DUAL)):
            out[c] = int(f[0]) if f.size else 0
    return out


#: the registers a uniform run of neurons shares (all but the research models' own)
UNIFORM_REGISTERS = ("du", "du_inh", "dv", "vth", "bias", "refractory", "dth", "th_inc", "flags")


def core_runs(params, neuron_ptr: np.ndarray, spec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(run, uniform) per core, int64: ``uniform[c]`` is 1 when every neuron of core c has the
    same registers (``UNIFORM_REGISTERS``; GENERIC cores: 0); neighbouring cores with the same
    ``run`` id share the specialization and, when uniform, the register values, so the engine
    updates them in one loop."""
    n_cores = neuron_ptr.size - 1
    uniform = np.zeros(n_cores, np.int64)
    keys = []
    for c in range(n_cores):
        lo, hi = neuron_ptr[c], neuron_ptr[c + 1]
        regs = [getattr(params, k)[lo:hi] for k in UNIFORM_REGISTERS]
        same = spec[c] != GENERIC and hi > lo and all(bool((r == r[0]).all()) for r in regs)
        uniform[c] = int(same)
        keys.append((int(spec[c]), same, tuple(int(r[0]) for r in regs) if same else None))
    run = np.zeros(n_cores, np.int64)
    for c in range(1, n_cores):
        joins = keys[c] == keys[c - 1] and keys[c][0] != GENERIC
        run[c] = run[c - 1] if joins else run[c - 1] + 1
    return run, uniform


@step_kernel
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
