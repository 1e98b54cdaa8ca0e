"""YAML run configs and chip specs -> validated, typed :mod:`emulator.config.types`.

``load`` reads a run config (a file or an already-parsed mapping), applies the
CLI's ``--set PATH=VALUE`` overrides to the raw mapping, then validates every
field in one pass, in dependency order: chip (limits), run settings (dt),
network, stimulus, probes. Every failure is exactly one :class:`ConfigError`
naming the YAML path; the layout is documented in ``docs/yaml.md``.
"""
from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple

from .. import fixed as fx
from ..errors import ConfigError
from ..neurons.models import MODELS, SOURCE
from .chips import DEFAULT_CHIP, builtin_chips, load_chip
from .schema import (apply_overrides, at, boolean, checked_fields, choice, get, identifier, integer, is_integer, item,
                     mapping, nullable, number, param, read_yaml, section, seq, show, string, suggest)
from .types import (ChipSpec, Distribution, NetworkConfig, OutputConfig, PopulationConfig, ProbeConfig,
                    ProjectionConfig, RunConfig, RunSettings, StimulusConfig)

__all__ = ["load", "load_chip", "apply_overrides", "builtin_chips", "read_yaml", "DEFAULT_CHIP"]

_TOP_KEYS = ("chip", "network", "stimulus", "run", "task")
_POP_KEYS = ("name", "size", "model", "params", "params_file", "fixed", "max_per_core", "initial")
_PROJ_KEYS = ("name", "source", "target", "connectivity", "p", "indegree", "file", "weight", "weight_exp",
              "delay", "delay_ms", "allow_self", "port", "plasticity")
_PLASTICITY_KEYS = ("rule", "dw", "dt", "params", "epoch", "sign", "weight_range", "traces", "third_factor",
                    "structural")
#: connectivity -> the key it needs (and that no other connectivity accepts)
_CONNECTIVITY = {"all_to_all": None, "one_to_one": None, "fixed_probability": "p",
                 "fixed_indegree": "indegree", "explicit": "file"}
_STIM_COMMON = ("type", "start_step", "stop_step")
_STIM_KEYS = {"poisson": ("rate_hz", "rates_hz"), "regular": ("period_steps", "phase_steps"),
              "spike_times": ("times_steps", "indices"), "file": ("file",),
              "encoded": ("encoder", "signal", "params")}     # a signal through a spike encoder (docs/coding.md)
_STIM_REQUIRED = {"spike_times": ("times_steps", "indices"), "file": ("file",), "encoded": ("encoder", "signal")}
_RUN_CHECKS = {"timesteps": partial(integer, lo=1), "dt_ms": partial(number, lo=0, lo_open=True),
               "seed": partial(integer, lo=0)}
_OUTPUT_CHECKS = {"spikes": boolean, "probes": boolean, "raster": boolean,
                  "checkpoint_every": partial(integer, lo=0)}
_DATA_SUFFIXES = (".npy", ".npz")


# ----------------------------------------------------------------- run config
class _Ctx(NamedTuple):
    chip: ChipSpec
    dt_ms: float
    base_dir: Path
    pops: dict          #: population name -> PopulationConfig


def load(source: str | os.PathLike | Mapping, overrides: Iterable[str] = (),
         base_dir: str | os.PathLike | None = None) -> RunConfig:
    """Read, override and validate a run config; see docs/yaml.md for the layout.

    ``source`` is a YAML file or an already-parsed mapping. Relative paths in it
    (chip files, data files) resolve against ``base_dir``: by default the
    file's directory, or the current directory for a mapping.
    """
    if isinstance(source, Mapping):
        raw, origin, default_dir = dict(source), "<dict>", Path.cwd()
    elif isinstance(source, (str, os.PathLike)):
        raw, origin, default_dir = read_yaml(source), str(source), Path(source).parent
    else:
        raise ConfigError("", f"expected a path to a YAML run config or a mapping, got {type(source).__name__}")
    raw = apply_overrides(raw, overrides)
    return _build(raw, origin, Path(base_dir if base_dir is not None else default_dir).resolve())


def _build(raw: Any, origin: str, base_dir: Path) -> RunConfig:
    top = mapping(raw, "", _TOP_KEYS, required=("network",), what="a run config mapping")
    chip = load_chip(top.get("chip"), base_dir)
    run = section(top.get("run"), "run", (*_RUN_CHECKS, "probes", "outputs", "schedule"))
    settings = checked_fields(run, "run", _RUN_CHECKS, RunSettings())
    ctx = _Ctx(chip, settings["dt_ms"], base_dir, {})
    network = _network(top["network"], ctx)
    task = _task(top["task"], ctx) if "task" in top else None     # on-chip learning task (docs/learning.md)
    stimulus = _stimuli(top.get("stimulus"), ctx, driven=_task_sources(task))
    probes = get(run, "probes", "run", seq, [])
    outputs = section(run.get("outputs"), "run.outputs", _OUTPUT_CHECKS)
    settings = RunSettings(**settings,
                           probes=tuple(_probe(r, item("run.probes", i), ctx) for i, r in enumerate(probes)),
                           outputs=OutputConfig(**checked_fields(outputs, "run.outputs", _OUTPUT_CHECKS, OutputConfig())),
                           schedule=_schedule(run.get("schedule"), ctx) if "schedule" in run else None)
    cfg = RunConfig(chip, network, stimulus, settings, source=origin, base_dir=str(base_dir), task=task)
    if task is not None or settings.schedule is not None or any(
            getattr(p.plasticity, "third_factor", None) for p in network.projections):
        from ..learning.config import check_run
        check_run(cfg)
    return cfg


# ---- on-chip learning runs (issue #5; emulator.learning.config, docs/learning.md) ------------
def _task(raw: Any, ctx: _Ctx):
    from ..learning.config import task
    return task(raw, "task", ctx.pops)


def _task_sources(task) -> tuple:
    """Source populations the task drives (they take no stimulus: entry)."""
    return () if task is None else tuple(s for s in (task.input, getattr(task, "teacher", None)) if s)


def _schedule(raw: Any, ctx: _Ctx):
    from ..learning.config import schedule
    return schedule(raw, "run.schedule", [n for n, p in ctx.pops.items() if p.model == SOURCE])
# ---- end on-chip learning runs ---------------------------------------------------------------


# ----------------------------------------------------------------- network
def _network(raw: Any, ctx: _Ctx) -> NetworkConfig:
    m = mapping(raw, "network", ("populations", "projections"), required=("populations",))
    for i, r in enumerate(get(m, "populations", "network", seq, min_len=1)):
        pop = _population(r, item("network.populations", i), ctx.base_dir)
        _unique(ctx.pops, pop, "population")
    projections: dict = {}
    for i, r in enumerate(get(m, "projections", "network", seq, [])):
        _unique(projections, _projection(r, item("network.projections", i), ctx), "projection")
    return NetworkConfig(tuple(ctx.pops.values()), tuple(projections.values()))


def _unique(seen: dict, obj: PopulationConfig | ProjectionConfig, what: str) -> None:
    if obj.name in seen:
        raise ConfigError(at(obj.path, "name"), f"duplicate {what} name {obj.name!r} (also "
                                                f"{seen[obj.name].path}); give each {what} a unique name")
    seen[obj.name] = obj


def _population(raw: Any, path: str, base_dir: Path = Path(".")) -> PopulationConfig:
    m = mapping(raw, path, _POP_KEYS, required=("name", "size", "model"))
    name = get(m, "name", path, identifier)
    size = get(m, "size", path, integer, lo=1)
    model = get(m, "model", path, choice, options=(*MODELS, SOURCE), what="neuron model")
    max_per_core = get(m, "max_per_core", path, nullable(integer), None, lo=1)
    if model == SOURCE:
        for key in ("params", "params_file", "fixed", "max_per_core", "initial"):
            if key in m:
                raise ConfigError(at(path, key), f"a source population lives on the host and is driven by "
                                                 f"stimulus.{name}; it takes no {key}: remove it")
        return PopulationConfig(name, size, model, path=path)
    if "params" in m and "fixed" in m:
        raise ConfigError(path, "give either params (physical units) or fixed (raw register values), not both")
    nm = MODELS[model]
    common = dict(max_per_core=max_per_core, path=path, initial=get(m, "initial", path, _initial, {}))
    if "fixed" in m:
        fixed = _model_params(m["fixed"], at(path, "fixed"), nm.fixed)
        if fixed.get("vth") is None:
            raise ConfigError(at(path, "fixed"), "missing required key 'vth' (threshold mantissa: "
                                                 "a spike when v > vth << 6)")
        defaults = {k: prm.default for k, prm in nm.fixed.items() if prm.default is not None}
        fixed = {**defaults, **{k: v for k, v in fixed.items() if v is not None}}
        return PopulationConfig(name, size, model, fixed=fixed, **common)
    params = nm.with_defaults(_model_params(m.get("params"), at(path, "params"), nm.physical), nm.physical)
    if "params_file" in m:
        if "fixed" in m:
            raise ConfigError(at(path, "params_file"), "params_file holds physical parameters; it cannot go "
                                                       "with fixed")
        common["params_file"] = _params_file(m["params_file"], at(path, "params_file"), base_dir, size, nm.physical)
    return PopulationConfig(name, size, model, params=params, **common)


# ---- per-neuron parameter files (issue #7: mapped NIR / ANN networks) --------------------
_INITIAL_ARRAYS = ("initial_u", "initial_v")


def _params_file(value: Any, path: str, base_dir: Path, size: int, table: dict) -> str:
    """A ``.npz`` of per-neuron physical parameters: each array a scalar or of shape (size,).

    Keys are the model's numeric physical parameters plus ``initial_u``/``initial_v``;
    the arrays override ``params`` (docs/yaml.md, ``params_file``).
    """
    import numpy as np
    file = _data_file(value, path, base_dir)
    numeric = sorted(k for k, prm in table.items() if prm.kind is float)
    if not file.endswith(".npz"):
        raise ConfigError(path, f"expected a .npz file of per-neuron parameters, got {value!r}")
    try:
        z = np.load(file)
    except (OSError, ValueError) as exc:
        raise ConfigError(path, f"cannot read {file}: {exc}") from None
    with z:
        for key in z.files:
            if key not in numeric and key not in _INITIAL_ARRAYS:
                raise ConfigError(path, f"{Path(file).name}: unknown array {key!r}; valid: "
                                        f"{', '.join([*numeric, *_INITIAL_ARRAYS])}{suggest(key, numeric)}")
            a = np.asarray(z[key])
            if a.shape not in ((), (size,)) or a.dtype.kind not in "fiu" or not np.all(np.isfinite(a)):
                raise ConfigError(path, f"{Path(file).name}: array {key!r} must hold finite numbers, a scalar or "
                                        f"shape ({size},); got {a.dtype} {a.shape}")
            prm = table.get(key)
            if prm is not None and ((prm.lo is not None and a.min() < prm.lo) or
                                    (prm.hi is not None and a.max() > prm.hi)):
                raise ConfigError(path, f"{Path(file).name}: {key} outside [{prm.lo}, {prm.hi}] "
                                        f"(min {a.min():g}, max {a.max():g})")
    return file
# ---- end per-neuron parameter files --------------------------------------------------------


def _initial(raw: Any, path: str) -> dict[str, Distribution]:
    """Initial ``u``/``v`` (units of v, or register counts for fixed populations): number or distribution."""
    m = section(raw, path, ("u", "v"))
    return {k: _distribution(v, at(path, k), ("uniform", "normal"), number) for k, v in m.items()}


def _model_params(raw: Any, path: str, table: dict) -> dict:
    m = section(raw, path, table)
    return {k: param(v, at(path, k), k, table[k]) for k, v in m.items()}


def _projection(raw: Any, path: str, ctx: _Ctx) -> ProjectionConfig:
    m = mapping(raw, path, _PROJ_KEYS, required=("source", "target", "connectivity"))
    src = ctx.pops[get(m, "source", path, choice, options=ctx.pops, what="population")]
    tgt = ctx.pops[get(m, "target", path, choice, options=ctx.pops, what="population")]
    if tgt.model == SOURCE:
        raise ConfigError(at(path, "target"), f"{tgt.name!r} is a source population (driven by its stimulus) "
                                              "and cannot receive synapses; target a neuron population")
    conn = get(m, "connectivity", path, choice, options=_CONNECTIVITY, what="connectivity")
    for other, key in _CONNECTIVITY.items():
        if key and key in m and other != conn:
            raise ConfigError(at(path, key), f"{key} is only used with connectivity {other}, not {conn}; "
                                             "remove it")
    needed = _CONNECTIVITY[conn]
    if needed and needed not in m:
        raise ConfigError(path, f"connectivity {conn} needs the key {needed!r}")
    if conn == "one_to_one" and src.size != tgt.size:
        raise ConfigError(at(path, "connectivity"), f"one_to_one needs equal sizes, but {src.name!r} has "
                                                    f"{src.size} neurons and {tgt.name!r} has {tgt.size}")
    allow_self = get(m, "allow_self", path, boolean, True)
    max_indegree = src.size - (src is tgt and not allow_self)
    raw_target = bool(tgt.fixed)
    if "weight_exp" in m and not raw_target:
        raise ConfigError(at(path, "weight_exp"), f"weight_exp is only for targets given in fixed point "
                                                  f"(fixed:); {tgt.name!r} uses physical params, so give "
                                                  "weight in the units of its v and the mapper picks the exponent")
    delay, unit = _delay(m, path, ctx)
    return ProjectionConfig(
        name=get(m, "name", path, identifier, f"{src.name}_{tgt.name}"),
        source=src.name, target=tgt.name, connectivity=conn,
        weight=_weight(m, path, conn, tgt),
        p=get(m, "p", path, number, None, lo=0, hi=1, lo_open=True),
        indegree=get(m, "indegree", path, integer, None, lo=1, hi=max_indegree),
        file=get(m, "file", path, _data_file, None, base_dir=ctx.base_dir),
        delay=delay, delay_unit=unit,
        weight_exp=get(m, "weight_exp", path, integer, 0, lo=fx.WEIGHT_EXP_MIN, hi=fx.WEIGHT_EXP_MAX)
        if raw_target else None,
        allow_self=allow_self,
        port=_port(m, path, tgt),
        path=path, plasticity=_plasticity(m.get("plasticity"), at(path, "plasticity"), ctx, tgt)
        if "plasticity" in m else None)


def _port(m: dict, path: str, tgt: PopulationConfig) -> str:
    """The projection's dendritic port; ``dend`` exists only on two-compartment targets, which
    have no separate inhibitory port."""
    port = get(m, "port", path, choice, "auto", options=("auto", "exc", "inh", "dend"), what="port")
    two = MODELS[tgt.model].two_compartment
    if port == "dend" and not two:
        raise ConfigError(at(path, "port"), f"port dend needs a two-compartment target (model lif2c); "
                                            f"{tgt.name!r} is {tgt.model}: use exc, inh or auto")
    if port == "inh" and two:
        raise ConfigError(at(path, "port"), f"{tgt.name!r} is a two-compartment neuron (lif2c): its second port "
                                            "is the dendrite; use port dend, or exc for the soma")
    return port


def _plasticity(raw: Any, path: str, ctx: _Ctx | None = None, tgt: PopulationConfig | None = None):
    """``plasticity:`` of a projection -> LearningSpec (docs/learning.md): a built-in ``rule``
    (with ``params``) or a ``dw`` expression (and a tag rule ``dt``), ``epoch``, ``sign`` or
    ``weight_range``, ``traces``, ``third_factor``."""
    from ..errors import NeuroemuError
    from ..learning import BUILTINS, SIGN_BOUNDS, TRACE_NAMES, LearningSpec, RuleError, expand, parse_rule
    from ..learning.fixed import TRACE_DECAY_MAX, TRACE_MAX
    if isinstance(raw, str):
        raw = {"rule": raw}
    m = mapping(raw, path, _PLASTICITY_KEYS)
    if ("rule" in m) == ("dw" in m):
        raise ConfigError(path, "give exactly one of 'rule' (a built-in: " + ", ".join(sorted(BUILTINS))
                          + ") or 'dw' (an expression such as '2^-2*x1*y0 - 2^-2*y1*x0')")
    traces, sign = {}, "exc"
    if "rule" in m:
        name = get(m, "rule", path, choice, options=BUILTINS, what="learning rule")
        params = section(m.get("params"), at(path, "params"), BUILTINS[name].params)
        params = {k: integer(v, at(at(path, "params"), k), lo=-8, hi=7) for k, v in params.items()}
        try:
            dw = expand(name, params)
        except NeuroemuError as exc:
            raise ConfigError(at(path, "params"), str(exc)) from None
        traces, sign = dict(BUILTINS[name].traces), BUILTINS[name].sign
        dt = BUILTINS[name].dt and BUILTINS[name].dt.format(**{**BUILTINS[name].params, **params})
        if "dt" in m:
            raise ConfigError(at(path, "dt"), f"the built-in rule {name!r} sets its own tag rule; for a custom dt "
                                              "give dw instead of rule")
    else:
        name, dw, params = "custom", get(m, "dw", path, string), {}
        dt = get(m, "dt", path, string, None)
        if "params" in m:
            raise ConfigError(at(path, "params"), "params are for built-in rules; write the numbers into dw")
    try:
        rule = parse_rule(dw)
    except RuleError as exc:
        raise ConfigError(at(path, "dw" if "dw" in m else "rule"), str(exc)) from None
    if dt is not None:
        try:
            parse_rule(dt, "dt")
        except RuleError as exc:
            raise ConfigError(at(path, "dt"), str(exc)) from None
    elif "t" in rule.variables:
        raise ConfigError(at(path, "dw"), "dw uses the synaptic tag t, but the rule has no tag rule; add dt (e.g. "
                                          "dt: 2^-1*x1*y0 - 2^-1*y1*x0 - 2^-4*t), or use rule: reward_eligibility")
    third = None
    if "third_factor" in m:
        from ..learning.config import third_factor
        third = third_factor(m["third_factor"], at(path, "third_factor"), ctx.base_dir if ctx else Path("."),
                             tgt.name if tgt else "?", tgt.size if tgt else 1)
    tr = section(m.get("traces"), at(path, "traces"), TRACE_NAMES)
    for k, v in tr.items():
        sub = at(at(path, "traces"), k)
        v = mapping(v, sub, ("decay", "impulse"))
        traces[k] = (get(v, "decay", sub, integer, traces.get(k, (0, 0))[0], lo=0, hi=TRACE_DECAY_MAX),
                     get(v, "impulse", sub, integer, traces.get(k, (0, 0))[1], lo=0, hi=TRACE_MAX))
    sign = get(m, "sign", path, choice, sign, options=SIGN_BOUNDS, what="sign mode")
    lo, hi = SIGN_BOUNDS[sign]
    if "weight_range" in m:
        wr = get(m, "weight_range", path, seq, length=2)
        lo, hi = (integer(v, item(at(path, "weight_range"), i), lo=SIGN_BOUNDS[sign][0], hi=SIGN_BOUNDS[sign][1])
                  for i, v in enumerate(wr))
        if lo > hi:
            raise ConfigError(at(path, "weight_range"), f"[{lo}, {hi}]: the lower bound exceeds the upper")
    epoch = get(m, "epoch", path, integer, 1, lo=1, hi=1 << 16)
    structural = None
    if "structural" in m:           # rewiring every N epochs (docs/structural.md)
        from ..learning.structural import structural_spec
        structural = structural_spec(m["structural"], at(path, "structural"), lo, hi, epoch)
    return LearningSpec(dw=dw, name=name, epoch=epoch, wmin=lo, wmax=hi, traces=traces, dt=dt, third_factor=third,
                        params=params, structural=structural)


def _weight(m: dict, path: str, conn: str, tgt: PopulationConfig) -> Distribution:
    wpath = at(path, "weight")
    if conn == "explicit":
        if "weight" in m:
            raise ConfigError(wpath, "an explicit projection takes its weights from its file; remove weight")
        return Distribution("const", value=1.0)
    if "weight" not in m:
        raise ConfigError(path, "missing required key 'weight' (a number, {uniform: [low, high]} "
                                "or {normal: [mean, std]})")
    if not tgt.fixed:
        return _distribution(m["weight"], wpath, ("uniform", "normal"), number)
    if isinstance(m["weight"], dict) and "normal" in m["weight"]:
        raise ConfigError(wpath, f"a normal distribution is unbounded; the target {tgt.name!r} is given in "
                                 f"fixed point, so use an integer or {{uniform: [low, high]}} within "
                                 f"[{fx.WEIGHT_MIN}, {fx.WEIGHT_MAX}]")
    return _distribution(m["weight"], wpath, ("uniform",), _raw_weight)


def _raw_weight(value: Any, path: str) -> int:
    """An integer weight mantissa in [WEIGHT_MIN, WEIGHT_MAX]."""
    if not is_integer(value):
        raise ConfigError(path, f"expected an integer weight mantissa (the target is given in fixed point), "
                                f"got {show(value)}")
    if not fx.WEIGHT_MIN <= value <= fx.WEIGHT_MAX:
        raise ConfigError(path, f"{value} is outside the 8-bit range [{fx.WEIGHT_MIN}, {fx.WEIGHT_MAX}]")
    return int(value)


def _delay(m: dict, path: str, ctx: _Ctx) -> tuple[Distribution, str]:
    max_delay = ctx.chip.limits.max_delay
    if "delay" in m and "delay_ms" in m:
        raise ConfigError(path, "give delay (timesteps) or delay_ms, not both")
    if "delay_ms" not in m:
        steps = partial(integer, lo=0, hi=max_delay)
        return get(m, "delay", path, _distribution, Distribution(), kinds=("uniform_int",), check=steps), "steps"
    dpath = at(path, "delay_ms")
    d = _distribution(m["delay_ms"], dpath, ("uniform",), partial(number, lo=0))
    for ms in (d.value,) if d.kind == "const" else (d.low, d.high):
        if round(ms / ctx.dt_ms) > max_delay:
            raise ConfigError(dpath, f"{ms:g} ms is {round(ms / ctx.dt_ms)} timesteps at dt_ms {ctx.dt_ms:g}; "
                                     f"the chip allows at most {max_delay} (chip.limits.max_delay)")
    return d, "ms"


def _distribution(value: Any, path: str, kinds: tuple[str, ...], check) -> Distribution:
    """A scalar (``const``) or a one-key mapping ``{kind: [a, b]}``; ``check`` validates each number."""
    if not isinstance(value, dict):
        return Distribution("const", value=check(value, path))
    m = mapping(value, path, kinds, what="a number or a mapping")
    if len(m) != 1:
        raise ConfigError(path, f"expected exactly one of {', '.join(kinds)}, got {len(m)} keys")
    (kind, args), = m.items()
    kpath = at(path, kind)
    a, b = (check(v, item(kpath, i)) for i, v in enumerate(seq(args, kpath, length=2)))
    if kind == "normal":
        return Distribution("normal", mean=a, std=number(b, item(kpath, 1), lo=0))
    if a > b:
        raise ConfigError(kpath, f"expected [low, high] with low <= high, got [{a}, {b}]")
    return Distribution(kind, low=a, high=b)


def _data_file(value: Any, path: str, base_dir: Path) -> str:
    """An existing .npy/.npz file, relative to the config's directory; returned resolved."""
    name = string(value, path)
    file = base_dir / name
    if file.suffix not in _DATA_SUFFIXES:
        raise ConfigError(path, f"expected a .npy or .npz file, got {name!r}")
    if not file.is_file():
        raise ConfigError(path, f"file not found: {file} (relative paths start at {base_dir})")
    return str(file)


# ----------------------------------------------------------------- stimulus and probes
def _stimuli(raw: Any, ctx: _Ctx, driven: tuple = ()) -> tuple[StimulusConfig, ...]:
    sources = [p.name for p in ctx.pops.values() if p.model == SOURCE]
    m = {} if raw is None else raw
    if not isinstance(m, dict):
        raise ConfigError("stimulus", f"expected a mapping from source population name to its stimulus, "
                                      f"got {show(raw)}")
    for key in m:
        if key not in ctx.pops:
            raise ConfigError("stimulus", f"unknown population {show(key)}; source populations: "
                                          f"{', '.join(sources) or 'none'}{suggest(key, sources)}")
        if key not in sources:
            raise ConfigError(at("stimulus", key), f"{key!r} is a {ctx.pops[key].model} population, not a "
                                                   f"source; only source populations take a stimulus")
    for name in driven:
        if name in m:
            raise ConfigError(at("stimulus", name), f"{name!r} is driven by the task: block (its images or "
                                                    "labels); remove this stimulus entry")
    for name in sources:
        if name not in m and name not in driven:
            raise ConfigError("stimulus", f"source population {name!r} has no stimulus; add stimulus.{name}, "
                                          "e.g. {type: poisson, rate_hz: 10}")
    return tuple(_stimulus(v, at("stimulus", k), ctx.pops[k], ctx) for k, v in m.items())


def _stimulus(raw: Any, path: str, pop: PopulationConfig, ctx: _Ctx) -> StimulusConfig:
    if not isinstance(raw, dict):
        raise ConfigError(path, f"expected a mapping with a type ({', '.join(_STIM_KEYS)}) and its keys, "
                                f"got {show(raw)}")
    kind = get(raw, "type", path, choice, options=_STIM_KEYS, what="stimulus type")
    m = mapping(raw, path, (*_STIM_COMMON, *_STIM_KEYS[kind]), required=_STIM_REQUIRED.get(kind, ()))
    out = dict(population=pop.name, kind=kind, path=path,
               start_step=get(m, "start_step", path, integer, 0, lo=0),
               stop_step=get(m, "stop_step", path, nullable(integer), None, lo=0))
    if out["stop_step"] is not None and out["stop_step"] < out["start_step"]:
        raise ConfigError(at(path, "stop_step"), f"stop_step ({out['stop_step']}) is before start_step "
                                                 f"({out['start_step']})")
    rate = partial(_rate, dt_ms=ctx.dt_ms)
    if kind == "poisson":
        if ("rate_hz" in m) == ("rates_hz" in m):
            raise ConfigError(path, "poisson needs exactly one of rate_hz (one rate) or rates_hz (one per neuron)")
        out["rate_hz"] = get(m, "rate_hz", path, rate, 0.0)
        out["rates_hz"] = _values(m, "rates_hz", path, rate, pop.size)
    elif kind == "regular":
        out["period_steps"] = get(m, "period_steps", path, integer, 1, lo=1)
        out["phase_steps"] = get(m, "phase_steps", path, integer, 0, lo=0)
    elif kind == "spike_times":
        out["times_steps"] = _values(m, "times_steps", path, partial(integer, lo=0))
        out["indices"] = _values(m, "indices", path, partial(integer, lo=0, hi=pop.size - 1),
                                 len(out["times_steps"]))
    elif kind == "encoded":
        from ..io.encoders import validate_encoding
        out["encoding"] = validate_encoding(m, path, pop.size, ctx.dt_ms, ctx.base_dir)
    else:
        out["file"] = get(m, "file", path, _data_file, base_dir=ctx.base_dir)
    return StimulusConfig(**out)


def _values(m: dict, key: str, path: str, check, length: int | None = None) -> tuple:
    """The list ``m[key]`` (empty if absent) with ``check`` applied to each element."""
    if key not in m:
        return ()
    kpath = at(path, key)
    return tuple(check(v, item(kpath, i)) for i, v in enumerate(seq(m.get(key), kpath, length=length)))


def _rate(value: Any, path: str, dt_ms: float) -> float:
    rate = number(value, path, lo=0)
    if rate * dt_ms / 1000.0 > 1.0:
        raise ConfigError(path, f"{rate:g} Hz at dt_ms {dt_ms:g} is more than one spike per timestep; "
                                f"use at most {1000.0 / dt_ms:g} Hz")
    return rate


def _probe(raw: Any, path: str, ctx: _Ctx) -> ProbeConfig:
    m = mapping(raw, path, ("population", "neurons", "variables"), required=("population", "neurons"))
    pop = ctx.pops[get(m, "population", path, choice, options=ctx.pops, what="population")]
    if pop.model == SOURCE:
        raise ConfigError(at(path, "population"), f"{pop.name!r} is a source population: it has no neuron "
                                                  "state to probe (its spikes are in the spike output)")
    neurons = _values(m, "neurons", path, partial(integer, lo=0, hi=pop.size - 1))
    if not neurons:
        raise ConfigError(at(path, "neurons"), "expected at least one neuron index")
    valid = ["u", "v"]
    if MODELS[pop.model].adaptive:
        valid.append("th")
    if (pop.params.get("tau_syn_inh_ms") is not None or pop.fixed.get("du_inh") is not None
            or MODELS[pop.model].two_compartment):
        valid.append("u_inh")     # the inhibitory current, or the dendritic current of lif2c
    variables = _values(m, "variables", path, _probe_variable(pop, valid)) if "variables" in m else ("u", "v")
    if not variables:
        raise ConfigError(at(path, "variables"), f"expected at least one of {', '.join(valid)}")
    return ProbeConfig(pop.name, neurons, variables, path=path)


def _probe_variable(pop: PopulationConfig, valid: list[str]):
    def check(value: Any, path: str) -> str:
        if value not in valid:
            raise ConfigError(path, f"{show(value)} cannot be probed in population {pop.name!r} "
                                    f"(model {pop.model}); valid: {', '.join(valid)}")
        return value
    return check
