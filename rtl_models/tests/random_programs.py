"""Seeded random small programs for the RTL co-simulation: ChipImage + stimulus + timesteps.

Each program is a random fixed-point network (the family of ``tests/reference/random_nets.py``:
lif/alif/if populations, both reset modes, refractory periods, separate inhibitory currents,
random weights, exponents and delays, Poisson and explicit host sources), sized for the default
RTL build (``emulator.bridge.memfiles.RtlChip``: up to 4 cores of 64 neurons, delays up to 15),
and about a third of them pushed to the edges: full-scale weights with the largest exponent
(the 24-bit current wraps), extreme biases and initial voltages (the voltage saturates),
zero and maximal thresholds and decays.
"""
from __future__ import annotations

import numpy as np

from emulator.api import build
from emulator.bridge.cosim import Program
from emulator.config.types import (ChipSpec, CoreLimits, Distribution, NetworkConfig, PopulationConfig,
                                   ProjectionConfig, RunConfig, RunSettings, StimulusConfig)
from emulator.errors import MappingError
from tests.reference.random_nets import random_neuron

MAX_DELAY = 15          #: the default RTL ring has 16 slots


def random_config(seed: int) -> RunConfig:
    rng = np.random.default_rng([seed, 6])
    edge = rng.random() < 0.35
    timesteps = int(rng.integers(6, 20))
    pops = [PopulationConfig("src0", int(rng.integers(1, 10)), "source")]
    stim = [StimulusConfig("src0", "poisson", rate_hz=float(rng.uniform(50, 500)), path="stimulus.src0")]
    if rng.random() < 0.4:
        n = int(rng.integers(1, 5))
        pops.append(PopulationConfig("src1", n, "source"))
        stim.append(StimulusConfig("src1", "spike_times",
                                   times_steps=tuple(int(x) for x in rng.integers(0, timesteps, 12)),
                                   indices=tuple(int(x) for x in rng.integers(0, n, 12))))
    n_chip = int(rng.integers(1, 4))
    for k in range(n_chip):
        model, fixed = random_neuron(rng, wide=True, edge=edge)
        initial = {}
        if rng.random() < 0.5:
            hi = 2 ** 23 - 1 if edge else 2 ** 20
            initial["v"] = Distribution("uniform_int", low=-hi, high=hi)
        if edge and rng.random() < 0.5:
            initial["u"] = Distribution("uniform_int", low=-(2 ** 23 - 1), high=2 ** 23 - 1)
        size = int(rng.integers(1, 40))
        # at most 4 cores in all: split one population over two cores now and then
        per_core = None if rng.random() < 0.7 or n_chip > 2 else max(1, (size + 1) // 2)
        pops.append(PopulationConfig(f"n{k}", size, model, fixed=fixed, initial=initial, max_per_core=per_core))
    chip_pops = [p for p in pops if p.model != "source"]
    projs = []
    for i in range(int(rng.integers(2, 7))):
        src = pops[int(rng.integers(0, len(pops)))]
        tgt = chip_pops[int(rng.integers(0, len(chip_pops)))]
        if edge and rng.random() < 0.5:
            lo, hi, exp = -256, 255, 7
        else:
            lo = int(rng.integers(-256, 256))
            hi, exp = int(rng.integers(lo, 256)), int(rng.integers(-8, 8))
        projs.append(ProjectionConfig(
            f"p{i}", src.name, tgt.name, "fixed_probability", Distribution("uniform_int", low=lo, high=hi),
            p=float(rng.uniform(0.05, 0.8)),
            delay=Distribution("uniform_int", low=0, high=int(rng.integers(0, MAX_DELAY + 1))),
            weight_exp=exp, port=str(rng.choice(["auto", "exc", "inh"])) if "du_inh" in tgt.fixed else "exc"))
    chip = ChipSpec(mesh_width=2, mesh_height=2, limits=CoreLimits(neurons=64, max_delay=MAX_DELAY))
    return RunConfig(chip, NetworkConfig(tuple(pops), tuple(projs)), tuple(stim),
                     RunSettings(timesteps=timesteps, dt_ms=1.0, seed=seed))


def first_fitting(make_config, seed: int, attempts: int):
    """(config, build) of the first sub-seed ``seed * 100 + k`` whose network maps onto the
    4-core RTL top (a few random networks do not)."""
    for attempt in range(attempts):
        cfg = make_config(seed * 100 + attempt)
        try:
            b = build(cfg)
        except MappingError:
            continue
        if b.image.n_cores <= 4:
            return cfg, b
    raise RuntimeError(f"no random program for seed {seed} that fits 4 cores")


def random_program(seed: int) -> Program:
    """The program of ``seed`` (a few seeds do not map onto 4 cores: the next sub-seed is used)."""
    cfg, b = first_fitting(random_config, seed, 20)
    return Program(b.image, b.stimulus, cfg.run.timesteps, f"random seed {seed}")
