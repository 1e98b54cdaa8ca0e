"""Seeded random small networks in fixed point, for differential tests between backends."""
import numpy as np

from emulator.config.types import (ChipSpec, CoreLimits, Distribution, NetworkConfig, PopulationConfig,
                                   ProjectionConfig, RunConfig, RunSettings, StimulusConfig)


def random_fixed_config(seed: int, timesteps: int = 60, max_delay: int = 6) -> RunConfig:
    """A random multi-core network of raw (fixed-point) lif/alif/if populations driven by host sources."""
    rng = np.random.default_rng(seed)
    pops = [PopulationConfig("src0", int(rng.integers(1, 12)), "source")]
    stim = [StimulusConfig("src0", "poisson", rate_hz=float(rng.uniform(50, 400)), path="stimulus.src0")]
    if rng.random() < 0.5:
        n = int(rng.integers(1, 6))
        times = tuple(int(x) for x in rng.integers(0, timesteps, 20))
        pops.append(PopulationConfig("src1", n, "source"))
        stim.append(StimulusConfig("src1", "spike_times", times_steps=times,
                                   indices=tuple(int(x) for x in rng.integers(0, n, 20))))
    for k in range(int(rng.integers(1, 4))):
        model = str(rng.choice(["lif", "lif", "alif", "if"]))
        fixed = {"vth": int(2 ** rng.uniform(0, 12)), "bias": int(rng.integers(-64, 200)),
                 "bias_exp": int(rng.integers(0, 8)), "refractory": int(rng.choice([0, 0, 1, 3])),
                 "reset": str(rng.choice(["zero", "subtract"]))}
        if model != "if":
            fixed.update(du=int(rng.choice([0, 1, 200, 4095, rng.integers(0, 4096)])),
                         dv=int(rng.choice([0, 100, 4095, rng.integers(0, 4096)])))
            if rng.random() < 0.4:
                fixed["du_inh"] = int(rng.integers(0, 4096))
        if model == "alif":
            fixed.update(dth=int(rng.integers(0, 4096)), th_inc=int(rng.integers(0, 64)))
        initial = {"v": Distribution("uniform_int", low=-(2 ** 20), high=2 ** 20)} if rng.random() < 0.5 else {}
        pops.append(PopulationConfig(f"n{k}", int(rng.integers(1, 40)), model, fixed=fixed, initial=initial,
                                     max_per_core=int(rng.integers(4, 17))))
    chip_pops = [p for p in pops if p.model != "source"]
    projs = []
    for i in range(int(rng.integers(2, 7))):
        src = pops[int(rng.integers(0, len(pops)))]
        tgt = chip_pops[int(rng.integers(0, len(chip_pops)))]
        lo = int(rng.integers(-256, 256))
        hi = int(rng.integers(lo, 256))
        projs.append(ProjectionConfig(
            f"p{i}", src.name, tgt.name, "fixed_probability",
            Distribution("uniform_int", low=lo, high=hi), p=float(rng.uniform(0.05, 0.8)),
            delay=Distribution("uniform_int", low=0, high=int(rng.integers(0, max_delay + 1))),
            weight_exp=int(rng.integers(-8, 8)), port=str(rng.choice(["auto", "exc", "inh"]))
            if "du_inh" in tgt.fixed else "exc"))
    chip = ChipSpec(mesh_width=4, mesh_height=4, limits=CoreLimits(neurons=32, max_delay=max_delay))
    return RunConfig(chip, NetworkConfig(tuple(pops), tuple(projs)), tuple(stim),
                     RunSettings(timesteps=timesteps, dt_ms=1.0, seed=seed))
