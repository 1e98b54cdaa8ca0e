"""Typed run configuration: the first build stage (YAML -> RunConfig).

These frozen dataclasses are what ``emulator.config.load`` returns after
validation. Every later stage (IR, mapper, engine) reads only these types,
never raw YAML. Physical quantities carry their unit in the field name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# --------------------------------------------------------------------- chip
@dataclass(frozen=True)
class CoreLimits:
    neurons: int = 1024              #: neuron units (compartments) per core
    input_axons: int = 4096          #: synapse-list rows a core can receive on
    output_axons: int = 4096         #: (neuron, destination core, group) entries per core
    synapse_memory_bits: int = 1 << 20   #: synapse memory per core (1 Mi bits = 128 KiB)
    max_delay: int = 62              #: largest axonal delay in timesteps


@dataclass(frozen=True)
class CycleCosts:
    """Cycles the sequential core datapath spends per event (see docs/chip.md)."""
    axon_event: int = 4        #: per input-axon event: read the row header
    synop: int = 1             #: per synapse in a row: read, shift, accumulate
    neuron_update: int = 2     #: per neuron per timestep: the u/v/threshold update
    dendrite_update: int = 2   #: per two-compartment neuron per timestep: its dendritic compartment
    spike_out: int = 2         #: per emitted spike per destination (one packet)
    learn_synapse: int = 2     #: per plastic synapse per learning epoch
    learn_epoch: int = 16      #: fixed cost of a learning epoch
    trace_update: int = 1      #: per pre/post trace register update (learning)
    barrier: int = 32          #: end-of-timestep barrier synchronisation


@dataclass(frozen=True)
class EnergyPrices:
    """Picojoules per event; ``source`` says where the figures come from."""
    synop_pj: float = 23.6
    neuron_update_pj: float = 52.0
    spike_pj: float = 1.7
    hop_pj: float = 3.5
    learn_update_pj: float = 120.0
    trace_update_pj: float = 2.0     #: per trace register update (estimate: a 7-bit multiply-add, cf. neuron_update)
    static_pj_per_cycle: float = 0.0
    source: str = "Davies et al. 2018 (IEEE Micro 38(1)), Loihi measured/pre-silicon figures"


# ---- router (issue #4; docs/router.md) ----------------------------------
ROUTER_MODES = ("cycle", "fast")   #: cycle-accurate routing, or packet and hop counts only
MAX_FIFO_DEPTH = 256               #: largest router input FIFO, in packets
MAX_HOP_LATENCY = 64               #: largest per-router latency, in cycles


@dataclass(frozen=True)
class RouterSpec:
    """The mesh network-on-chip: 5-port XY routers with input FIFOs (see docs/router.md)."""
    mode: str = "fast"         #: "cycle": route every packet cycle by cycle; "fast": count packets and hops
    fifo_depth: int = 4        #: packets each router input FIFO holds (backpressure when full)
    hop_latency: int = 2       #: cycles from winning an output port to the next FIFO (or the core)
# ---- end router ------------------------------------------------------------


@dataclass(frozen=True)
class ChipSpec:
    name: str = "loihi1"
    mesh_width: int = 8
    mesh_height: int = 16
    clock_mhz: float = 500.0
    limits: CoreLimits = field(default_factory=CoreLimits)
    cycles: CycleCosts = field(default_factory=CycleCosts)
    energy: EnergyPrices = field(default_factory=EnergyPrices)
    router: RouterSpec = field(default_factory=RouterSpec)

    def __post_init__(self):
        # a ChipImage saved before the router existed, or as a dict (asdict round trip)
        if isinstance(self.router, dict):
            object.__setattr__(self, "router", RouterSpec(**self.router))

    @property
    def n_cores(self) -> int:
        return self.mesh_width * self.mesh_height


# --------------------------------------------------------------------- network
@dataclass(frozen=True)
class PopulationConfig:
    """One population.

    ``model`` is a registered neuron model name (``lif``, ``if``, ``alif``) or
    ``source`` (a spike source driven by the stimulus, living on the host).
    ``params`` holds physical parameters of the model (validated against the
    model's parameter table); ``fixed`` holds raw fixed-point parameters instead
    (du, dv, vth, bias, bias_exp, refractory, ...). Exactly one of the two is
    non-empty for neuron models; both are empty for sources.
    """
    name: str
    size: int
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    max_per_core: int | None = None   #: cap on neurons per core for this population
    params_file: str | None = None    #: .npz of per-neuron physical parameters (resolved path), overriding params
    initial: dict[str, "Distribution"] = field(default_factory=dict)
    """initial values of state variables ``v`` and ``u`` (units of v for
    physical populations, register counts for fixed ones); default 0"""
    path: str = ""                    #: YAML path, for error messages


@dataclass(frozen=True)
class Distribution:
    """A scalar value or a random distribution of one.

    kind: ``const`` (value), ``uniform`` (low, high), ``normal`` (mean, std),
    ``uniform_int`` (low, high inclusive, integers).
    """
    kind: str = "const"
    value: float = 0.0
    low: float = 0.0
    high: float = 0.0
    mean: float = 0.0
    std: float = 0.0


@dataclass(frozen=True)
class ProjectionConfig:
    """Synapses from ``source`` to ``target``.

    connectivity: ``all_to_all``, ``one_to_one``, ``fixed_probability`` (uses
    ``p``), ``fixed_indegree`` (uses ``indegree``) or ``explicit`` (uses ``file``:
    a .npy dense [n_source, n_target] weight matrix with 0 = no synapse, or a .npz
    with arrays ``pre``, ``post``, ``weight`` and optionally ``delay``).
    weight: physical units of the target's v (e.g. mV) when the target is given
    with ``params``; an integer mantissa in [-256, 255] with ``weight_exp`` when
    the target is given with ``fixed``. delay: timesteps (``delay``) or ms
    (``delay_ms``), 0..max_delay steps.
    port: dendritic input port, ``exc`` or ``inh``; ``auto`` picks ``inh`` for
    negative weights when the target has a separate inhibitory synaptic time
    constant, else ``exc``.
    """
    name: str
    source: str
    target: str
    connectivity: str
    weight: Distribution
    p: float | None = None
    indegree: int | None = None
    file: str | None = None
    delay: Distribution = field(default_factory=Distribution)
    delay_unit: str = "steps"          #: "steps" or "ms"
    weight_exp: int | None = None      #: raw mode only
    allow_self: bool = True            #: recurrent projections may connect i -> i
    port: str = "auto"
    path: str = ""
    #: on-chip learning of this projection's weights: an ``emulator.learning.LearningSpec``
    #: (from the ``plasticity:`` key; docs/learning.md), or None for static synapses
    plasticity: Any = None


@dataclass(frozen=True)
class NetworkConfig:
    populations: tuple[PopulationConfig, ...]
    projections: tuple[ProjectionConfig, ...]


# --------------------------------------------------------------------- stimulus
@dataclass(frozen=True)
class StimulusConfig:
    """Spikes for one ``source`` population.

    kind: ``poisson`` (rate_hz: one rate, or one per neuron via ``rates_hz``),
    ``regular`` (period_steps, phase_steps), ``spike_times`` (times_steps and
    indices, parallel lists), ``file`` (a .npz with ``times`` in steps and
    ``indices``, or a .npy boolean [timesteps, size] raster).
    ``start_step``/``stop_step`` bound the active window (stop exclusive; None = end).
    """
    population: str
    kind: str
    rate_hz: float = 0.0
    rates_hz: tuple[float, ...] = ()
    period_steps: int = 1
    phase_steps: int = 0
    times_steps: tuple[int, ...] = ()
    indices: tuple[int, ...] = ()
    file: str | None = None
    start_step: int = 0
    stop_step: int | None = None
    path: str = ""
    #: kind ``encoded``: an ``emulator.io.encoders.EncodingSpec`` (encoder, signal, params; docs/coding.md)
    encoding: Any = None


# --------------------------------------------------------------------- run
@dataclass(frozen=True)
class ProbeConfig:
    population: str
    neurons: tuple[int, ...]           #: indices within the population
    variables: tuple[str, ...] = ("u", "v")   #: any of u, v, th, u_inh
    path: str = ""


@dataclass(frozen=True)
class OutputConfig:
    spikes: bool = True
    probes: bool = True
    raster: bool = True
    checkpoint_every: int = 0          #: timesteps between checkpoints; 0 = none


@dataclass(frozen=True)
class RunSettings:
    timesteps: int = 1000
    dt_ms: float = 1.0
    seed: int = 0
    probes: tuple[ProbeConfig, ...] = ()
    outputs: OutputConfig = field(default_factory=OutputConfig)
    #: wake/sleep phases (``run.schedule``): an ``emulator.learning.config.Schedule``, or None
    schedule: Any = None


@dataclass(frozen=True)
class RunConfig:
    """A whole validated run: what ``neuroemu run`` executes."""
    chip: ChipSpec
    network: NetworkConfig
    stimulus: tuple[StimulusConfig, ...]
    run: RunSettings
    source: str = "<dict>"             #: file it was loaded from, for messages
    base_dir: str = "."                #: relative file paths resolve against this
    #: ``task:`` (on-chip learning task, docs/learning.md): ``emulator.learning.config.ClassifyTask`` or
    #: ``ChoiceTask``, or None
    task: Any = None
