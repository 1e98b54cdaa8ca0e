"""The Mapper stage: Network IR + ChipSpec -> ChipImage (+ a MappingReport)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import fixed as fx
from ..config.types import ChipSpec
from ..errors import MappingError
from ..image import ChipImage, NeuronParams, PopulationMap, pack_synapses
from ..ir.network import Network
from ..neurons.models import FLAG_DUAL
from .partition import partition
from .place import DEFAULT_STRATEGY, check_strategy, grid
from .place import cost as placement_cost
from .place import place as place_cores
from .sets import lexsort_ints, unique_ints
from .quantize import (Registers, choose_port, incoming_peak, initial_registers, quantize_population,
                       quantize_projection)


@dataclass(frozen=True)
class ProjectionReport:
    name: str
    synapses: int
    weight_exp: int
    port: str
    snr_db: float
    wrap_spikes: int | None = None   #: input spikes in one step that wrap a target's input (``wrap_spikes``)
    max_fan_in: int = 0              #: the most synapses of the projection on one target neuron
    wrap_spikes_sustained: int | None = None   #: the same arriving every step into the slowest current


@dataclass(frozen=True)
class MappingReport:
    """Utilization of every limit per core, and how each population/projection was mapped."""
    chip: ChipSpec
    core_populations: tuple[tuple[str, ...], ...]
    neurons: np.ndarray
    input_axons: np.ndarray
    output_axons: np.ndarray
    synapse_bits: np.ndarray
    population_cores: dict = field(default_factory=dict)
    projections: tuple[ProjectionReport, ...] = ()
    strategy: str = "linear"                 #: placement strategy (emulator.mapping.place)
    core_xy: np.ndarray | None = None        #: (cores, 2) mesh position of each core
    traffic: np.ndarray | None = None        #: (cores, cores) estimated packets per timestep, source -> destination
    host_traffic: np.ndarray | None = None   #: (cores,) estimated packets per timestep from the host
    hop_cost: float = 0.0                    #: estimated packets x hops per timestep of this placement
    hop_cost_linear: float = 0.0             #: the same for the row-major placement, for comparison

    @property
    def packets_per_step(self) -> float:
        """Estimated packets per timestep (chip and host sources)."""
        if self.traffic is None:
            return 0.0
        return float(self.traffic.sum() + self.host_traffic.sum())

    def utilization(self) -> list[dict]:
        """One row per core: each limit's use and its fraction of the limit."""
        lim = self.chip.limits
        rows = []
        for c, pops in enumerate(self.core_populations):
            rows.append({"core": c, "populations": list(pops),
                         "neurons": int(self.neurons[c]), "neurons_frac": self.neurons[c] / lim.neurons,
                         "input_axons": int(self.input_axons[c]),
                         "input_axons_frac": self.input_axons[c] / lim.input_axons,
                         "output_axons": int(self.output_axons[c]),
                         "output_axons_frac": self.output_axons[c] / lim.output_axons,
                         "synapse_bits": int(self.synapse_bits[c]),
                         "synapse_bits_frac": self.synapse_bits[c] / lim.synapse_memory_bits})
        return rows


def map_network(net: Network, chip: ChipSpec, strategy: str = DEFAULT_STRATEGY,
                rates: dict | None = None) -> tuple[ChipImage, MappingReport]:
    """Quantize, partition, place and build every table.

    Placement (``emulator.mapping.place``) minimizes estimated packets x hops; the
    traffic counts each output axon once per spike, with ``rates`` (population ->
    spikes per neuron per timestep, scalar or per-neuron array; default 1) as the
    spike rates. Core indices are the partition's order; ``image.core_xy`` says
    where each core sits on the mesh. ``strategy='linear'`` puts core k at
    (k % W, k // W).
    """
    check_strategy(strategy)
    chip_pops = [p for p in net.populations if not p.is_source]
    host_pops = [p for p in net.populations if p.is_source]
    regs = {p.name: quantize_population(p, net.dt_ms, incoming_peak(net, p, net.dt_ms)) for p in chip_pops}
    place = partition(net, chip)
    n_cores = place.n_cores
    neuron_ptr = np.concatenate([[0], np.cumsum(place.neurons)]).astype(np.int64)

    # global ids: populations fill cores in order, so ids are contiguous per population
    first_id, host_first, offset, host_offset = {}, {}, 0, 0
    for p in chip_pops:
        first_id[p.name], offset = offset, offset + p.size
    for p in host_pops:
        host_first[p.name], host_offset = host_offset, host_offset + p.size
    params = NeuronParams.empty(offset)
    init_u, init_v = np.zeros(offset, np.int32), np.zeros(offset, np.int32)
    for p in chip_pops:
        sl = slice(first_id[p.name], first_id[p.name] + p.size)
        _fill_params(params, sl, regs[p.name])
        init_u[sl], init_v[sl] = initial_registers(p, regs[p.name])

    synapses, proj_reports = _collect_synapses(net, chip, place, regs, first_id, neuron_ptr)
    core, proj, pre, local, mant, delay = synapses
    order = lexsort_ints((local, pre, proj, core))
    core, proj, pre, local, mant, delay = (a[order] for a in synapses)
    new_row = np.ones(core.size, bool)
    new_row[1:] = (core[1:] != core[:-1]) | (proj[1:] != proj[:-1]) | (pre[1:] != pre[:-1])
    row_start = np.flatnonzero(new_row)
    row_core, row_proj, row_pre = core[row_start], proj[row_start], pre[row_start]
    axon_syn_ptr = np.append(row_start, core.size).astype(np.int64)
    axon_ptr = np.searchsorted(row_core, np.arange(n_cores + 1)).astype(np.int64)
    exp_of = np.array([r.weight_exp for r in proj_reports], np.int8)
    port_of = np.array([r.port == "inh" for r in proj_reports], np.uint8)

    # output axon tables: one entry (packet) per row, owned by the row's source
    is_host = np.array([net.population(p.source).is_source for p in net.projections], bool)
    src_first = np.array([host_first.get(p.source, first_id.get(p.source, 0)) for p in net.projections], np.int64)
    src_id = src_first[row_proj] + row_pre
    axon_ids = np.arange(row_start.size, dtype=np.int32)
    host_rows = is_host[row_proj] if row_proj.size else np.zeros(0, bool)
    out_ptr, out_axon = _out_table(src_id[~host_rows], axon_ids[~host_rows], offset)
    host_ptr, host_axon = _out_table(src_id[host_rows], axon_ids[host_rows], host_offset)
    core_of_id = _core_of_ids(neuron_ptr)
    rate = _rates(chip_pops, rates, first_id, offset)
    host_rate = _rates(host_pops, rates, host_first, host_offset)
    traffic = _traffic(out_ptr, out_axon, rate, core_of_id, row_core, n_cores, n_cores)
    host_traffic = _traffic(host_ptr, host_axon, host_rate, np.zeros(host_offset, np.int64), row_core, 1, n_cores)[0]
    core_xy = place_cores(traffic, host_traffic, chip.mesh_width, chip.mesh_height, strategy)
    out_hops = _hops(out_ptr, out_axon, core_of_id, row_core, core_xy)
    host_hops = _hops(host_ptr, host_axon, None, row_core, core_xy)
    out_per_core = np.add.reduceat(np.diff(out_ptr), neuron_ptr[:-1]) if n_cores else np.zeros(0, np.int64)
    _check_output_axons(out_per_core, chip, place)

    pop_maps = tuple(
        PopulationMap(p.name, p.model, p.size, first_id[p.name], False,
                      tuple(int(c) for c in unique_ints(place.core_of[p.name])), regs[p.name].scale)
        if not p.is_source else PopulationMap(p.name, p.model, p.size, host_first[p.name], True)
        for p in net.populations)
    image = ChipImage(chip=chip, dt_ms=net.dt_ms, core_xy=core_xy.astype(np.int32), neuron_ptr=neuron_ptr,
                      params=params, axon_ptr=axon_ptr, axon_syn_ptr=axon_syn_ptr, axon_exp=exp_of[row_proj],
                      axon_port=port_of[row_proj], syn_target=local.astype(np.uint16),
                      syn_word=pack_synapses(_clamp_plastic(net, proj, mant), delay), out_ptr=out_ptr,
                      out_axon=out_axon, out_hops=out_hops, host_out_ptr=host_ptr, host_out_axon=host_axon,
                      host_out_hops=host_hops, init_u=init_u, init_v=init_v,
                      populations=pop_maps, learn_seed=net.seed, **_learning_tables(net, row_proj, first_id, offset))
    core_pops = tuple(tuple(p.name for p in pop_maps if c in p.cores) for c in range(n_cores))
    linear_xy = grid(chip.mesh_width, chip.mesh_height)[:n_cores]
    report = MappingReport(chip, core_pops, place.neurons, np.diff(axon_ptr), out_per_core, place.synapse_bits,
                           {p.name: p.cores for p in pop_maps if not p.on_host}, tuple(proj_reports), strategy,
                           core_xy, traffic, host_traffic, placement_cost(traffic, host_traffic, core_xy),
                           placement_cost(traffic, host_traffic, linear_xy))
    return image, report


def _clamp_plastic(net: Network, syn_proj: np.ndarray, mant: np.ndarray) -> np.ndarray:
    """Initial weights of plastic synapses clamped into their rule's [wmin, wmax]: a plastic weight
    register only holds values inside its bounds (the learn phase keeps it there; docs/learning.md)."""
    out = np.asarray(mant).copy()
    for i, p in enumerate(net.projections):
        if p.plasticity is not None:
            sel = syn_proj == i
            out[sel] = np.clip(out[sel], p.plasticity.wmin, p.plasticity.wmax)
    return out


def _learning_tables(net: Network, row_proj: np.ndarray, first_id: dict, n_neurons: int) -> dict:
    """ChipImage learning arrays: one rule program per plastic projection, the rule of every
    synapse-list row and the post-trace rule of every neuron (docs/learning.md)."""
    from ..learning.structural import rule_struct_row
    plastic = [(i, p) for i, p in enumerate(net.projections) if p.plasticity is not None]
    if not plastic:
        return {}
    rule_of = np.full(len(net.projections), -1, np.int16)
    neuron_rule = np.full(n_neurons, -1, np.int16)
    owner = {}
    for r, (i, proj) in enumerate(plastic):
        rule_of[i] = r
        prev = owner.get(proj.target)
        if prev is not None and prev[1].plasticity.post_key() != proj.plasticity.post_key():
            raise MappingError(f"projections '{prev[1].name}' and '{proj.name}' both learn into population "
                               f"'{proj.target}' with different epochs or post traces (y1, y2, y3); a neuron "
                               "has one set of post traces, so give them the same")
        if prev is None:
            owner[proj.target] = (r, proj)
            size = net.population(proj.target).size
            neuron_rule[first_id[proj.target]:first_id[proj.target] + size] = r
    specs = [p.plasticity for _, p in plastic]
    return {"axon_rule": rule_of[row_proj] if row_proj.size else np.zeros(0, np.int16),
            "neuron_rule": neuron_rule,
            "rule_prog": np.stack([s.rule.encode() for s in specs]),
            "tag_prog": np.stack([s.tag_program() for s in specs]),
            "rule_param": np.stack([s.param_row() for s in specs]),
            "rule_struct": np.stack([rule_struct_row(p.plasticity, first_id[p.target], net.population(p.target).size)
                                     for _, p in plastic]),        # structural plasticity (docs/structural.md)
            "rule_names": tuple(f"{p.name}: {s.dw}" for (_, p), s in zip(plastic, specs))}


def _fill_params(params: NeuronParams, sl: slice, r: Registers) -> None:
    for name in NeuronParams._fields:
        getattr(params, name)[sl] = getattr(r, name)


def peak_contribution(mant: np.ndarray, exp: int, bounds: tuple[int, int] | None = None) -> int:
    """The dendritic input ``c = w << (6 + exp)`` of one spike of a projection at its largest weight
    magnitude; ``bounds`` (a plastic projection's rule bounds wmin, wmax) replace the mantissas,
    since learning can move every weight to them."""
    candidates = bounds if bounds is not None else ((int(mant.min()), int(mant.max())) if mant.size else (0,))
    return max((int(fx.weight_contribution(int(w), int(exp))) for w in candidates), key=abs)


def wrap_spikes(c: int, fan_in: int, d: int = fx.DECAY_MAX) -> int | None:
    """The fewest spikes of input ``c`` each (``peak_contribution``), arriving in every timestep, that
    wrap a target's 24-bit current with decay ``d`` (du or du_inh; both it and the accumulator slot
    wrap, as on Loihi, docs/chip.md). From u = 0 the current ``u <- decay(u, d, 1) + k c`` moves
    monotonically toward its fixed point, so it wraps iff one step from the range's edge E (2^23 - 1
    for c > 0, -2^23 for c < 0) leaves the range: ``k = |E - decay(E, d, 1)| // |c| + 1``.
    ``d = DECAY_MAX`` (nothing carried over) is the count for one step: ``(2^23 - [c > 0]) // |c| + 1``.
    None when no target has k such inputs (``fan_in``: the most on one target) or c is 0."""
    if c == 0:
        return None
    edge = (1 << (fx.U_BITS - 1)) - 1 if c > 0 else -(1 << (fx.U_BITS - 1))
    k = abs(edge - int(fx.decay(edge, d, fx.DU_OFFSET))) // abs(c) + 1
    return k if k <= fan_in else None


def _collect_synapses(net, chip, place, regs, first_id, neuron_ptr):
    cols = [[] for _ in range(6)]
    reports = []
    max_delay = chip.limits.max_delay
    for i, proj in enumerate(net.projections):
        tgt = regs[proj.target]
        mant, exp, snr = quantize_projection(proj, tgt, net.population(proj.target).is_fixed)
        port = choose_port(proj, bool(np.any(np.asarray(tgt.flags) & FLAG_DUAL)))
        fan_in = int(np.bincount(proj.post).max()) if proj.n_synapses else 0
        c = peak_contribution(mant, exp, (proj.plasticity.wmin, proj.plasticity.wmax)
                              if proj.plasticity is not None else None)
        slowest = int(np.min(tgt.du_inh if port else tgt.du))      # port 1 feeds u_inh (or the dendrite)
        reports.append(ProjectionReport(proj.name, proj.n_synapses, exp, "inh" if port else "exc", snr,
                                        wrap_spikes=wrap_spikes(c, fan_in), max_fan_in=fan_in,
                                        wrap_spikes_sustained=wrap_spikes(c, fan_in, slowest)))
        if proj.n_synapses and (proj.delay.min() < 0 or proj.delay.max() > max_delay):
            raise MappingError(f"projection '{proj.name}': delay {int(proj.delay.max())} steps is outside "
                               f"0..{max_delay} (chip.limits.max_delay)")
        core = place.core_of[proj.target][proj.post].astype(np.int64)
        local = first_id[proj.target] + proj.post - neuron_ptr[core]
        for col, arr in zip(cols, (core, np.full(core.size, i, np.int64), proj.pre.astype(np.int64),
                                   local, mant, proj.delay)):
            col.append(arr)
    arrays = tuple(np.concatenate(c) if c else np.zeros(0, np.int64) for c in cols)
    return arrays, reports


def _core_of_ids(neuron_ptr: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(neuron_ptr.size - 1), np.diff(neuron_ptr))


def _out_table(src, axon, n_src):
    """CSR of (source id -> destination axons), sorted by source then axon."""
    order = lexsort_ints((axon, src))
    src, axon = src[order], axon[order]
    ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n_src))]).astype(np.int64)
    return ptr, axon.astype(np.int32)


def _hops(ptr, axon, src_core, row_core, core_xy):
    """XY route length of every output-axon entry; host sources (``src_core`` None) enter at router (0, 0)."""
    if axon.size == 0:
        return np.zeros(0, np.uint16)
    dst_xy = core_xy[row_core[axon]]
    if src_core is None:
        src_xy = np.zeros_like(dst_xy)
    else:
        src_xy = core_xy[np.repeat(src_core, np.diff(ptr))]
    return np.abs(dst_xy - src_xy).sum(axis=1).astype(np.uint16)


def _rates(pops, rates, first, n_ids):
    """Spikes per timestep of every global (or host) id: ``rates[pop]`` (scalar or array), default 1."""
    out = np.ones(n_ids)
    for p in pops:
        if rates and p.name in rates:
            out[first[p.name]:first[p.name] + p.size] = np.broadcast_to(np.asarray(rates[p.name], float), (p.size,))
    return out


def _traffic(ptr, axon, rate, src_core, row_core, n_rows, n_cores):
    """(n_rows x cores) packets per timestep: every output-axon entry sends ``rate`` of its source."""
    if axon.size == 0:
        return np.zeros((n_rows, n_cores))
    src = np.repeat(np.arange(ptr.size - 1), np.diff(ptr))
    key = src_core[src].astype(np.int64) * n_cores + row_core[axon]
    return np.bincount(key, weights=rate[src], minlength=n_rows * n_cores).reshape(n_rows, n_cores)


def _check_output_axons(out_per_core, chip, place):
    limit = chip.limits.output_axons
    for c in np.flatnonzero(out_per_core > limit):
        pops = [name for name, arr in place.core_of.items() if np.any(arr == c)]
        raise MappingError(f"core {c} (population {', '.join(pops)}): {int(out_per_core[c])} output axons exceed "
                           f"chip.limits.output_axons = {limit}; lower max_per_core for {pops[0]} so its neurons "
                           "spread over more cores, or raise the limit")
