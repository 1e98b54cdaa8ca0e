"""Plain-Python twin of ``emulator.neurons.kernels.neuron_step``.

Written from the ordering contract in the kernel's docstring with Python's
unbounded ints and explicit masks, deliberately not importing emulator.fixed,
so a shared bug cannot hide.
"""

U_BITS = V_BITS = ACC_BITS = 24
V_MAX = 2 ** 23 - 1
V_MIN = -(2 ** 23 - 1)
SUBTRACT, ADAPT, DUAL, NOISE_U, NOISE_V, DEND = 1, 2, 4, 8, 16, 32


def wrap(x, bits):
    """Keep the low ``bits`` bits and reinterpret them as two's complement."""
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >= 1 << (bits - 1) else x


def decay_toward_zero(x, d, offset):
    """x * (4096 - offset - d) / 4096, truncated toward zero."""
    num = abs(x) * (4096 - offset - d)
    q = num // 4096
    return q if x >= 0 else -q


def xorshift32(s):
    """Next state of a 32-bit xorshift generator (13, 17, 5), Python ints."""
    s ^= (s << 13) % 2 ** 32
    s ^= s >> 17
    s ^= (s << 5) % 2 ** 32
    return s


def noise_ref(state, amp):
    """(next LFSR state, noise): the top byte b of the stepped state gives (2b - 255) * amp."""
    state = xorshift32(state)
    return state, (2 * (state // 2 ** 24) - 255) * amp


def neuron_step_ref(a, a_inh, u, u_inh, v, th, ref, du, du_inh, dv, vth, bias, refractory, dth, th_inc, flags,
                    noise=0, dend_th=0, dend_sat=0):
    u = wrap(decay_toward_zero(u, du, 1) + wrap(a, ACC_BITS) + (noise if flags & NOISE_U else 0), U_BITS)
    if flags & (DUAL | DEND):
        u_inh = wrap(decay_toward_zero(u_inh, du_inh, 1) + wrap(a_inh, ACC_BITS), U_BITS)
    second = u_inh
    if flags & DEND:
        if u_inh > dend_th * 64:
            second = min(u_inh, dend_sat * 64)
        else:
            second = 0
    if flags & ADAPT:
        th = decay_toward_zero(th, dth, 0)
    if ref > 0:
        return u, u_inh, v, th, ref - 1, False
    v = min(max(decay_toward_zero(v, dv, 0) + u + second + bias + (noise if flags & NOISE_V else 0), V_MIN), V_MAX)
    theta = vth * 64 + th
    if v > theta:
        v = v - theta if flags & SUBTRACT else 0
        if flags & ADAPT:
            th = min(th + th_inc * 64, V_MAX)
        return u, u_inh, v, th, refractory, True
    return u, u_inh, v, th, ref, False


def synapse_ref(word):
    """(weight, delay) of a 16-bit synapse word: the low 9 bits are the weight in two's complement,
    the next 6 the delay."""
    w = word % 512
    return (w - 512 if w >= 256 else w), word // 512


def weight_contribution_ref(w, exp):
    """w * 2**(6+exp), floored when the shift is negative."""
    s = 6 + exp
    return w * 2 ** s if s >= 0 else w // 2 ** (-s)
