"""Run schedules with sleep phases (docs/learning.md, "Sleep").

A schedule is a list of phases; each runs ``steps`` timesteps with its input on or off and
with its own rule program for the plastic projections (wake: the projection's rule; sleep:
e.g. a decay toward a baseline plus STDP driven by spontaneous, noise-evoked activity).
Switching a phase only swaps which rule program the learn phase interprets (as the chip
would reload its learning-rule registers); input on/off is in the stimulus the host sends.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rules import parse_rule


@dataclass(frozen=True)
class Phase:
    kind: str                     #: "wake" (input on) or "sleep" (input off, noise on)
    steps: int
    dw: str | None = None         #: rule of this phase for every plastic projection; None: the image's rules


def use_rule(sim, dw: str | None) -> None:
    """Make every plastic projection of ``sim`` learn with rule ``dw`` (None: back to the image's rules)."""
    if dw is None:
        prog = sim.image.rule_prog
    else:
        prog = np.repeat(parse_rule(dw).encode()[None], sim.image.n_rules, axis=0)
    sim.tables = sim.tables._replace(rule_prog=prog)


def phase_windows(phases: list[Phase]) -> list[tuple[str, int, int]]:
    """(kind, first step, end step) of every phase, in order."""
    out, t = [], 0
    for p in phases:
        out.append((p.kind, t, t + p.steps))
        t += p.steps
    return out


def weight_entropy(w: np.ndarray, lo: int, hi: int, bins: int = 32) -> float:
    """Shannon entropy (bits) of the histogram of weights ``w`` over ``bins`` equal bins of [lo, hi]:
    log2(bins) for a flat distribution, 0 when every weight sits in one bin (saturated)."""
    h, _ = np.histogram(w, bins=bins, range=(lo, hi + 1))
    p = h[h > 0] / max(1, h.sum())
    return float(-(p * np.log2(p)).sum()) + 0.0       # + 0.0: never -0.0
