"""Float reference simulator of the Network IR (numpy, float64).

It runs the per-timestep float recurrence of ``emulator.neurons.models``
(the same one the quantizer maps onto registers), with the same synapses,
delays, initial state and stimulus spikes as the chip, so the difference
between this and the chip is the quantization alone. Physical populations
run in their physical units; fixed-point populations run their registers'
float form (``quantize.float_form_of_registers``).
"""
from __future__ import annotations

import numpy as np

from ..fixed import ACT_SHIFT
from ..io.stimulus import Stimulus
from ..mapping.quantize import choose_port, float_form_of_registers, quantize_population
from .network import Network, population_float_form


class _FloatPop:
    def __init__(self, pop, net: Network, ring: int, seed: int = 0):
        if pop.is_fixed:
            ff = float_form_of_registers(quantize_population(pop, net.dt_ms))
        else:
            ff = population_float_form(pop, net.dt_ms)
        self.ff, n = ff, pop.size
        self.u = np.array(pop.initial.get("u", np.zeros(n)), dtype=np.float64)
        self.v = np.array(pop.initial.get("v", np.zeros(n)), dtype=np.float64)
        self.u_inh, self.th = np.zeros(n), np.zeros(n)
        self.ref = np.zeros(n, np.int64)
        self.acc = np.zeros((2, ring, n))
        self.rng = np.random.default_rng(seed)   # noise (the chip's LFSR stream is not reproduced)

    def step(self, slot: int) -> np.ndarray:
        ff = self.ff
        a, a_inh = self.acc[0, slot].copy(), self.acc[1, slot].copy()
        self.acc[:, slot] = 0.0
        noise = ff.noise_amp * self.rng.uniform(-1.0, 1.0, self.v.size) if np.any(ff.noise_amp) else 0.0
        self.u = (1 - ff.decay_u) * self.u + a + (noise if ff.noise_on_u else 0.0)
        if ff.dual or ff.dend:
            self.u_inh = (1 - ff.decay_u_inh) * self.u_inh + a_inh
        second = self.u_inh
        if ff.dend:   # the dendrite passes its current above threshold, up to the plateau
            second = np.where(self.u_inh > ff.dend_th, np.minimum(self.u_inh, ff.dend_sat), 0.0)
        if ff.adaptive:
            self.th *= 1 - ff.decay_th
        free = self.ref == 0
        self.ref[~free] -= 1
        v_new = (1 - ff.decay_v) * self.v + ff.gain * (self.u + second + ff.bias)
        if not ff.noise_on_u:
            v_new = v_new + noise
        self.v = np.where(free, v_new, self.v)
        theta = ff.threshold + self.th
        spiked = free & (self.v > theta)
        self.v[spiked] = (self.v - theta)[spiked] if ff.subtract else 0.0
        self.ref[spiked] = np.broadcast_to(ff.refractory, spiked.shape)[spiked]
        if ff.adaptive:
            self.th[spiked] += ff.th_inc
        return np.flatnonzero(spiked)


def simulate_float(net: Network, stimulus: Stimulus, timesteps: int, host_first: dict) -> dict:
    """Run ``timesteps`` steps; return population name -> (times, indices) of its spikes.

    ``host_first`` maps each source population to its first host id in ``stimulus``.
    """
    max_delay = max((int(p.delay.max()) for p in net.projections if p.n_synapses), default=0)
    ring = max_delay + 1
    pops = {p.name: _FloatPop(p, net, ring, seed=net.seed + i) for i, p in enumerate(net.populations)
            if not p.is_source}
    by_source = {}
    for proj in net.projections:
        tgt = net.population(proj.target)
        factor = 1.0
        if tgt.is_fixed:
            factor = 2.0 ** (ACT_SHIFT + (proj.weight_exp or 0))
        port = choose_port(proj, bool(pops[proj.target].ff.dual))
        order = np.argsort(proj.pre, kind="stable")
        ptr = np.searchsorted(proj.pre[order], np.arange(net.population(proj.source).size + 1))
        by_source.setdefault(proj.source, []).append(
            (pops[proj.target], port, ptr, proj.post[order], proj.weight[order] * factor, proj.delay[order]))
    host_ptr, host_ids = stimulus.window(-1, timesteps - 1)
    spikes = {name: ([], []) for name in pops}
    last = {p.name: np.zeros(0, np.int64) for p in net.populations}
    for t in range(timesteps):
        # deliver the spikes of step t-1
        ids = host_ids[host_ptr[t]:host_ptr[t + 1]]
        for p in net.populations:
            if p.is_source:
                first = host_first[p.name]
                last[p.name] = ids[(ids >= first) & (ids < first + p.size)] - first
        for src, fired in last.items():
            for tgt, port, ptr, post, w, d in by_source.get(src, ()):
                if fired.size == 0:
                    continue
                sel = np.concatenate([np.arange(ptr[i], ptr[i + 1]) for i in fired])
                np.add.at(tgt.acc[port], ((t + d[sel]) % ring, post[sel]), w[sel])
        for name, fp in pops.items():
            fired = fp.step(t % ring)
            last[name] = fired
            spikes[name][0].append(np.full(fired.size, t))
            spikes[name][1].append(fired)
    return {k: (np.concatenate(v[0]).astype(np.int64), np.concatenate(v[1]).astype(np.int64))
            for k, v in spikes.items()}

