"""LearningSpec: the validated, integer description of one plastic projection
(what the mapper turns into a rule program and a ``rule_param`` row)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import fixed as fx
from .fixed import TRACE_DECAY_MAX, TRACE_MAX
from .kernels import RULE_PARAMS
from .rules import Rule, parse_rule

TRACE_NAMES = ("x1", "x2", "y1", "y2", "y3")
#: sign mode -> weight mantissa bounds
SIGN_BOUNDS = {"exc": (0, fx.WEIGHT_MAX), "inh": (fx.WEIGHT_MIN, 0), "mixed": (fx.WEIGHT_MIN, fx.WEIGHT_MAX)}


@dataclass(frozen=True)
class LearningSpec:
    dw: str                           #: rule text (grammar of emulator.learning.rules)
    name: str = "custom"              #: built-in name, or "custom"
    epoch: int = 1                    #: learning epoch in timesteps
    wmin: int = 0
    wmax: int = fx.WEIGHT_MAX
    traces: dict = field(default_factory=dict)   #: trace name -> (decay 0..4095, impulse 0..127)
    dt: str | None = None             #: tag (eligibility trace) rule text, ``dt = ...``; None: no tag
    third_factor: object = None       #: emulator.learning.config.ThirdFactor: who sets r (None: the host, by hand)
    params: dict = field(default_factory=dict)   #: the built-in's exponents as given (for per-epoch overrides)
    structural: object = None         #: emulator.learning.structural.StructuralSpec: rewiring (None: none)

    def __post_init__(self):
        parse_rule(self.dw)           # raises RuleError pointing at the token
        if self.dt is not None:
            parse_rule(self.dt, "dt")
        if not 1 <= self.epoch <= 1 << 16:
            raise ValueError(f"learning epoch {self.epoch} outside 1..65536")
        if not fx.WEIGHT_MIN <= self.wmin <= self.wmax <= fx.WEIGHT_MAX:
            raise ValueError(f"weight bounds [{self.wmin}, {self.wmax}] outside [{fx.WEIGHT_MIN}, {fx.WEIGHT_MAX}]")
        for k, (d, imp) in self.traces.items():
            if k not in TRACE_NAMES or not 0 <= d <= TRACE_DECAY_MAX or not 0 <= imp <= TRACE_MAX:
                raise ValueError(f"trace {k}: decay {d} / impulse {imp} invalid (decay 0..{TRACE_DECAY_MAX}, "
                                 f"impulse 0..{TRACE_MAX}, traces {TRACE_NAMES})")

    @property
    def rule(self) -> Rule:
        return parse_rule(self.dw)

    def tag_program(self) -> np.ndarray:
        """The encoded tag program (all 0 when the rule has none)."""
        if self.dt is None:
            return np.zeros_like(self.rule.encode())
        return parse_rule(self.dt, "dt").encode()

    def param_row(self) -> np.ndarray:
        """The ``rule_param`` row (RULE_PARAMS order); unset traces have decay 0 and impulse 0."""
        vals = {"epoch": self.epoch, "wmin": self.wmin, "wmax": self.wmax}
        for k in TRACE_NAMES:
            d, imp = self.traces.get(k, (0, 0))
            vals[k + "_decay"], vals[k + "_impulse"] = d, imp
        return np.array([vals[p] for p in RULE_PARAMS], np.int32)

    def post_key(self) -> tuple:
        """What every learning rule into one neuron must agree on: epoch and post-trace settings."""
        return (self.epoch, *(self.traces.get(k, (0, 0)) for k in ("y1", "y2", "y3")))
