"""Built-in learning rules: names usable from YAML (``plasticity: {rule: NAME}``), each a
rule text of the grammar (``emulator.learning.rules``) plus default trace and weight settings.

A built-in's ``dw`` is a template: ``{a}``-style fields are power-of-two exponents
that the YAML may override under ``plasticity.params``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import NeuroemuError


@dataclass(frozen=True)
class BuiltinRule:
    dw: str                               #: rule template
    doc: str
    params: dict = field(default_factory=dict)    #: template field -> default exponent
    traces: dict = field(default_factory=dict)    #: trace -> (decay, impulse) defaults
    sign: str = "exc"
    dt: str | None = None                         #: tag (eligibility trace) rule template, or None


_STDP_TRACES = {"x1": (512, 64), "y1": (512, 64)}     # tau ~ 8 steps: 4096/512

BUILTINS: dict[str, BuiltinRule] = {
    "stdp_additive": BuiltinRule(
        "2^{a_plus}*x1*y0 - 2^{a_minus}*y1*x0",
        "pair STDP, additive: potentiate by the pre trace at a post spike, depress by the post trace "
        "at a pre spike", {"a_plus": -3, "a_minus": -3}, _STDP_TRACES),
    "stdp_multiplicative": BuiltinRule(
        "2^{a_plus}*127*x1*y0 - 2^{a_plus}*w*x1*y0 - 2^{a_minus}*w*y1*x0",
        "pair STDP, multiplicative (soft bounds): potentiation scales with (127 - w), depression with w",
        {"a_plus": -7, "a_minus": -7}, _STDP_TRACES),
    "competitive": BuiltinRule(
        "2^{a_plus}*x1*y0 - 2^{a_minus}*w*y0",
        "winner-take-all STDP (Oja-like): at each post spike the weights move toward the pre traces, "
        "w -> 2^(a_plus - a_minus) * x1; with lateral inhibition the winner learns its input's prototype",
        {"a_plus": -3, "a_minus": -4}, {"x1": (410, 32)}),
    "reward_stdp": BuiltinRule(
        "2^{a}*r*x1*y0 - 2^{a}*r*y1*x0",
        "reward-modulated pair STDP: the STDP pair terms gated and signed by the third factor r",
        {"a": -4}, _STDP_TRACES, "mixed"),
    "reward_eligibility": BuiltinRule(
        "2^{a}*r*t",
        "reward-modulated STDP with an eligibility trace (Izhikevich 2007; Loihi's synaptic tag): pair STDP "
        "accumulates in the synapse's tag t, which decays by 2^tau per epoch; the weight moves by "
        "2^a * r * t, so a reward r arriving after the spikes still credits the synapses that caused them",
        {"a": -4, "a_plus": -1, "a_minus": -2, "tau": -5}, _STDP_TRACES, "mixed",
        dt="2^{a_plus}*x1*y0 - 2^{a_minus}*y1*x0 - 2^{tau}*t"),
    "supervised": BuiltinRule(
        "2^{a_plus}*x1*y0 - 2^{a_minus}*w*y0",
        "supervised STDP with competition groups: the competitive rule, where a teacher projection "
        "(labels) lets only the label's group fire and therefore learn",
        {"a_plus": -3, "a_minus": -4}, {"x1": (410, 32)}),
}


def builtin_rule(name: str) -> BuiltinRule:
    """The built-in rule ``name``; the error lists the valid names."""
    try:
        return BUILTINS[name]
    except KeyError:
        raise NeuroemuError(f"unknown learning rule {name!r}; built-in rules: {', '.join(sorted(BUILTINS))}, "
                            "or give a dw: expression") from None


def expand(name: str, params: dict) -> str:
    """The rule text of built-in ``name`` with its exponents (defaults overridden by ``params``)."""
    b = builtin_rule(name)
    unknown = set(params) - set(b.params)
    if unknown:
        raise NeuroemuError(f"rule {name!r} has no parameter {sorted(unknown)[0]!r}; its parameters: "
                            f"{', '.join(sorted(b.params)) or 'none'}")
    return b.dw.format(**{**b.params, **params})


def expand_dt(name: str, params: dict) -> str | None:
    """The tag rule text of built-in ``name`` (None if it has none), exponents as in ``expand``."""
    b = builtin_rule(name)
    return b.dt.format(**{**b.params, **params}) if b.dt else None
