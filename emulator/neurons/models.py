"""Neuron model registry: parameter tables, float form and fixed-point form.

Every model is the same neuron unit (``kernels.neuron_step``) configured by
per-neuron parameters and flags, so every model shares one interface:

* ``physical`` parameters (time constants in ms, threshold/bias in the units of
  v, e.g. mV) describe what the user means. ``float_form`` turns them into the
  per-timestep float recurrence that both the float reference simulator and the
  quantizer use, so the two differ only by quantization:

      u     <- (1 - decay_u) * u + sum(w)            (exc port)
      u_inh <- (1 - decay_u_inh) * u_inh + sum(w)    (inh port, if separate)
      v     <- (1 - decay_v) * v + gain * (u + u_inh + bias)
      spike when v > threshold + th; reset v to 0 or subtract the threshold
      th    <- (1 - decay_th) * th, += th_inc on a spike        (alif)

  with noise (any model), ``noise_amplitude * U(-1, 1)`` is added to u (before v
  reads it) or to v every step; with two compartments (``lif2c``) the inh port is a
  dendritic current d instead, and v reads ``g(d) = d if d > dend_threshold else 0``,
  capped at ``dend_plateau``, in place of u_inh.

* ``fixed`` parameters are the raw register values (du, dv, vth, ...), for users
  who program the chip directly.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import fixed as fx

FLAG_SUBTRACT = 1   #: reset by subtraction instead of to zero
FLAG_ADAPT = 2      #: adaptive threshold register th in use
FLAG_DUAL = 4       #: separate inhibitory current register u_inh (own decay du_inh)
FLAG_NOISE_U = 8    #: LFSR noise added to the current u every update
FLAG_NOISE_V = 16   #: LFSR noise added to the voltage v every update (not while refractory)
FLAG_DEND = 32      #: two compartments: port 1 feeds a dendritic current (register u_inh, decay du_inh)
                    #: whose thresholded, saturated output drives the soma


@dataclass(frozen=True)
class Param:
    """One parameter: default (None = required), inclusive range, type, doc."""
    default: object
    lo: float | None
    hi: float | None
    kind: type
    doc: str


@dataclass(frozen=True)
class FloatForm:
    """Per-timestep float recurrence of one population (see module docstring)."""
    decay_u: float
    decay_u_inh: float
    decay_v: float
    gain: float
    bias: float
    threshold: float
    refractory: int
    subtract: bool
    dual: bool
    decay_th: float = 0.0
    th_inc: float = 0.0
    adaptive: bool = False
    noise_amp: float = 0.0       #: peak |noise| per step (units of u or v, see noise_on_u)
    noise_on_u: bool = False     #: noise enters u (filtered by the synapse) instead of v
    dend: bool = False           #: two compartments: u_inh is the dendritic current d
    dend_th: float = 0.0         #: d passes to the soma only above this (units of u)
    dend_sat: float = 0.0        #: and at most this much (the dendritic plateau)


_RESET = Param("zero", None, None, str, "reset mode: 'zero' (v <- 0) or 'subtract' (v <- v - threshold)")

_NOISE_TARGET = Param("v", None, None, str, "where the noise enters: 'v' (voltage) or 'u' (current)")
_NOISE_PHYSICAL = {
    "noise_amplitude": Param(0.0, 0.0, None, float,
                             "peak noise per step (uniform in +-amplitude, units of v, or of u with "
                             "noise_target u); 0: no noise"),
    "noise_target": _NOISE_TARGET,
}
_NOISE_FIXED = {
    "noise_mant": Param(0, 0, (1 << fx.NOISE_MANT_BITS) - 1, int,
                        "8-bit noise mantissa; each update adds (2*b - 255) * (mant << exp), b a random byte"),
    "noise_exp": Param(0, 0, (1 << fx.NOISE_EXP_BITS) - 1, int, "noise exponent"),
    "noise_target": _NOISE_TARGET,
}

# Physical parameter tables. Threshold, bias and weights share the units of v.
_LIF_PHYSICAL = {
    "tau_mem_ms": Param(20.0, 1e-6, None, float, "membrane time constant"),
    "tau_syn_ms": Param(5.0, 0.0, None, float, "synaptic current time constant (0: current lasts one step)"),
    "tau_syn_inh_ms": Param(None, 0.0, None, float,
                            "separate inhibitory time constant; negative weights then use the inh port"),
    "threshold": Param(1.0, 0.0, None, float, "spike threshold above the reset potential"),
    "bias": Param(0.0, None, None, float, "resting offset: v relaxes to this value without input"),
    "refractory_ms": Param(0.0, 0.0, None, float, "time v is held after a spike"),
    "reset": _RESET,
}
_IF_PHYSICAL = {
    "threshold": Param(1.0, 0.0, None, float, "spike threshold"),
    "bias": Param(0.0, None, None, float, "constant input added to v every timestep"),
    "refractory_ms": Param(0.0, 0.0, None, float, "time v is held after a spike"),
    "reset": Param("subtract", None, None, str, "reset mode: 'subtract' (soft reset, default) or 'zero'"),
}
_LIF_PHYSICAL.update(_NOISE_PHYSICAL)
_IF_PHYSICAL.update(_NOISE_PHYSICAL)
_ALIF_PHYSICAL = dict(_LIF_PHYSICAL)
_ALIF_PHYSICAL.update({
    "tau_th_ms": Param(100.0, 1e-6, None, float, "threshold adaptation time constant"),
    "th_inc": Param(0.1, 0.0, None, float, "threshold increase per spike, in units of v"),
})

# Raw (fixed-point) parameter tables: ranges are the register widths of fixed.py.
_FIXED = {
    "du": Param(fx.DECAY_MAX, 0, fx.DECAY_MAX, int, "12-bit current decay; factor (4096-(du+1))/4096"),
    "du_inh": Param(None, 0, fx.DECAY_MAX, int, "12-bit decay of the separate inhibitory current"),
    "dv": Param(0, 0, fx.DECAY_MAX, int, "12-bit voltage decay; factor (4096-dv)/4096"),
    "vth": Param(None, 0, (1 << fx.VTH_MANT_BITS) - 1, int, "threshold mantissa; spike when v > vth << 6"),
    "bias": Param(0, -(1 << (fx.BIAS_MANT_BITS - 1)), (1 << (fx.BIAS_MANT_BITS - 1)) - 1, int,
                  "13-bit signed bias mantissa"),
    "bias_exp": Param(0, 0, (1 << fx.BIAS_EXP_BITS) - 1, int, "bias exponent; bias = mant << exp"),
    "refractory": Param(0, 0, (1 << fx.REFRACT_BITS) - 1, int, "timesteps v is held after a spike"),
    "reset": _RESET,
}
_FIXED.update(_NOISE_FIXED)
_ALIF_FIXED = dict(_FIXED)
_ALIF_FIXED.update({
    "dth": Param(0, 0, fx.DECAY_MAX, int, "12-bit threshold-adaptation decay; factor (4096-dth)/4096"),
    "th_inc": Param(0, 0, (1 << fx.VTH_MANT_BITS) - 1, int, "adaptation per spike; th += th_inc << 6"),
})
_IF_FIXED = {k: v for k, v in _FIXED.items() if k not in ("du", "du_inh", "dv")}
_IF_FIXED["reset"] = _IF_PHYSICAL["reset"]

# Two compartments: the inh port becomes the dendrite (no separate inhibitory current).
_LIF2C_PHYSICAL = {k: v for k, v in _LIF_PHYSICAL.items() if k != "tau_syn_inh_ms"}
_LIF2C_PHYSICAL.update({
    "tau_dend_ms": Param(20.0, 0.0, None, float, "dendritic current time constant (port dend)"),
    "dend_threshold": Param(0.5, 0.0, None, float,
                            "the dendrite drives the soma only while its current exceeds this (units of u)"),
    "dend_plateau": Param(2.0, 0.0, None, float, "largest current the dendrite passes to the soma (units of u)"),
})
_LIF2C_FIXED = {k: v for k, v in _FIXED.items() if k != "du_inh"}
_LIF2C_FIXED.update({
    "dd": Param(fx.DECAY_MAX, 0, fx.DECAY_MAX, int, "12-bit dendritic current decay; factor (4096-(dd+1))/4096"),
    "dend_th": Param(0, 0, (1 << fx.DEND_MANT_BITS) - 1, int, "dendritic threshold mantissa: passes d > dend_th << 6"),
    "dend_sat": Param((1 << fx.DEND_MANT_BITS) - 1, 0, (1 << fx.DEND_MANT_BITS) - 1, int,
                      "dendritic plateau mantissa: passes at most dend_sat << 6"),
})


@dataclass(frozen=True)
class NeuronModel:
    name: str
    doc: str
    physical: dict
    fixed: dict
    adaptive: bool = False
    integrator: bool = False   #: IF: no leak, current lasts one step
    two_compartment: bool = False   #: lif2c: port 1 is a dendritic compartment

    def float_form(self, p: dict, dt_ms: float) -> FloatForm:
        """Forward-Euler per-step recurrence of the physical parameters ``p``."""
        refractory = int(round(p["refractory_ms"] / dt_ms))
        subtract = p["reset"] == "subtract"
        noise = {"noise_amp": p.get("noise_amplitude", 0.0), "noise_on_u": p.get("noise_target", "v") == "u"}
        if self.integrator:
            return FloatForm(1.0, 1.0, 0.0, 1.0, p["bias"], p["threshold"], refractory, subtract, False, **noise)
        gain = min(dt_ms / p["tau_mem_ms"], 1.0)
        du = _step_decay(p["tau_syn_ms"], dt_ms)
        dual = p.get("tau_syn_inh_ms") is not None
        du_inh = _step_decay(p["tau_syn_inh_ms"], dt_ms) if dual else du
        ff = FloatForm(du, du_inh, gain, gain, p["bias"], p["threshold"], refractory, subtract, dual, **noise)
        if self.adaptive:
            ff = FloatForm(**{**ff.__dict__, "decay_th": _step_decay(p["tau_th_ms"], dt_ms),
                              "th_inc": p["th_inc"], "adaptive": True})
        if self.two_compartment:
            ff = FloatForm(**{**ff.__dict__, "decay_u_inh": _step_decay(p["tau_dend_ms"], dt_ms), "dend": True,
                              "dend_th": p["dend_threshold"], "dend_sat": p["dend_plateau"]})
        return ff

    def with_defaults(self, given: dict, table: dict) -> dict:
        out = {k: prm.default for k, prm in table.items()}
        out.update(given)
        return out


def _step_decay(tau_ms: float, dt_ms: float) -> float:
    """Fraction lost per step, ``dt/tau`` (Euler), capped at 1 (tau <= dt: gone next step)."""
    return 1.0 if tau_ms <= dt_ms else dt_ms / tau_ms


MODELS: dict[str, NeuronModel] = {
    "lif": NeuronModel("lif", "Loihi-1 CUBA leaky integrate-and-fire", _LIF_PHYSICAL, _FIXED),
    "if": NeuronModel("if", "integrate-and-fire, soft reset (for ANN conversion)", _IF_PHYSICAL, _IF_FIXED,
                      integrator=True),
    "alif": NeuronModel("alif", "CUBA LIF with an adaptive threshold", _ALIF_PHYSICAL, _ALIF_FIXED,
                        adaptive=True),
    "lif2c": NeuronModel("lif2c", "two-compartment CUBA LIF: a dendritic current with a thresholded, "
                         "saturating output drives the soma", _LIF2C_PHYSICAL, _LIF2C_FIXED, two_compartment=True),
}
SOURCE = "source"   #: the pseudo-model of stimulus populations (host spike sources)


def get_model(name: str) -> NeuronModel:
    """The registered model ``name``; KeyError lists the valid names."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown neuron model {name!r}; valid: {', '.join(sorted(MODELS))}, {SOURCE}") from None
