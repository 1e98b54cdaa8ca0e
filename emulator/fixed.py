"""Fixed-point widths and primitives of the reference chip (Loihi-1 compatible).

Every width and limit of the neuron datapath is a named constant here, named
like the RTL parameter that carries it (``rtl_models/``). Every primitive is a
small pure function whose docstring gives the integer formula, its rounding and
its overflow behaviour. They are Numba-compiled so kernels can inline them, and
callable from Python on plain ints.

Sources for the semantics: Lava ``lava/proc/lif/models.py`` (the bit-accurate
``PyLifModelBitAcc``), nengo-loihi ``builder/discretize.py::decay_int`` and its
emulator, Davies et al. 2018 (IEEE Micro 38(1)). Where this chip differs from
Lava it is written in ``docs/chip.md``.
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel

I32 = np.int32         #: the neuron datapath's lane type: every register and intermediate fits 26 bits

# --- neuron state registers -------------------------------------------------
U_BITS = 24            #: synaptic current u: signed, wraps on overflow (two's complement)
V_BITS = 24            #: membrane voltage v: signed, saturates
V_MAX = (1 << (V_BITS - 1)) - 1     #: +8_388_607, upper saturation of v
V_MIN = -V_MAX                      #: -8_388_607, lower saturation of v (symmetric, as Lava)
ACC_BITS = 24          #: dendritic accumulator slot: signed, wraps like u

# --- decays -----------------------------------------------------------------
DECAY_BITS = 12        #: du, dv, dth are 12-bit unsigned: 0..4095
DECAY_SHIFT = 12       #: x*(4096-d) >> 12: the multiplier is MSB-aligned to 2**12
DECAY_MAX = (1 << DECAY_BITS) - 1
DU_OFFSET = 1          #: Loihi adds 1 to du so that u can decay fully (factor 0)
DV_OFFSET = 0          #: no offset on dv: dv=0 is a perfect integrator

# --- inputs, bias, threshold ------------------------------------------------
ACT_SHIFT = 6          #: synaptic input enters u MSB-aligned: w << (6 + exp)
VTH_SHIFT = 6          #: threshold compared as vth << 6
VTH_MANT_BITS = 17     #: unsigned threshold mantissa: 0..131071
BIAS_MANT_BITS = 13    #: signed bias mantissa: -4096..4095
BIAS_EXP_BITS = 3      #: unsigned bias exponent: bias = mant << exp, exp 0..7
REFRACT_BITS = 6       #: refractory period in timesteps: 0..63

# --- synapses -----------------------------------------------------------------
WEIGHT_BITS = 9        #: signed weight mantissa, 8 bits of magnitude + sign: -256..255
WEIGHT_MIN = -(1 << (WEIGHT_BITS - 1))
WEIGHT_MAX = (1 << (WEIGHT_BITS - 1)) - 1
WEIGHT_EXP_MIN = -8    #: 4-bit signed exponent per synapse group
WEIGHT_EXP_MAX = 7
DELAY_BITS = 6         #: per-synapse axonal delay field
MAX_DELAY = 62         #: largest delay in timesteps (6 bits, two codes reserved)
#: a synapse's weight and delay share one 16-bit word of synapse memory: bits 0-8 hold the
#: weight mantissa (two's complement), bits 9-14 the delay, bit 15 is spare
SYN_DELAY_SHIFT = WEIGHT_BITS
SYN_WEIGHT_MASK = (1 << WEIGHT_BITS) - 1

# --- adaptive threshold (ALIF) ------------------------------------------------
TH_BITS = 24           #: threshold adaptation register: unsigned part of v's range, saturates
TH_MAX = V_MAX

# --- per-core pseudo-random generators (learning rounding, neuron noise) -----------
LFSR_BITS = 32         #: per-core pseudo-random generator width
LFSR_MASK = (1 << LFSR_BITS) - 1

# --- noise (noisy neurons, issue #8) ------------------------------------------
NOISE_MANT_BITS = 8    #: unsigned noise amplitude mantissa: 0..255
NOISE_EXP_BITS = 3     #: unsigned noise exponent: amplitude = mant << exp, exp 0..7
NOISE_RAND_BITS = 8    #: random bits of one draw (the top byte of the core's noise LFSR)

# --- dendritic compartment (two-compartment neurons, issue #8) -----------------
DEND_MANT_BITS = 17    #: dendritic threshold and plateau mantissas, compared as mant << 6 like vth

# --- reset modes ----------------------------------------------------------------
RESET_ZERO = 0         #: v <- 0 after a spike
RESET_SUBTRACT = 1     #: v <- v - (vth << 6) after a spike (soft reset)


def signed_range(bits: int) -> tuple[int, int]:
    """Range of a two's-complement field of ``bits`` bits: [-2**(bits-1), 2**(bits-1)-1]."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def unsigned_range(bits: int) -> tuple[int, int]:
    """Range of an unsigned field of ``bits`` bits: [0, 2**bits - 1]."""
    return 0, (1 << bits) - 1


@kernel
def wrap(x, bits):
    """Two's-complement wrap of ``x`` into ``bits`` bits.

    ``((x + 2**(bits-1)) mod 2**bits) - 2**(bits-1)``, exact for any int64 x.
    The hardware register simply drops the carry out of its MSB.
    """
    half = 1 << (bits - 1)
    return ((x + half) & ((1 << bits) - 1)) - half


@kernel
def saturate(x, lo, hi):
    """Clamp ``x`` into ``[lo, hi]`` (the saturating adder of the v register)."""
    if x > hi:
        return hi
    if x < lo:
        return lo
    return x


@kernel
def decay(x, d, offset):
    """Multiplicative decay with rounding toward zero.

    ``sign(x) * ((|x| * (4096 - offset - d)) >> 12)`` computed in int64.
    The 12-bit decay ``d`` is MSB-aligned against 2**12 (DECAY_SHIFT); the
    magnitude is shifted, not the signed value, so negative values round
    toward zero exactly like positive ones (Lava, nengo-loihi ``decay_int``).
    ``offset`` is DU_OFFSET for u and DV_OFFSET for v.
    """
    m = (1 << DECAY_SHIFT) - offset - d
    # branch-free truncation toward zero: a negative product is biased by
    # 2**12 - 1 before the arithmetic shift, turning floor into ceil
    p = x * m
    return (p + ((p >> 63) & ((1 << DECAY_SHIFT) - 1))) >> DECAY_SHIFT


@kernel
def decay24(x, d, offset):
    """``decay`` of a 24-bit register in 32-bit lanes (int32 in, int32 out).

    ``x = xh * 2**12 + xl`` with ``xh = x >> 12`` (12 bits, signed) and ``0 <= xl < 2**12``, so
    ``trunc(x * m / 2**12) = xh * m + ((xl * m + (x < 0 ? 2**12 - 1 : 0)) >> 12)``: the
    multiplier's 24 x 13-bit product, split into two 12 x 13-bit halves that each fit 25 bits.
    Equal to ``decay(x, d, offset)`` for every ``-2**23 <= x < 2**23``; it lets the neuron loop run
    twice as many neurons per vector instruction as 64-bit lanes would.
    """
    m = I32((1 << DECAY_SHIFT) - offset - d)
    high = I32(I32(x >> DECAY_SHIFT) * m)
    low = I32(I32(x & ((1 << DECAY_SHIFT) - 1)) * m)
    # rounding toward zero: a negative x biases the low half before the floor shift
    low = I32(low + I32((x >> 31) & ((1 << DECAY_SHIFT) - 1)))
    return I32(high + I32(low >> DECAY_SHIFT))


#: ``decay24_slow`` needs ``offset + d <= SLOW_DECAY_MAX`` (time constants of 16 steps or more)
SLOW_DECAY_MAX = 255


@kernel
def decay24_slow(x, d, offset):
    """``decay`` of a 24-bit register for a slow decay, ``e = offset + d <= 255``, in 32-bit lanes
    with one product instead of ``decay24``'s two.

    ``x * (4096 - e) = 4096 x - x e``, so ``trunc(x (4096 - e) / 2**12) = x - ((x e + b) >> 12)``
    with ``b = 2**12 - 1`` for ``x >= 0`` (the part taken off rounds up) and ``b = 0`` for
    ``x < 0`` (it rounds down): truncation toward zero either way. ``|x e| <= 2**23 * 255`` fits
    31 bits. Equal to ``decay(x, d, offset)`` for every ``-2**23 <= x < 2**23`` and such ``e``.
    """
    e = I32(offset + d)
    bias = I32(~(x >> 31) & ((1 << DECAY_SHIFT) - 1))
    return I32(x - I32(I32(I32(x * e) + bias) >> DECAY_SHIFT))


@kernel
def weight_contribution(w, exp):
    """Dendritic input of one synaptic event: ``w << (6 + exp)``.

    The 9-bit mantissa is MSB-aligned with ACT_SHIFT=6 plus the group's
    exponent. When ``6 + exp < 0`` (exp = -7, -8) it is an arithmetic right
    shift, i.e. rounding toward minus infinity, as a hardware shifter does.
    """
    s = ACT_SHIFT + exp
    if s >= 0:
        return w << s
    return w >> (-s)


@kernel
def synapse_word(w, d):
    """Synapse-memory word of weight mantissa ``w`` and delay ``d``: ``(w & 0x1ff) | (d << 9)``.

    ``w`` in [WEIGHT_MIN, WEIGHT_MAX] keeps its 9-bit two's-complement pattern, ``d`` in
    0..MAX_DELAY its 6 bits above it; the word fits 15 bits (uint16 storage).
    """
    return (w & SYN_WEIGHT_MASK) | (d << SYN_DELAY_SHIFT)


@kernel
def word_weight(word):
    """Weight mantissa of a synapse word: bits 0-8 sign-extended, ``((word & 0x1ff) ^ 0x100) - 0x100``."""
    sign = 1 << (WEIGHT_BITS - 1)
    return ((word & SYN_WEIGHT_MASK) ^ sign) - sign


@kernel
def word_delay(word):
    """Delay of a synapse word in timesteps: ``word >> 9`` (the spare bit 15 is always 0)."""
    return word >> SYN_DELAY_SHIFT


@kernel
def with_weight(word, w):
    """The word with its weight replaced by ``w`` and its delay kept: ``(word & ~0x1ff) | (w & 0x1ff)``
    (the learning engine's read-modify-write of one synapse)."""
    return (word & ~SYN_WEIGHT_MASK) | (w & SYN_WEIGHT_MASK)


@kernel
def scale_bias(mant, exp):
    """Effective bias added to v each timestep: ``mant << exp`` (exp in 0..7)."""
    return mant << exp


@kernel
def threshold_value(vth_mant):
    """Spike threshold in v units: ``vth_mant << 6`` (VTH_SHIFT MSB alignment)."""
    return vth_mant << VTH_SHIFT


@kernel
def lfsr_next(s):
    """Next state of a core's 32-bit linear-feedback generator (xorshift32, Marsaglia 2003).

    ``s ^= s << 13; s ^= s >> 17; s ^= s << 5``, each left shift truncated to 32 bits.
    Linear over GF(2) like a Galois LFSR, but it advances 32 bits per draw, so
    consecutive draws are not shifted copies of each other. ``s`` must be non-zero
    (0 is its only fixed point); the period is 2**32 - 1.
    """
    s = s ^ ((s << 13) & LFSR_MASK)
    s = s ^ (s >> 17)
    s = s ^ ((s << 5) & LFSR_MASK)
    return s


def noise_lfsr_seed(seed: int, core: int) -> int:
    """Initial state of ``core``'s neuron-noise LFSR: a 32-bit mix of (seed, core), never 0.

    ``s = (((seed + 0x632BE5AB) * 0xC2B2AE3D) ^ ((core + 1) * 0x27D4EB2F)) mod 2**32``, 0 -> 1:
    another mix than the learning LFSR's, so the two streams of a core are unrelated.
    """
    s = (((int(seed) + 0x632BE5AB) * 0xC2B2AE3D) ^ ((int(core) + 1) * 0x27D4EB2F)) & LFSR_MASK
    return s or 1


@kernel
def noise_value(r, amp):
    """Noise added to u or v by one update of a noisy neuron: ``(2*b - 255) * amp``.

    ``b = r >> 24`` is the top byte (NOISE_RAND_BITS) of the core's freshly stepped
    32-bit noise LFSR, so ``2*b - 255`` takes the 256 odd values -255..255 with equal
    probability: zero mean, symmetric. ``amp = mant << exp`` (8-bit mantissa, 3-bit
    exponent), so ``|noise| <= 255 * (255 << 7) < 2**23`` fits the 24-bit registers.
    """
    return (2 * (r >> (32 - NOISE_RAND_BITS)) - ((1 << NOISE_RAND_BITS) - 1)) * amp


@kernel
def dendrite_output(d, th_mant, sat_mant):
    """Current the dendritic compartment passes to the soma: thresholded and saturating.

    ``0 if d <= th_mant << 6 else min(d, sat_mant << 6)``: a dendritic current at or
    below its threshold is blocked (negative currents always are, the threshold being
    unsigned), above it the dendrite passes it up to a plateau, like an NMDA spike.
    The mantissas are MSB-aligned to v with VTH_SHIFT, as the soma's threshold is.
    """
    sat = sat_mant << VTH_SHIFT
    return 0 if d <= (th_mant << VTH_SHIFT) else (d if d < sat else sat)
