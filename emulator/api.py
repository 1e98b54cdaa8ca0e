"""The documented Python API; the CLI is a thin layer over it.

>>> import emulator as ne
>>> cfg = ne.load_config("configs/examples/demo.yaml", overrides=["run.timesteps=200"])  # doctest: +SKIP
>>> built = ne.build(cfg)                                  # config -> IR -> ChipImage  # doctest: +SKIP
>>> results = ne.simulate(built)                           # doctest: +SKIP
>>> results.summary()["mean_rate_hz"]                      # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config.types import RunConfig
from .engine.simulation import ProbeSpec, Simulation
from .image import ChipImage
from .io.results import Results
from .io.stimulus import SourceTrain, Stimulus
from .ir.network import Network, build_network
from .mapping.mapper import MappingReport, map_network


@dataclass(frozen=True, eq=False)
class Build:
    """Every build stage of one run: config -> network IR -> mapped chip image."""
    config: RunConfig
    network: Network
    image: ChipImage
    report: MappingReport
    stimulus: Stimulus
    probes: tuple[ProbeSpec, ...]


def load_config(source, overrides=()) -> RunConfig:
    """Load and validate a YAML run config (a path or a dict); ``overrides`` are ``path=value`` strings."""
    from .config.loader import load
    return load(source, overrides=overrides)


def build(cfg: RunConfig) -> Build:
    """Build the network IR from ``cfg``, map it onto its chip and prepare the stimulus."""
    net = build_network(cfg)
    image, report = map_network(net, cfg.chip)
    return Build(cfg, net, image, report, make_stimulus(cfg, image), make_probes(cfg))


def make_stimulus(cfg: RunConfig, image: ChipImage) -> Stimulus:
    index = {p.name: i for i, p in enumerate(cfg.network.populations)}
    trains = []
    for sc in cfg.stimulus:
        pm = image.population(sc.population)
        trains.append((SourceTrain(sc, pm.size, index[sc.population], cfg.run.seed, cfg.run.dt_ms, cfg.base_dir),
                       pm.first_id))
    return Stimulus(trains)


def make_probes(cfg: RunConfig) -> tuple[ProbeSpec, ...]:
    return tuple(ProbeSpec(p.population, tuple(p.neurons), tuple(p.variables)) for p in cfg.run.probes)


def is_learning_run(cfg: RunConfig) -> bool:
    """Whether ``cfg`` needs the learning runner: a ``task:``, a ``run.schedule`` or a third factor."""
    return cfg.task is not None or cfg.run.schedule is not None or any(
        p.plasticity is not None and p.plasticity.third_factor is not None for p in cfg.network.projections)


def learn(built: Build, out: str | Path, progress: bool = False, threads: int = 1) -> dict:
    """Run a learning config (``task:``, ``run.schedule``, third factors; docs/learning.md), write its
    results into ``out`` (report.json, learned weights, plots) and return the report."""
    from .learning.runner import run_learning
    return run_learning(built, out, progress=progress, threads=threads)


def simulate(built: Build, timesteps: int | None = None, progress: bool = False,
             checkpoint: str | Path | None = None, resume: bool = False, threads: int = 1,
             delivery: str = "auto") -> Results:
    """Run ``built`` for ``timesteps`` (default: the config's) and return its Results.

    With ``checkpoint`` the state is saved there every ``run.outputs.checkpoint_every``
    timesteps; ``resume=True`` continues from that file when it exists.
    ``threads`` > 1 emulates groups of cores in parallel (0: all CPUs); the
    results are identical for any thread count. ``delivery``: ``source`` (the engine's
    source-major copy of the synapses: fastest, 8 more bytes per synapse; static images),
    ``core`` (the chip's per-core rows only: least memory) or ``auto`` (source when static and
    the copy fits a quarter of the machine's memory).
    """
    total = timesteps if timesteps is not None else built.config.run.timesteps
    sim = Simulation(built.image, built.stimulus, built.probes, threads=threads, delivery=delivery)
    ckpt = str(checkpoint) if checkpoint else None
    if resume and ckpt and Path(ckpt).exists():
        sim.load_checkpoint(ckpt)
    every = built.config.run.outputs.checkpoint_every
    return sim.run(max(0, total - (sim.t - 0)), progress=progress, checkpoint=ckpt, checkpoint_every=every)
