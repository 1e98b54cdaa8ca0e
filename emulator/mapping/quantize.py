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
from ..ir.network import Population, Projection
from ..neurons.models import FLAG_ADAPT, FLAG_DUAL, FLAG_SUBTRACT, FloatForm, get_model

V_HEADROOM_BITS = 2   #: threshold * scale <= 2**(V_BITS - 1 - V_HEADROOM_BITS)


@dataclass(frozen=True)
class Registers:
    """Register values shared by every neuron of one population."""
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


def quantize_population(pop: Population, dt_ms: float) -> Registers:
    """Registers of one neuron population, from its physical or raw parameters."""
    model = get_model(pop.model)
    if pop.is_fixed:
        return _raw_registers(pop, model)
    ff = model.float_form(pop.params, dt_ms)
    scale = choose_scale(ff.threshold)
    where = f"population '{pop.name}'"
    bias_mant, bias_exp = split_bias(ff.gain * ff.bias * scale, where)
    if ff.refractory > (1 << fx.REFRACT_BITS) - 1:
        raise MappingError(f"{where}: refractory period of {ff.refractory} steps exceeds the "
                           f"{fx.REFRACT_BITS}-bit limit {(1 << fx.REFRACT_BITS) - 1}; shorten refractory_ms or raise dt")
    return Registers(
        du=decay_u_register(ff.decay_u), du_inh=decay_u_register(ff.decay_u_inh),
        dv=decay_register(ff.decay_v), vth=_mantissa(ff.threshold * scale),
        bias=bias_mant << bias_exp, refractory=ff.refractory,
        dth=decay_register(ff.decay_th),
        th_inc=_mantissa(ff.th_inc * scale),
        flags=_flags(ff.subtract, ff.adaptive, ff.dual), scale=scale, gain=ff.gain)


def _raw_registers(pop: Population, model) -> Registers:
    f = {**{k: p.default for k, p in model.fixed.items()}, **pop.fixed}
    du = f.get("du", fx.DECAY_MAX)          # IF has no du/dv: current lasts one step, no leak
    du_inh = f.get("du_inh")
    return Registers(
        du=du, du_inh=du if du_inh is None else du_inh, dv=f.get("dv", 0), vth=f["vth"],
        bias=f["bias"] << f["bias_exp"], refractory=f["refractory"], dth=f.get("dth", 0),
        th_inc=f.get("th_inc", 0), flags=_flags(f["reset"] == "subtract", model.adaptive, du_inh is not None),
        scale=1.0, gain=1.0)


def initial_registers(pop: Population, r: Registers) -> tuple[np.ndarray, np.ndarray]:
    """Initial (u, v) registers: ``U = gain * u * scale``, ``V = v * scale``, saturated to 24 bits."""
    out = []
    for var, factor in (("u", r.gain * r.scale), ("v", r.scale)):
        x = pop.initial.get(var)
        x = np.zeros(pop.size) if x is None else np.rint(np.asarray(x) * factor)
        out.append(np.clip(x, fx.V_MIN, fx.V_MAX).astype(np.int32))
    return out[0], out[1]


def _mantissa(v_counts: float) -> int:
    """Threshold-style mantissa ``round(v / 2**6)``, clipped to the 17-bit field."""
    return min(int(round(v_counts / (1 << fx.VTH_SHIFT))), (1 << fx.VTH_MANT_BITS) - 1)


def _flags(subtract: bool, adaptive: bool, dual: bool) -> int:
    return (FLAG_SUBTRACT if subtract else 0) | (FLAG_ADAPT if adaptive else 0) | (FLAG_DUAL if dual else 0)


def float_form_of_registers(r: Registers) -> FloatForm:
    """The float recurrence a fixed-point population implements (for the float reference)."""
    return FloatForm(decay_u=(r.du + fx.DU_OFFSET) / 4096, decay_u_inh=(r.du_inh + fx.DU_OFFSET) / 4096,
                     decay_v=r.dv / 4096, gain=1.0, bias=float(r.bias), threshold=float(r.vth << fx.VTH_SHIFT),
                     refractory=r.refractory, subtract=bool(r.flags & FLAG_SUBTRACT),
                     dual=bool(r.flags & FLAG_DUAL), decay_th=r.dth / 4096,
                     th_inc=float(r.th_inc << fx.VTH_SHIFT), adaptive=bool(r.flags & FLAG_ADAPT))


def choose_scale(threshold: float) -> float:
    """Largest power of two with ``threshold * scale <= 2**(23 - V_HEADROOM_BITS)``."""
    top = float(1 << (fx.V_BITS - 1 - V_HEADROOM_BITS))
    if threshold <= 0:
        return top
    return 2.0 ** math.floor(math.log2(top / threshold))


def decay_register(fraction: float) -> int:
    """12-bit decay ``round(4096 * fraction)`` clipped to 0..4095 (factor (4096-d)/4096)."""
    return int(min(max(round(fraction * 4096), 0), fx.DECAY_MAX))


def decay_u_register(fraction: float) -> int:
    """Current decay with Loihi's +1 offset: ``du = round(4096 * fraction) - 1``, clipped to 0..4095."""
    return int(min(max(round(fraction * 4096) - fx.DU_OFFSET, 0), fx.DECAY_MAX))


def split_bias(b: float, where: str) -> tuple[int, int]:
    """(mantissa, exponent) with the smallest exponent whose 13-bit mantissa holds ``round(b / 2**exp)``."""
    lo, hi = fx.signed_range(fx.BIAS_MANT_BITS)
    for exp in range(1 << fx.BIAS_EXP_BITS):
        m = int(round(b / (1 << exp)))
        if lo <= m <= hi:
            return m, exp
    raise MappingError(f"{where}: bias {b:.0f} (in v counts) exceeds the 13-bit mantissa with exponent <= 7; "
                       "lower the bias relative to the threshold")


def split_weights(w: np.ndarray, where: str) -> tuple[np.ndarray, int]:
    """Shared exponent and 9-bit mantissas for one synapse group of scaled weights ``w``.

    Picks the smallest exponent in -8..7 for which every ``round(w / 2**(6+exp))``
    fits in [-256, 255] (the most mantissa bits for the largest weight).
    """
    peak = float(np.max(np.abs(w))) if w.size else 0.0
    for exp in range(fx.WEIGHT_EXP_MIN, fx.WEIGHT_EXP_MAX + 1):
        m = np.rint(w / 2.0 ** (fx.ACT_SHIFT + exp))
        if m.size == 0 or (m.min() >= fx.WEIGHT_MIN and m.max() <= fx.WEIGHT_MAX):
            return m.astype(np.int16), exp
    raise MappingError(f"{where}: weight {peak:.0f} (in u counts) does not fit a 9-bit mantissa with exponent "
                       f"<= {fx.WEIGHT_EXP_MAX}; the weights are too large relative to the target's threshold")


def quantize_projection(proj: Projection, target: Registers, target_fixed: bool
                        ) -> tuple[np.ndarray, int, float]:
    """(mantissas, exponent, SNR in dB) of one projection's weights."""
    where = f"projection '{proj.name}'"
    if target_fixed:
        exp = 0 if proj.weight_exp is None else int(proj.weight_exp)
        return proj.weight.astype(np.int16), exp, math.inf
    scaled = proj.weight * target.gain * target.scale
    mant, exp = split_weights(scaled, where)
    err = mant * 2.0 ** (fx.ACT_SHIFT + exp) - scaled
    power, noise = float(np.sum(scaled ** 2)), float(np.sum(err ** 2))
    snr = math.inf if noise == 0 else 10 * math.log10(power / noise) if power > 0 else -math.inf
    return mant, exp, snr


def choose_port(proj: Projection, dual: bool) -> int:
    """Dendritic port of a projection: 1 (inh) or 0 (exc); ``dual``: the target has an inh port."""
    if proj.port == "inh" and not dual:
        raise MappingError(f"projection '{proj.name}': port 'inh' needs a target with a separate inhibitory "
                           f"current (tau_syn_inh_ms or du_inh on population '{proj.target}')")
    if proj.port == "auto":
        return int(dual and proj.weight.size > 0 and float(proj.weight.max()) <= 0 and float(proj.weight.min()) < 0)
    return int(proj.port == "inh")
