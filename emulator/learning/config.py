"""YAML blocks of on-chip learning runs (docs/learning.md, docs/yaml.md): the third factor of a
plastic projection (``plasticity.third_factor``), the wake/sleep schedule (``run.schedule``) and
the training task (``task:``). Each validator takes the raw value and its YAML path and returns a
frozen dataclass, or raises exactly one ConfigError naming the field, like ``emulator.config``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..config.schema import at, boolean, choice, get, integer, item, mapping, nullable, number, section, seq, string
from ..errors import ConfigError
from .fixed import SCALE_EXP_MAX, SCALE_EXP_MIN

R_MIN, R_MAX = -128, 127          #: the third factor r is a signed 8-bit register per neuron
THIRD_FACTOR_SOURCES = ("constant", "schedule", "labels", "task")
DATASETS = ("digits", "mnist5k")
TASK_KINDS = ("classify", "two_choice")
ENCODINGS = ("bernoulli", "regular")
READOUTS = ("groups", "assign", "proportion")
DEFAULT_READOUT_PRIOR = 0.2       #: spikes per image (docs/learning.md, "Readouts")


# ----------------------------------------------------------------- third factor
@dataclass(frozen=True)
class ThirdFactor:
    """Who sets r of the target neurons: ``constant`` (``value``), ``schedule`` (``steps``: (first
    step, r) pairs), ``labels`` (r = ``match`` in the label's group of the target, ``other`` in the
    other groups; labels from ``file`` or from the task) or ``task`` (the task's reward)."""
    source: str
    value: int = 0
    steps: tuple = ()
    file: str | None = None
    match: int = 1
    other: int = -1
    classes: int | None = None
    path: str = ""


def _r(value: Any, path: str) -> int:
    return integer(value, path, lo=R_MIN, hi=R_MAX)


def third_factor(raw: Any, path: str, base_dir: Path, target: str, target_size: int) -> ThirdFactor:
    """``plasticity.third_factor``: ``{from: constant, value: R}``, ``{from: schedule, steps: [[t, R], ...]}``,
    ``{from: labels, file: F.npz, match: R, other: R, classes: N}`` or ``{from: task}``."""
    if not isinstance(raw, dict):
        raise ConfigError(path, f"expected a mapping with 'from' ({', '.join(THIRD_FACTOR_SOURCES)}), "
                                f"e.g. {{from: constant, value: 1}}; got {raw!r}")
    src = get(raw, "from", path, choice, options=THIRD_FACTOR_SOURCES, what="third-factor source")
    keys = {"constant": ("from", "value"), "schedule": ("from", "steps"),
            "labels": ("from", "file", "match", "other", "classes"), "task": ("from",)}[src]
    m = mapping(raw, path, keys, required={"constant": ("value",), "schedule": ("steps",)}.get(src, ()))
    if src == "constant":
        return ThirdFactor(src, value=get(m, "value", path, _r), path=path)
    if src == "schedule":
        spath = at(path, "steps")
        steps = []
        for i, pair in enumerate(seq(m["steps"], spath, min_len=1)):
            t, r = seq(pair, item(spath, i), length=2)
            t = integer(t, item(item(spath, i), 0), lo=0)
            if steps and t <= steps[-1][0]:
                raise ConfigError(item(item(spath, i), 0), f"step {t} is not after the previous one "
                                                           f"({steps[-1][0]}); list [step, r] pairs in time order")
            steps.append((t, _r(r, item(item(spath, i), 1))))
        return ThirdFactor(src, steps=tuple(steps), path=path)
    if src == "labels":
        file = None
        if "file" in m:
            file = _labels_file(m["file"], at(path, "file"), base_dir)
        classes = get(m, "classes", path, nullable(integer), None, lo=1)
        if classes is not None and target_size % classes:
            raise ConfigError(at(path, "classes"), f"{target!r} has {target_size} neurons, which do not split into "
                                                   f"{classes} equal groups (one per class)")
        return ThirdFactor(src, file=file, match=get(m, "match", path, _r, 1), other=get(m, "other", path, _r, -1),
                           classes=classes, path=path)
    return ThirdFactor(src, path=path)


def _labels_file(value: Any, path: str, base_dir: Path) -> str:
    """A .npz with ``times`` (first step of each label window) and ``labels`` (class, -1 = none)."""
    import numpy as np
    name = string(value, path)
    file = base_dir / name
    if file.suffix != ".npz" or not file.is_file():
        raise ConfigError(path, f"expected an existing .npz file with arrays 'times' and 'labels', got {name!r} "
                                f"(relative paths start at {base_dir})")
    with np.load(file) as z:
        if not {"times", "labels"} <= set(z.files):
            raise ConfigError(path, f"{file.name} needs arrays 'times' (first step of each label) and 'labels' "
                                    f"(class, -1 = none); it has {', '.join(z.files) or 'none'}")
        t = np.asarray(z["times"])
        if t.shape != np.asarray(z["labels"]).shape or t.ndim != 1 or (t.size > 1 and np.any(np.diff(t) <= 0)):
            raise ConfigError(path, f"{file.name}: 'times' and 'labels' must be 1-d, of equal length, times rising")
    return str(file)


# ----------------------------------------------------------------- schedule
@dataclass(frozen=True)
class SchedulePhase:
    """One phase of ``run.schedule``: ``steps`` timesteps with only the ``inputs`` sources on (None: all),
    every plastic projection learning with ``rule`` (None: its own), plus the ``decay`` terms
    ``2^exp*baseline - 2^exp*w`` (pull toward ``baseline``), or not learning (``learning`` false)."""
    kind: str
    steps: int
    inputs: tuple | None = None
    rule: str | None = None
    decay: tuple | None = None        #: (baseline, exp)
    learning: bool = True


@dataclass(frozen=True)
class Schedule:
    phases: tuple
    repeat: int = 1
    sample_every: int = 0             #: timesteps between weight-statistics samples (0: at phase ends)

    @property
    def timesteps(self) -> int:
        return self.repeat * sum(p.steps for p in self.phases)

    def expanded(self) -> list:
        """Every phase in run order, with its first step: [(first step, phase), ...]."""
        out, t = [], 0
        for _ in range(self.repeat):
            for p in self.phases:
                out.append((t, p))
                t += p.steps
        return out


_PHASE_KEYS = ("kind", "steps", "inputs", "rule", "decay", "learning")


def schedule(raw: Any, path: str, sources: list) -> Schedule:
    """``run.schedule``: ``{phases: [...], repeat: N, sample_every: S}`` or just the list of phases."""
    from .rules import RuleError, parse_rule
    if isinstance(raw, list):
        raw = {"phases": raw}
    m = mapping(raw, path, ("phases", "repeat", "sample_every"), required=("phases",),
                what="a mapping (or a list of phases)")
    ppath = at(path, "phases")
    phases = []
    for i, r in enumerate(seq(m["phases"], ppath, min_len=1)):
        sub = item(ppath, i)
        p = mapping(r, sub, _PHASE_KEYS, required=("kind", "steps"))
        kind = get(p, "kind", sub, choice, options=("wake", "sleep"), what="phase kind")
        inputs = None
        if "inputs" in p:
            ipath = at(sub, "inputs")
            inputs = tuple(choice(v, item(ipath, k), options=sources, what="source population")
                           for k, v in enumerate(seq(p["inputs"], ipath)))
        rule = get(p, "rule", sub, nullable(string), None)
        if rule is not None:
            try:
                parse_rule(rule)
            except RuleError as exc:
                raise ConfigError(at(sub, "rule"), str(exc)) from None
        decay = None
        if "decay" in p:
            dpath = at(sub, "decay")
            d = mapping(p["decay"], dpath, ("baseline", "exp"), required=("baseline", "exp"))
            decay = (get(d, "baseline", dpath, integer, lo=1, hi=127),
                     get(d, "exp", dpath, integer, lo=SCALE_EXP_MIN, hi=SCALE_EXP_MAX))
        learning = get(p, "learning", sub, boolean, True)
        if not learning and (rule is not None or decay is not None):
            raise ConfigError(sub, "a phase with learning: false takes no rule or decay; remove them")
        phases.append(SchedulePhase(kind, get(p, "steps", sub, integer, lo=1), inputs, rule, decay, learning))
    return Schedule(tuple(phases), get(m, "repeat", path, integer, 1, lo=1),
                    get(m, "sample_every", path, integer, 0, lo=0))


# ----------------------------------------------------------------- task
@dataclass(frozen=True)
class ClassifyTask:
    """Image classification learned on the chip: train (learning on), name the output neurons,
    test (learning off); docs/learning.md."""
    dataset: str
    input: str
    output: str
    teacher: str | None = None
    classes: int = 10
    teacher_period: int = 1
    max_prob: float = 1.0
    encoding: str = "bernoulli"
    levels: int = 1                   #: input channels per pixel (trains.level_code; 1: the pixel values)
    epochs: int = 1
    present: int = 50
    rest: int = 30
    limit: int | None = None
    epoch_params: tuple = ()          #: per training pass: built-in rule parameters (the last repeats)
    test_present: int | None = None
    reset_thresholds: bool = True
    test_homeostasis: bool = True     #: th_inc / dth keep adapting the thresholds while naming and testing
    readout: str = "groups"
    readout_prior: float = 0.0        #: proportion readout: spikes per image credited to a neuron's teacher group
    curve_points: int = 0
    curve_images: int = 200
    kind: str = "classify"
    path: str = "task"


@dataclass(frozen=True)
class ChoiceTask:
    """A two-choice (contextual bandit) task: cue k is shown, the action group that spikes most is
    the choice, the reward r follows (``reward`` if correct, ``punish`` if not) for ``reward_steps``."""
    input: str
    output: str
    cues: int = 2
    actions: int = 2
    target: tuple = ()
    trials: int = 400
    present: int = 40
    reward_steps: int = 10
    rest: int = 60
    rate: float = 0.3
    reward: int = 1
    punish: int = -1
    test_trials: int = 100
    reversal: int | None = None       #: trial at which the correct actions swap (None: never)
    window: int = 50                  #: trials per point of the learning curve
    kind: str = "two_choice"
    path: str = "task"


_CLASSIFY_KEYS = ("kind", "dataset", "input", "output", "teacher", "classes", "teacher_period", "encoding",
                  "train", "test", "readout", "readout_prior", "curve")
_TRAIN_KEYS = ("epochs", "present", "rest", "limit", "params")
_TEST_KEYS = ("present", "reset_thresholds", "homeostasis")
_CHOICE_KEYS = ("kind", "input", "output", "cues", "actions", "target", "trials", "present", "reward_steps", "rest",
                "rate", "reward", "punish", "test_trials", "reversal", "window")


def task(raw: Any, path: str, pops: dict) -> ClassifyTask | ChoiceTask:
    """``task:`` (``pops``: population name -> PopulationConfig)."""
    if not isinstance(raw, dict):
        raise ConfigError(path, f"expected a mapping with a kind ({', '.join(TASK_KINDS)}), got {raw!r}")
    kind = get(raw, "kind", path, choice, options=TASK_KINDS, what="task kind")
    sources = [n for n, p in pops.items() if p.model == "source"]
    neurons = [n for n, p in pops.items() if p.model != "source"]
    if kind == "classify":
        return _classify(mapping(raw, path, _CLASSIFY_KEYS, required=("dataset", "input", "output")), path, pops,
                         sources, neurons)
    m = mapping(raw, path, _CHOICE_KEYS, required=("input", "output"))
    inp = get(m, "input", path, choice, options=sources, what="source population")
    out = get(m, "output", path, choice, options=neurons, what="neuron population")
    cues = get(m, "cues", path, integer, 2, lo=1)
    actions = get(m, "actions", path, integer, 2, lo=2)
    for key, name, n in (("input", inp, cues), ("output", out, actions)):
        if pops[name].size % n:
            raise ConfigError(at(path, key), f"{name!r} has {pops[name].size} neurons, which do not split into "
                                             f"{n} equal groups ({'cues' if key == 'input' else 'actions'})")
    target = tuple(c % actions for c in range(cues))
    if "target" in m:
        tpath = at(path, "target")
        target = tuple(integer(v, item(tpath, i), lo=0, hi=actions - 1)
                       for i, v in enumerate(seq(m["target"], tpath, length=cues)))
    trials = get(m, "trials", path, integer, 400, lo=1)
    return ChoiceTask(inp, out, cues, actions, target, trials, get(m, "present", path, integer, 40, lo=1),
                      get(m, "reward_steps", path, integer, 10, lo=1), get(m, "rest", path, integer, 60, lo=0),
                      get(m, "rate", path, number, 0.3, lo=0, hi=1, lo_open=True), get(m, "reward", path, _r, 1),
                      get(m, "punish", path, _r, -1), get(m, "test_trials", path, integer, 100, lo=0),
                      get(m, "reversal", path, nullable(integer), None, lo=1, hi=trials - 1),
                      get(m, "window", path, integer, 50, lo=1), path=path)


def _classify(m: dict, path: str, pops: dict, sources: list, neurons: list) -> ClassifyTask:
    inp = get(m, "input", path, choice, options=sources, what="source population")
    out = get(m, "output", path, choice, options=neurons, what="neuron population")
    teacher = get(m, "teacher", path, nullable(choice), None, options=sources, what="source population")
    dataset = get(m, "dataset", path, choice, options=DATASETS, what="dataset")
    pixels = {"digits": 64, "mnist5k": 784}[dataset]
    enc_path = at(path, "encoding")
    enc = section(m.get("encoding"), enc_path, ("kind", "max_prob", "levels"))
    levels = get(enc, "levels", enc_path, integer, 1, lo=1)
    size = pops[inp].size
    if size != pixels * levels:
        if "levels" not in enc:
            hint = f" (or levels: {size // pixels} in task.encoding)" if size % pixels == 0 and size > pixels else ""
            raise ConfigError(at(path, "input"), f"dataset {dataset} has {pixels} pixels, but {inp!r} has "
                                                 f"{size} neurons; give it size {pixels}{hint}")
        fit = f", or set levels: {size // pixels}" if size % pixels == 0 else ""
        raise ConfigError(at(enc_path, "levels"), f"levels {levels} codes each of the {pixels} pixels of {dataset} "
                                                  f"on {levels} input channels, so {inp!r} needs {pixels * levels} "
                                                  f"neurons, but it has {size}; give it size {pixels * levels}{fit}")
    classes = get(m, "classes", path, integer, 10, lo=2)
    if classes != 10:
        raise ConfigError(at(path, "classes"), f"dataset {dataset} has 10 classes, got {classes}")
    if teacher is not None and pops[teacher].size != classes:
        raise ConfigError(at(path, "teacher"), f"the teacher source needs one neuron per class ({classes}); "
                                               f"{teacher!r} has {pops[teacher].size}")
    if teacher == inp:
        raise ConfigError(at(path, "teacher"), "the teacher must be another source than the input")
    readout = get(m, "readout", path, choice, "groups" if teacher else "assign", options=READOUTS, what="readout")
    prior = 0.0
    if "readout_prior" in m:
        if readout != "proportion" or teacher is None:
            raise ConfigError(at(path, "readout_prior"), "the prior credits each neuron's teacher group: it needs "
                                                         "readout: proportion and a teacher; remove readout_prior")
        prior = get(m, "readout_prior", path, number, lo=0)
    elif readout == "proportion" and teacher is not None:
        prior = DEFAULT_READOUT_PRIOR
    if (readout == "groups" or prior > 0) and pops[out].size % classes:
        raise ConfigError(at(path, "readout"), f"readout {readout} splits {out!r} into {classes} equal groups, but it "
                                               f"has {pops[out].size} neurons")
    tr_path, te_path = at(path, "train"), at(path, "test")
    tr = section(m.get("train"), tr_path, _TRAIN_KEYS)
    te = section(m.get("test"), te_path, _TEST_KEYS)
    params = ()
    if tr.get("params") is not None:        # null: the rules' own exponents in every pass
        ppath = at(tr_path, "params")
        params = tuple({k: integer(v, at(item(ppath, i), k), lo=SCALE_EXP_MIN, hi=SCALE_EXP_MAX)
                        for k, v in mapping(d, item(ppath, i), _param_names(pops)).items()}
                       for i, d in enumerate(seq(tr["params"], ppath, min_len=1)))
    cv_path = at(path, "curve")
    cv = section(m.get("curve"), cv_path, ("points", "images"))
    return ClassifyTask(
        dataset, inp, out, teacher, classes,
        teacher_period=get(m, "teacher_period", path, integer, 1, lo=1),
        max_prob=get(enc, "max_prob", enc_path, number, 1.0, lo=0, hi=1, lo_open=True),
        encoding=get(enc, "kind", enc_path, choice, "bernoulli", options=ENCODINGS, what="encoding"),
        levels=levels,
        epochs=get(tr, "epochs", tr_path, integer, 1, lo=1),
        present=get(tr, "present", tr_path, integer, 50, lo=1),
        rest=get(tr, "rest", tr_path, integer, 30, lo=0),
        limit=get(tr, "limit", tr_path, nullable(integer), None, lo=1),
        epoch_params=params,
        test_present=get(te, "present", te_path, nullable(integer), None, lo=1),
        reset_thresholds=get(te, "reset_thresholds", te_path, boolean, True),
        test_homeostasis=get(te, "homeostasis", te_path, boolean, True),
        readout=readout, readout_prior=prior,
        curve_points=get(cv, "points", cv_path, integer, 0, lo=0),
        curve_images=get(cv, "images", cv_path, integer, 200, lo=10), path=path)


def _param_names(pops) -> tuple:
    """Every exponent name of every built-in rule (checked against the projections later)."""
    from .builtins import BUILTINS
    return tuple(sorted({k for b in BUILTINS.values() for k in b.params}))


@dataclass(frozen=True)
class LearningRun:
    """What ``neuroemu run`` needs beyond a plain simulation (None / empty where absent)."""
    task: Any = None
    schedule: Any = None
    third_factors: dict = field(default_factory=dict)   #: target population -> (ThirdFactor, projection)


def check_run(cfg) -> None:
    """Cross-field checks of a loaded RunConfig's learning blocks (task, schedule, third factors)."""
    task_ = getattr(cfg, "task", None)
    sched = getattr(cfg.run, "schedule", None)
    owners = {}
    for p in cfg.network.projections:
        spec = p.plasticity
        tf = getattr(spec, "third_factor", None) if spec is not None else None
        if tf is None:
            continue
        if p.target in owners and replace(owners[p.target], path="") != replace(tf, path=""):
            raise ConfigError(tf.path, f"projection {owners[p.target].path.split('.plasticity')[0]} already sets the "
                                       f"third factor of {p.target!r} differently; r is one register per neuron, so "
                                       "give the projections into one population the same third_factor")
        owners[p.target] = tf
        if tf.source == "task" and not isinstance(task_, ChoiceTask):
            raise ConfigError(at(tf.path, "from"), "from: task needs a task: block of kind two_choice, which "
                                                   "computes the reward from the chip's choice")
        if tf.source == "labels" and tf.file is None and not isinstance(task_, ClassifyTask):
            raise ConfigError(tf.path, "from: labels needs a file: (arrays times, labels) or a task: block of kind "
                                       "classify, whose dataset provides the labels")
        if tf.source == "labels":
            size = next(q.size for q in cfg.network.populations if q.name == p.target)
            classes = tf.classes or (task_.classes if isinstance(task_, ClassifyTask) else None)
            if classes is None:
                raise ConfigError(tf.path, "give classes: (the target population splits into one group per class)")
            if size % classes:
                raise ConfigError(tf.path, f"{p.target!r} has {size} neurons, which do not split into {classes} "
                                           "equal groups (one per class)")
    if isinstance(task_, ChoiceTask) and not any(tf.source == "task" for tf in owners.values()):
        raise ConfigError(task_.path, "a two_choice task rewards through the third factor: give the plastic "
                                      "projection into " f"{task_.output!r} third_factor: {{from: task}}")
    if task_ is not None and sched is not None:
        raise ConfigError("run.schedule", "a task: runs its own train/test schedule; remove run.schedule or task:")
    if isinstance(task_, ClassifyTask) and task_.epoch_params:
        plastic = [p for p in cfg.network.projections if p.plasticity is not None]
        from .builtins import BUILTINS
        for p in plastic:
            spec = p.plasticity
            valid = BUILTINS[spec.name].params if spec.name in BUILTINS else {}
            for i, d in enumerate(task_.epoch_params):
                for k in d:
                    if k not in valid:
                        raise ConfigError(at(item(at(task_.path, "train.params"), i), k),
                                          f"projection {p.name!r} learns with "
                                          f"{'rule ' + spec.name if valid else 'a custom dw'}, which has no "
                                          f"parameter {k!r}; its parameters: {', '.join(sorted(valid)) or 'none'}")
    if isinstance(task_, ClassifyTask) and not any(p.plasticity is not None for p in cfg.network.projections):
        raise ConfigError(task_.path, "a classify task trains plastic projections, but no projection has "
                                      "plasticity:")
