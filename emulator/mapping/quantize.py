"""Float -> fixed point: the only place where physical parameters become registers.

A physical population's v is represented with ``scale`` counts per unit of v,
a power of two chosen so the threshold sits ``V_HEADROOM_BITS`` below the top
of the 24-bit v register (room for inhibition below reset and overshoot
above threshold). With ``gain`` = dt/tau_mem (1 for IF) the float recurrence of
``emulator.neurons.models`` maps onto the registers as::

    V = v * scale,  U = gain * u * scale,  W = gain * w * scale = mant << (6 + exp)
    B = gain * bias * scale = bias_mant << bias_exp,  theta * scale = vth << 6
    du + 1 = round(4096 * decay_u),  dv = round(4096 * decay_v)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import fixed as fx
from ..errors import MappingError
from ..ir.network import Population, Projection, population_float_form
from ..neurons.models import (FLAG_ADAPT, FLAG_DEND, FLAG_DUAL, FLAG_NOISE_U, FLAG_NOISE_V, FLAG_SUBTRACT, FloatForm,
                              get_model)

V_HEADROOM_BITS = 2   #: threshold * scale <= 2**(V_BITS - 1 - V_HEADROOM_BITS)


@dataclass(frozen=True)
class Registers:
    """Register values of one population: scalars shared by every neuron, or per-neuron arrays
    (from per-neuron parameter arrays); ``scale`` is always shared."""
    du: int
    du_inh: int
    dv: int
    vth: int
    bias: int            #: effective bias mant << exp
    refractory: int
    dth: int
    th_inc: int
    flags: int
    scale: float         #: v counts per unit of v
    gain: float          #: factor from a weight (units of v) to U counts per unit scale
    noise_amp: int = 0   #: noise amplitude mant << exp
    dend_th: int = 0     #: dendritic threshold mantissa
    dend_sat: int = 0    #: dendritic plateau mantissa


def quantize_population(pop: Population, dt_ms: float, peak_weight: float = 0.0) -> Registers:
    """Registers of one neuron population, from its physical or raw parameters.

    Per-neuron parameter arrays (``Population.params``) give per-neuron
    registers; the v scale is shared by the population and chosen from its
    largest threshold and ``peak_weight``, the largest ``|gain * w|`` of its
    incoming synapses (``incoming_peak``), so that both fit their registers.
    """
    model = get_model(pop.model)
    if pop.is_fixed:
        return _raw_registers(pop, model)
    ff = population_float_form(pop, dt_ms)
    threshold = float(np.max(ff.threshold))
    peak_bias = float(np.max(np.abs(ff.gain * ff.bias)))
    scale = choose_scale(threshold, peak_weight, peak_bias)
    where = f"population '{pop.name}'"
    _check_threshold_resolution(where, threshold, scale, peak_weight, peak_bias)
    bias = split_bias(np.asarray(ff.gain * ff.bias * scale), where)
    if np.max(ff.refractory) > (1 << fx.REFRACT_BITS) - 1:
        raise MappingError(f"{where}: refractory period of {int(np.max(ff.refractory))} steps exceeds the "
                           f"{fx.REFRACT_BITS}-bit limit {(1 << fx.REFRACT_BITS) - 1}; shorten refractory_ms or "
                           "raise dt")
    # u counts are gain * scale per unit of u: noise on u, and the dendrite's levels, scale by the gain
    u_scale = np.asarray(ff.gain) * scale
    return Registers(
        du=decay_u_register(ff.decay_u), du_inh=decay_u_register(ff.decay_u_inh),
        dv=decay_register(ff.decay_v), vth=_mantissa(ff.threshold * scale),
        bias=bias, refractory=_scalar_or_array(ff.refractory),
        dth=decay_register(ff.decay_th),
        th_inc=_mantissa(ff.th_inc * scale),
        flags=_flags(ff.subtract, ff.adaptive, ff.dual, _noise_flag(ff.noise_amp, ff.noise_on_u), ff.dend),
        scale=scale, gain=_scalar_or_array(ff.gain, float),
        noise_amp=split_noise(ff.noise_amp * (u_scale if ff.noise_on_u else scale), where),
        dend_th=_mantissa(ff.dend_th * u_scale) if ff.dend else 0,
        dend_sat=_mantissa(ff.dend_sat * u_scale) if ff.dend else 0)


MIN_THRESHOLD_BITS = 8   #: the threshold keeps at least this many bits of its vth mantissa


def _check_threshold_resolution(where: str, threshold: float, scale: float, peak_weight: float,
                                peak_bias: float) -> None:
    """Refuse a scale so small (forced by huge weights or biases) that the threshold loses its bits."""
    if threshold <= 0 or threshold * scale >= float(1 << (fx.VTH_SHIFT + MIN_THRESHOLD_BITS)):
        return
    if peak_bias * scale >= peak_weight * scale:
        raise MappingError(f"{where}: bias {peak_bias:g} (per step, in units of v) is {peak_bias / threshold:.0f} "
                           f"times the threshold {threshold:g}: with the threshold kept to "
                           f"{MIN_THRESHOLD_BITS} bits the bias exceeds the 13-bit mantissa with exponent <= 7; "
                           "lower the bias relative to the threshold")
    raise MappingError(f"{where}: incoming weight {peak_weight:g} (per step, in units of v) is "
                       f"{peak_weight / threshold:.0f} times the threshold {threshold:g}: with the threshold kept to "
                       f"{MIN_THRESHOLD_BITS} bits the weight exceeds the 9-bit mantissa with exponent <= 7; "
                       "lower the weights relative to the threshold")


def _scalar_or_array(x, kind=int):
    """A Python scalar for a scalar, an array (int64 or float64) for an array."""
    a = np.asarray(x)
    if a.ndim == 0:
        return kind(a)
    return a.astype(np.int64 if kind is int else np.float64)


def _raw_registers(pop: Population, model) -> Registers:
    f = {**{k: p.default for k, p in model.fixed.items()}, **pop.fixed}
    du = f.get("du", fx.DECAY_MAX)          # IF has no du/dv: current lasts one step, no leak
    du_inh = f.get("dd") if model.two_compartment else f.get("du_inh")
    noise_amp = f.get("noise_mant", 0) << f.get("noise_exp", 0)
    return Registers(
        du=du, du_inh=du if du_inh is None else du_inh, dv=f.get("dv", 0), vth=f["vth"],
        bias=f["bias"] << f["bias_exp"], refractory=f["refractory"], dth=f.get("dth", 0),
        th_inc=f.get("th_inc", 0),
        flags=_flags(f["reset"] == "subtract", model.adaptive, du_inh is not None and not model.two_compartment,
                     _noise_flag(noise_amp, f.get("noise_target") == "u"), model.two_compartment),
        scale=1.0, gain=1.0, noise_amp=noise_amp, dend_th=f.get("dend_th", 0), dend_sat=f.get("dend_sat", 0))


def initial_registers(pop: Population, r: Registers) -> tuple[np.ndarray, np.ndarray]:
    """Initial (u, v) registers: ``U = gain * u * scale``, ``V = v * scale``, saturated to 24 bits."""
    out = []
    for var, factor in (("u", r.gain * r.scale), ("v", r.scale)):
        x = pop.initial.get(var)
        x = np.zeros(pop.size) if x is None else np.rint(np.asarray(x) * factor)
        out.append(np.clip(x, fx.V_MIN, fx.V_MAX).astype(np.int32))
    return out[0], out[1]


def _mantissa(v_counts):
    """Threshold-style mantissa ``round(v / 2**6)``, clipped to the 17-bit field (elementwise)."""
    return _scalar_or_array(np.minimum(np.rint(np.asarray(v_counts, np.float64) / (1 << fx.VTH_SHIFT)),
                                       (1 << fx.VTH_MANT_BITS) - 1))


def _flags(subtract: bool, adaptive: bool, dual: bool, noise: int = 0, dend: bool = False) -> int:
    return ((FLAG_SUBTRACT if subtract else 0) | (FLAG_ADAPT if adaptive else 0) | (FLAG_DUAL if dual else 0)
            | noise | (FLAG_DEND if dend else 0))


def _noise_flag(amplitude, on_u: bool) -> int:
    """FLAG_NOISE_U or FLAG_NOISE_V when any neuron of the population has noise, else 0."""
    if not np.any(np.asarray(amplitude) > 0):
        return 0
    return FLAG_NOISE_U if on_u else FLAG_NOISE_V


def float_form_of_registers(r: Registers) -> FloatForm:
    """The float recurrence a fixed-point population implements (for the float reference)."""
    return FloatForm(decay_u=(r.du + fx.DU_OFFSET) / 4096, decay_u_inh=(r.du_inh + fx.DU_OFFSET) / 4096,
                     decay_v=r.dv / 4096, gain=1.0, bias=float(r.bias), threshold=float(r.vth << fx.VTH_SHIFT),
                     refractory=r.refractory, subtract=bool(r.flags & FLAG_SUBTRACT),
                     dual=bool(r.flags & FLAG_DUAL), decay_th=r.dth / 4096,
                     th_inc=float(r.th_inc << fx.VTH_SHIFT), adaptive=bool(r.flags & FLAG_ADAPT),
                     noise_amp=255.0 * r.noise_amp, noise_on_u=bool(r.flags & FLAG_NOISE_U),
                     dend=bool(r.flags & FLAG_DEND), dend_th=float(r.dend_th << fx.VTH_SHIFT),
                     dend_sat=float(r.dend_sat << fx.VTH_SHIFT))


def choose_scale(threshold: float, peak_weight: float = 0.0, peak_bias: float = 0.0) -> float:
    """Largest power of two with ``threshold * scale <= 2**(23 - V_HEADROOM_BITS)``,
    ``peak_weight * scale <= 255 << (6 + 7)`` (the largest synaptic contribution the chip has)
    and ``peak_bias * scale <= 4095 << 7`` (the largest bias).

    A network whose single weights or biases exceed what fits below its threshold (common in
    trained networks) thus gets a smaller scale: the threshold keeps its 17-bit mantissa, the
    weights their 8 bits.
    """
    top = float(1 << (fx.V_BITS - 1 - V_HEADROOM_BITS))
    scale = top if threshold <= 0 else 2.0 ** math.floor(math.log2(top / threshold))
    w_top = float(fx.WEIGHT_MAX << (fx.ACT_SHIFT + fx.WEIGHT_EXP_MAX))
    b_top = float(((1 << (fx.BIAS_MANT_BITS - 1)) - 1) << ((1 << fx.BIAS_EXP_BITS) - 1))
    for peak, limit in ((peak_weight, w_top), (peak_bias, b_top)):
        if peak > 0 and peak * scale > limit:
            scale = 2.0 ** math.floor(math.log2(limit / peak))
    return scale


def incoming_peak(net, pop: Population, dt_ms: float) -> float:
    """Largest ``|gain * w|`` over the synapses into ``pop`` (physical populations), 0 if none."""
    if pop.is_fixed or pop.is_source:
        return 0.0
    gain = population_float_form(pop, dt_ms).gain
    peak = 0.0
    for proj in net.projections:
        if proj.target == pop.name and proj.n_synapses:
            g = gain if np.ndim(gain) == 0 else np.asarray(gain)[proj.post]
            peak = max(peak, float(np.max(np.abs(proj.weight * g))))
    return peak


def decay_register(fraction):
    """12-bit decay ``round(4096 * fraction)`` clipped to 0..4095 (factor (4096-d)/4096); elementwise."""
    return _scalar_or_array(np.clip(np.rint(np.asarray(fraction, np.float64) * 4096), 0, fx.DECAY_MAX))


def decay_u_register(fraction):
    """Current decay with Loihi's +1 offset: ``du = round(4096 * fraction) - 1``, clipped to 0..4095."""
    return _scalar_or_array(np.clip(np.rint(np.asarray(fraction, np.float64) * 4096) - fx.DU_OFFSET,
                                    0, fx.DECAY_MAX))


def _split_mant_exp(b, lo: int, hi: int, exp_bits: int):
    """``(mant << exp, unrepresentable)``: per value the smallest exponent whose mantissa in
    [lo, hi] holds ``round(b / 2**exp)`` (elementwise)."""
    b = np.asarray(b, np.float64)
    out = np.zeros(b.shape, np.int64)
    todo = np.ones(b.shape, bool)
    for exp in range(1 << exp_bits):
        m = np.rint(b / (1 << exp))
        ok = todo & (m >= lo) & (m <= hi)
        out[ok] = m[ok].astype(np.int64) << exp
        todo &= ~ok
    return out, todo


def split_bias(b, where: str):
    """Effective bias ``mant << exp`` with, per value, the smallest exponent whose 13-bit mantissa
    holds ``round(b / 2**exp)`` (elementwise; a scalar gives an int)."""
    out, bad = _split_mant_exp(b, *fx.signed_range(fx.BIAS_MANT_BITS), fx.BIAS_EXP_BITS)
    if bad.any():
        worst = float(np.max(np.abs(np.asarray(b)[bad])))
        raise MappingError(f"{where}: bias {worst:.0f} (in v counts) exceeds the 13-bit mantissa with exponent "
                           "<= 7; lower the bias relative to the threshold")
    return _scalar_or_array(out)


def split_noise(peak, where: str):
    """Noise amplitude register ``mant << exp`` for a peak noise of ``peak`` counts per step:
    the noise unit draws ``(2b - 255) * amp``, so ``amp = round(peak / 255)`` in the 8-bit
    mantissa with the smallest 3-bit exponent that holds it (elementwise)."""
    out, bad = _split_mant_exp(np.asarray(peak, np.float64) / 255.0, 0, (1 << fx.NOISE_MANT_BITS) - 1,
                               fx.NOISE_EXP_BITS)
    if bad.any():
        raise MappingError(f"{where}: noise_amplitude of {float(np.max(np.asarray(peak)[bad])):.0f} v counts exceeds "
                           "the noise unit's 255 * (255 << 7); lower noise_amplitude relative to the threshold")
    return _scalar_or_array(out)


def split_weights(w: np.ndarray, where: str) -> tuple[np.ndarray, int]:
    """Shared exponent and 9-bit mantissas for one synapse group of scaled weights ``w``.

    Every exponent in -8..7 is tried with mantissas ``clip(round(w / 2**(6+exp)), -256, 255)``;
    the one with the least squared error ``sum((mant * 2**(6+exp) - w)**2)`` wins (ties: the
    smaller exponent). Clipping a few outliers can beat rounding everything coarser; when nothing
    clips the smallest fitting exponent is the best. Weights that clip even at exponent 7 are refused.
    """
    peak = float(np.max(np.abs(w))) if w.size else 0.0
    if peak / 2.0 ** (fx.ACT_SHIFT + fx.WEIGHT_EXP_MAX) > fx.WEIGHT_MAX + 0.5:
        raise MappingError(f"{where}: weight {peak:.0f} (in u counts) does not fit a 9-bit mantissa with exponent "
                           f"<= {fx.WEIGHT_EXP_MAX}; the weights are too large relative to the target's threshold")
    best = None
    for exp in range(fx.WEIGHT_EXP_MIN, fx.WEIGHT_EXP_MAX + 1):
        step = 2.0 ** (fx.ACT_SHIFT + exp)
        m = np.clip(np.rint(w / step), fx.WEIGHT_MIN, fx.WEIGHT_MAX)
        err = float(np.sum((m * step - w) ** 2))
        if best is None or err < best[0]:
            best = (err, m, exp)
        if peak / step <= fx.WEIGHT_MAX:
            break           # nothing clips: coarser exponents only round worse
    return best[1].astype(np.int16), best[2]


def quantize_projection(proj: Projection, target: Registers, target_fixed: bool
                        ) -> tuple[np.ndarray, int, float]:
    """(mantissas, exponent, SNR in dB) of one projection's weights."""
    where = f"projection '{proj.name}'"
    if target_fixed:
        exp = 0 if proj.weight_exp is None else int(proj.weight_exp)
        return proj.weight.astype(np.int16), exp, math.inf
    gain = target.gain if np.ndim(target.gain) == 0 else np.asarray(target.gain)[proj.post]
    scaled = proj.weight * gain * target.scale
    mant, exp = split_weights(scaled, where)
    err = mant * 2.0 ** (fx.ACT_SHIFT + exp) - scaled
    power, noise = float(np.sum(scaled ** 2)), float(np.sum(err ** 2))
    snr = math.inf if noise == 0 else 10 * math.log10(power / noise) if power > 0 else -math.inf
    return mant, exp, snr


def choose_port(proj: Projection, dual: bool) -> int:
    """Dendritic port of a projection: 1 (inh, or the dendrite of a two-compartment target) or 0
    (exc, the soma); ``dual``: the target has a separate inh port."""
    if proj.port == "dend":
        return 1
    if proj.port == "inh" and not dual:
        raise MappingError(f"projection '{proj.name}': port 'inh' needs a target with a separate inhibitory "
                           f"current (tau_syn_inh_ms or du_inh on population '{proj.target}')")
    if proj.port == "auto":
        return int(dual and proj.weight.size > 0 and float(proj.weight.max()) <= 0 and float(proj.weight.min()) < 0)
    return int(proj.port == "inh")
