"""Fixed-point primitives of the learning engine (ARCHITECTURE.md §2, "Learning engine").

Widths are named constants, like the RTL parameters; every primitive is a
small pure function whose docstring gives the integer formula, its rounding and
its overflow. They are Numba-compiled so the learn kernel inlines them, and
callable from Python on plain ints (the twin in ``tests/reference/learning_ref.py``
re-derives each one without importing it).
"""
from __future__ import annotations

from .._jit import kernel
from ..fixed import LFSR_BITS, LFSR_MASK, lfsr_next  # noqa: F401  (the chip-wide generator, re-exported)

TRACE_BITS = 7                      #: pre/post traces x1, x2, y1, y2, y3: unsigned, saturate
TRACE_MAX = (1 << TRACE_BITS) - 1   #: 127
TRACE_DECAY_BITS = 12               #: trace decay d: 0..4095, x * (4096 - d) >> 12
TRACE_DECAY_MAX = (1 << TRACE_DECAY_BITS) - 1
ACC_FRAC_BITS = 8                   #: fractional bits of the dw accumulator (scales down to 2^-8)
SCALE_EXP_MIN = -ACC_FRAC_BITS      #: smallest power-of-two scale of a rule term
SCALE_EXP_MAX = 7                   #: largest power-of-two scale of a rule term
TAG_BITS = 9                        #: synaptic tag t (eligibility trace): signed, saturates like the weight register
TAG_MIN = -(1 << (TAG_BITS - 1))    #: -256
TAG_MAX = (1 << (TAG_BITS - 1)) - 1 #: 255


@kernel
def trace_decay(x, d, rnd):
    """Decay of a trace with stochastic rounding: ``(x * (4096 - d) + rnd) >> 12``.

    ``rnd`` is 12 uniform random bits (0..4095) from the core's LFSR, so the
    expected result is exactly ``x * (4096 - d) / 4096`` (no drift toward zero
    as truncation would have). x >= 0, so the shift is a plain floor.
    """
    return (x * ((1 << TRACE_DECAY_BITS) - d) + rnd) >> TRACE_DECAY_BITS


@kernel
def trace_step(x, d, impulse, spiked, rnd):
    """One timestep of a 7-bit trace: ``min(trace_decay(x, d, rnd) + impulse * spiked, 127)``.

    The impulse is added after the decay (a spike of this step counts in full)
    and the sum saturates at TRACE_MAX, as the hardware's saturating adder does.
    """
    y = trace_decay(x, d, rnd) + impulse * spiked
    return TRACE_MAX if y > TRACE_MAX else y


@kernel
def round_dw(acc, rnd):
    """Integer weight change from the accumulator: ``(acc + rnd) >> 8``.

    ``acc`` holds dw with ACC_FRAC_BITS fractional bits; ``rnd`` is 8 uniform
    random bits, so this is stochastic rounding (floor of acc/256 plus one with
    probability frac/256); the arithmetic shift floors negative values too.
    """
    return (acc + rnd) >> ACC_FRAC_BITS


@kernel
def apply_dw(w, dw, wmin, wmax):
    """New weight mantissa: ``clamp(w + dw, wmin, wmax)`` (the weight register saturates)."""
    y = w + dw
    if y > wmax:
        return wmax
    if y < wmin:
        return wmin
    return y


@kernel
def apply_dt(tag, dt):
    """New synaptic tag: ``clamp(tag + dt, TAG_MIN, TAG_MAX)`` (a signed TAG_BITS register that saturates)."""
    y = tag + dt
    if y > TAG_MAX:
        return TAG_MAX
    if y < TAG_MIN:
        return TAG_MIN
    return y
