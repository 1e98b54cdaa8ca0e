"""Plain-Python twin of the counter-based Poisson generator (emulator.io.stimulus)."""
MASK = (1 << 64) - 1


def mix64_ref(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def uniform32_ref(seed, stream, t):
    key = mix64_ref(mix64_ref(seed) ^ stream)
    return mix64_ref(key ^ ((t * 0x9E3779B97F4A7C15) & MASK)) >> 32


def poisson_ref(seed, pop_index, thresholds, t_lo, t_hi):
    return [(t, i) for t in range(t_lo, t_hi) for i, thr in enumerate(thresholds)
            if uniform32_ref(seed, (pop_index << 24) | i, t) < thr]
