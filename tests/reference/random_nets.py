"""Seeded random small networks in fixed point, for differential tests between backends."""
import numpy as np

from emulator.config.types import (ChipSpec, CoreLimits, Distribution, NetworkConfig, PopulationConfig,
                                   ProjectionConfig, RunConfig, RunSettings, StimulusConfig)


def random_neuron(rng, wide: bool = False, edge: bool = False, research: bool = False) -> tuple[str, dict]:
    """(model, raw registers) of one random population. ``wide`` admits the largest
    refractory period and threshold adaptation; ``edge`` also draws threshold and bias
    extremes (zero and largest threshold, bias limits); ``research`` also draws the models
    the RTL does not implement (issue #8: noise on u or v, two compartments), with extra
    draws after the others, so the draws without it are unchanged."""
    model = str(rng.choice(["lif", "lif", "alif", "if"]))
    fixed = {"vth": int(2 ** rng.uniform(0, 12)), "bias": int(rng.integers(-64, 200)),
             "bias_exp": int(rng.integers(0, 8)),
             "refractory": int(rng.choice([0, 0, 1, 3, 63] if wide else [0, 0, 1, 3])),
             "reset": str(rng.choice(["zero", "subtract"]))}
    if edge:
        fixed["vth"] = int(rng.choice([0, 1, 2 ** 17 - 1, fixed["vth"]]))
        fixed["bias"] = int(rng.choice([-4096, 4095, fixed["bias"]]))
    if model != "if":
        fixed.update(du=int(rng.choice([0, 1, 200, 4095, rng.integers(0, 4096)])),
                     dv=int(rng.choice([0, 100, 4095, rng.integers(0, 4096)])))
        if rng.random() < 0.4:
            fixed["du_inh"] = int(rng.integers(0, 4096))
    if model == "alif":
        fixed["dth"] = int(rng.integers(0, 4096))
        fixed["th_inc"] = int(rng.choice([rng.integers(0, 64), 2 ** 17 - 1]) if wide else rng.integers(0, 64))
    if research:
        if model == "lif" and rng.random() < 0.5:
            model = "lif2c"
            fixed["dd"] = fixed.pop("du_inh", int(rng.integers(0, 4096)))
            fixed.update(dend_th=int(rng.choice([0, rng.integers(0, 2 ** 12)])),
                         dend_sat=int(rng.choice([0, 2 ** 17 - 1, rng.integers(0, 2 ** 14)])))
        if rng.random() < 0.6:
            fixed.update(noise_mant=int(rng.choice([1, 255, rng.integers(0, 256)])),
                         noise_exp=int(rng.integers(0, 8)), noise_target=str(rng.choice(["u", "v"])))
    return model, fixed


def random_fixed_config(seed: int, timesteps: int = 60, max_delay: int = 6, research: bool = False) -> RunConfig:
    """A random multi-core network of raw (fixed-point) lif/alif/if populations driven by host sources
    (``research``: also noisy and two-compartment ones, see ``random_neuron``)."""
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
        model, fixed = random_neuron(rng, research=research)
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
            weight_exp=int(rng.integers(-8, 8)), port=_random_port(rng, tgt)))
    chip = ChipSpec(mesh_width=8 if research else 4, mesh_height=4, limits=CoreLimits(neurons=32, max_delay=max_delay))
    return RunConfig(chip, NetworkConfig(tuple(pops), tuple(projs)), tuple(stim),
                     RunSettings(timesteps=timesteps, dt_ms=1.0, seed=seed))


def _random_port(rng, tgt) -> str:
    if tgt.model == "lif2c":
        return str(rng.choice(["auto", "exc", "dend", "dend"]))
    return str(rng.choice(["auto", "exc", "inh"])) if "du_inh" in tgt.fixed else "exc"


def random_rule_text(rng) -> str:
    """A random rule of the learning grammar: 1..5 terms of 0..3 variables, a scale and a constant."""
    from emulator.learning import VARIABLES
    terms = []
    for k in range(int(rng.integers(1, 6))):
        parts = [f"2^{int(rng.integers(-8, 3))}"] if rng.random() < 0.8 else []
        if rng.random() < 0.3:
            parts.append(str(int(rng.integers(1, 8))))
        parts += [str(v) for v in rng.choice(VARIABLES, int(rng.integers(0, 4)))]
        parts = parts or ["1"]
        terms.append(("- " if rng.random() < 0.4 else "+ ") * (k > 0) + "*".join(parts))
    return "dw = " + ("-" if rng.random() < 0.2 else "") + " ".join(terms)


def random_plastic_config(seed: int, timesteps: int = 60) -> RunConfig:
    """``random_fixed_config`` with random rules, epochs, bounds and traces on some projections
    (projections into one population share the post-trace settings, as the mapper requires)."""
    from dataclasses import replace

    from emulator.learning import SIGN_BOUNDS, LearningSpec
    cfg = random_fixed_config(seed, timesteps)
    rng = np.random.default_rng(seed + 1000)
    post = {}
    projs = []
    for i, p in enumerate(cfg.network.projections):
        if i == 0 or rng.random() < 0.6:
            if p.target not in post:
                post[p.target] = (int(rng.choice([1, 1, 2, 3, 5])),
                                  {k: (int(rng.integers(0, 4096)), int(rng.integers(0, 128)))
                                   for k in ("y1", "y2", "y3") if rng.random() < 0.8})
            epoch, ytr = post[p.target]
            traces = {**ytr, **{k: (int(rng.choice([0, 4095, rng.integers(0, 4096)])), int(rng.integers(0, 128)))
                                for k in ("x1", "x2") if rng.random() < 0.8}}
            lo, hi = SIGN_BOUNDS[str(rng.choice(list(SIGN_BOUNDS)))]
            spec = LearningSpec(dw=random_rule_text(rng), epoch=epoch, wmin=lo, wmax=hi, traces=traces)
            p = replace(p, plasticity=spec)
        projs.append(p)
    return replace(cfg, network=replace(cfg.network, projections=tuple(projs)))
