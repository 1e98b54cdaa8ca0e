"""``neuroemu run`` of a learning config (docs/learning.md): third factors, wake/sleep schedules and
training tasks, around the ordinary Simulation.

Nothing here learns: every weight and tag changes in the emulator's learn phase, in fixed point.
The host only does what a chip's host does: it sends spikes (images, labels, cues, noise), sets
the third factor r of neurons between timesteps (a label's group, a reward computed from the
chip's choice), swaps the rule programs between phases (as the chip reloads its learning
registers), and counts output spikes.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..errors import NeuroemuError
from ..image import atomic_write
from .config import ChoiceTask, ClassifyTask, Schedule
from .rules import parse_rule
from .schedule import weight_entropy
from .tasks import dense_weights, load_dataset, read_out, thresholds_for_test
from .trains import (ArrayTrain, GatedStimulus, ImageTrain, MultiTrain, add_source, encode_labels_train, level_code,
                     level_sum)


# ----------------------------------------------------------------- simulation helpers
def fork(sim, stimulus):
    """A new Simulation of the same image continuing from ``sim``'s state (weights, tags, traces,
    LFSRs, neuron state) with another stimulus; ``sim`` is not changed."""
    from ..engine.simulation import Simulation
    f = Simulation(sim.image, stimulus, threads=sim.threads)
    f.state = type(sim.state)(*(a.copy() for a in sim.state))
    f.buffers = type(sim.buffers)(*(a.copy() for a in sim.buffers))
    f.tables = sim.tables._replace(syn_word=sim.tables.syn_word.copy(), rule_prog=sim.tables.rule_prog)
    f.t = f.t_start = sim.t
    return f


def recent_spikes(sim, t0: int):
    """(times, global ids) of the spikes recorded at steps >= t0 (the last recorded parts only)."""
    ts, ids = [], []
    for t, i in zip(reversed(sim._spike_t), reversed(sim._spike_id)):
        ts.append(t)
        ids.append(i)
        if t.size and t[0] < t0:
            break
    if not ts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    t, i = np.concatenate(ts[::-1]), np.concatenate(ids[::-1])
    keep = t >= t0
    return t[keep], i[keep].astype(np.int64)


def rule_texts(image) -> list:
    """The weight rule text of every rule of the image, in rule order (from ``rule_names``)."""
    return [name.split(": ", 1)[1] for name in image.rule_names]


def use_programs(sim, texts) -> None:
    """Load one weight-rule program per rule (as the chip reloads its learning registers)."""
    sim.tables = sim.tables._replace(rule_prog=np.stack([parse_rule(t).encode() for t in texts]))


def phase_rule(own: str, phase) -> str:
    """The rule a schedule phase runs for a projection whose own rule is ``own``."""
    text = phase.rule if phase.rule is not None else own
    if phase.decay is not None:
        base, e = phase.decay
        body = text.split("=", 1)[1] if "=" in text else text
        text = f"{body.strip()} + 2^{e}*{base} - 2^{e}*w"
    return text


def plastic_projections(cfg):
    return [p for p in cfg.network.projections if p.plasticity is not None]


class Rewards:
    """The third factors of a run: r of each target population, set between timesteps."""

    def __init__(self, cfg, image, labels=None, classes=None):
        self.items = []     # (first id, size, ThirdFactor, (label times, labels) or None)
        self.classes = classes
        seen = set()
        for p in plastic_projections(cfg):
            tf = p.plasticity.third_factor
            if tf is None or p.target in seen:
                continue
            seen.add(p.target)
            pm = image.population(p.target)
            lab = labels
            if tf.source == "labels" and tf.file is not None:
                with np.load(tf.file) as z:
                    lab = (np.asarray(z["times"], np.int64), np.asarray(z["labels"], np.int64))
            self.items.append((pm.first_id, pm.size, tf, lab))

    def change_steps(self, t0: int, t1: int) -> list:
        """Steps in (t0, t1) at which some r changes."""
        out = set()
        for _, _, tf, lab in self.items:
            if tf.source == "schedule":
                out.update(t for t, _ in tf.steps)
            elif tf.source == "labels" and lab is not None:
                lo, hi = np.searchsorted(lab[0], [t0 + 1, t1])
                out.update(lab[0][lo:hi].tolist())
        return sorted(t for t in out if t0 < t < t1)

    def apply(self, sim, t: int, task_r: int | None = None) -> None:
        """Set r of every target population to its value at step ``t``."""
        for first, size, tf, lab in self.items:
            r = sim.buffers.reward[first:first + size]
            if tf.source == "constant":
                r[:] = tf.value
            elif tf.source == "schedule":
                k = np.searchsorted([s for s, _ in tf.steps], t, side="right") - 1
                r[:] = tf.steps[k][1] if k >= 0 else 0
            elif tf.source == "labels":
                k = np.searchsorted(lab[0], t, side="right") - 1 if lab is not None else -1
                label = int(lab[1][k]) if k >= 0 else -1
                if label < 0:
                    r[:] = 0
                else:
                    classes = tf.classes or self.classes or int(max(lab[1].max() + 1, 1))
                    group = np.arange(size) * classes // size
                    r[:] = np.where(group == label, tf.match, tf.other)
            elif tf.source == "task":
                r[:] = 0 if task_r is None else task_r


def _bar(total: int, enabled: bool, desc: str):
    if not enabled:
        class _No:
            def update(self, n):
                pass

            def set_description_str(self, s):
                pass

            def set_postfix_str(self, s):
                pass

            def close(self):
                pass
        return _No()
    from tqdm import tqdm
    return tqdm(total=total, unit="step", desc=desc, dynamic_ncols=True, leave=False)


def _write_json(path: Path, obj) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2, default=_jsonable).encode()))


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def _png(path: Path, data: bytes) -> str:
    atomic_write(path, lambda f: f.write(data))
    return str(path)


# ----------------------------------------------------------------- entry point
def run_learning(built, out, progress: bool = True, threads: int = 1) -> dict:
    """Run a learning config (``task:``, ``run.schedule`` or third factors) and write its results
    into ``out``; return the report (also written as ``out/report.json``)."""
    cfg = built.config
    if isinstance(cfg.task, ClassifyTask):
        return run_classify(built, Path(out), progress, threads)
    if isinstance(cfg.task, ChoiceTask):
        return run_choice(built, Path(out), progress, threads)
    return run_scheduled(built, Path(out), progress, threads)


# ----------------------------------------------------------------- schedules and third factors
def run_scheduled(built, out: Path, progress: bool = True, threads: int = 1, tag: str = "") -> dict:
    """``run.schedule`` phases (inputs on/off, rule per phase, decay toward a baseline, learning
    off) and third factors over ``run.timesteps`` (or the schedule's length); weight statistics
    of the plastic synapses are sampled at every phase end (and every ``sample_every`` steps)."""
    from ..engine.simulation import Simulation
    cfg, image = built.config, built.image
    sched: Schedule | None = cfg.run.schedule
    total = sched.timesteps if sched is not None else cfg.run.timesteps
    phases = sched.expanded() if sched is not None else [(0, None)]
    stimulus = built.stimulus
    if sched is not None and any(p.inputs is not None for _, p in phases):
        host = [p for p in image.populations if p.on_host]
        on = np.ones((len(phases), image.n_host), bool)
        for k, (_, ph) in enumerate(phases):
            if ph.inputs is not None:
                for pm in host:
                    on[k, pm.first_id:pm.first_id + pm.size] = pm.name in ph.inputs
        stimulus = GatedStimulus(built.stimulus, np.array([s for s, _ in phases], np.int64), on)
    sim = Simulation(image, stimulus, built.probes, threads=threads)
    rewards = Rewards(cfg, image)
    plastic = image.plastic_synapses
    lo = int(image.rule_param[:, 1].min()) if image.n_rules else 0
    hi = int(image.rule_param[:, 2].max()) if image.n_rules else 0
    own = rule_texts(image)
    w0 = sim.weights[plastic].copy()
    curve = [(0, weight_entropy(w0, lo, hi), float(w0.mean()) if w0.size else 0.0, "start")]
    every = sched.sample_every if sched is not None else 0
    bar = _bar(total, progress, f"{tag or 'learning'}")
    sim.run(0)
    start = time.perf_counter()
    try:
        for k, (t_start, ph) in enumerate(phases):
            t_end = phases[k + 1][0] if k + 1 < len(phases) else total
            if ph is not None:
                bar.set_description_str(f"{tag + ' ' if tag else ''}{ph.kind} phase")
                if not ph.learning:
                    sim.set_learning(False)
                else:
                    sim.set_learning(True)
                    use_programs(sim, [phase_rule(t, ph) for t in own])
            cuts = set(rewards.change_steps(t_start, t_end))
            if every:
                cuts.update(range(t_start + every, t_end, every))
            cuts = sorted(cuts) + [t_end]
            t = t_start
            for c in cuts:
                rewards.apply(sim, t)
                sim.run(c - t)
                bar.update(c - t)
                if every and (c - t_start) % every == 0 and c != t_end:
                    w = sim.weights[plastic]
                    curve.append((c, weight_entropy(w, lo, hi), float(w.mean()), ph.kind if ph else "run"))
                t = c
            w = sim.weights[plastic]
            curve.append((t_end, weight_entropy(w, lo, hi), float(w.mean()) if w.size else 0.0,
                          ph.kind if ph else "run"))
    finally:
        bar.close()
    wall = time.perf_counter() - start
    res = sim.run(0)
    o = cfg.run.outputs
    w1 = sim.weights[plastic]
    extra = {"learning": {
        "schedule": None if sched is None else {"repeat": sched.repeat, "phases": [
            {"kind": p.kind, "steps": p.steps, "inputs": p.inputs, "rule": p.rule, "decay": p.decay,
             "learning": p.learning} for p in sched.phases]},
        "weight_bounds": [lo, hi], "plastic_synapses": int(plastic.sum()),
        "entropy_before_bits": curve[0][1], "entropy_after_bits": curve[-1][1],
        "entropy_mean_bits": float(np.mean([c[1] for c in curve[1:]])) if len(curve) > 1 else curve[0][1],
        "mean_weight_before": float(w0.mean()) if w0.size else 0.0, "mean_weight_after": float(w1.mean()) if w1.size else 0.0,
        "at_upper_bound_after": float(np.mean(w1 >= hi)) if w1.size else 0.0,
        "at_lower_bound_after": float(np.mean(w1 <= lo)) if w1.size else 0.0,
        "curve": [{"t": c[0], "entropy_bits": c[1], "mean_weight": c[2], "phase": c[3]} for c in curve],
        "learning_wall_s": wall}}
    report = res.save(out, spikes=o.spikes, probes=o.probes, raster=o.raster,
                      report_extra={"config": cfg.source, "seed": cfg.run.seed, **extra})
    if plastic.any():
        from .plots import weight_stats_png
        report["files"]["learning_plot"] = _png(out / "learning.png",
                                                weight_stats_png(w0, w1, lo, hi, np.array([c[:3] for c in curve])))
        _write_json(out / "report.json", report)
    return report


# ----------------------------------------------------------------- classification
def _epoch_programs(cfg, image, params: dict) -> list:
    """Rule texts of every plastic projection with a built-in's exponents overridden by ``params``."""
    from .builtins import BUILTINS, expand
    texts = rule_texts(image)
    out = []
    for text, p in zip(texts, plastic_projections(cfg)):
        spec = p.plasticity
        out.append(expand(spec.name, {**spec.params, **params}) if spec.name in BUILTINS and params else text)
    return out


def _count(times, ids, first, size, n_images, t0, period):
    k = (times - t0) // period
    sel = (ids >= first) & (ids < first + size) & (k >= 0) & (k < n_images) & ((times - t0) >= 0)
    out = np.zeros((n_images, size), np.int64)
    np.add.at(out, (k[sel], ids[sel] - first), 1)
    return out


def run_classify(built, out: Path, progress: bool = True, threads: int = 1) -> dict:
    """Train (learning on), name the output neurons (``assign`` readout: one pass over the training
    images), test (learning off; adaptive thresholds reset with ``task.test.reset_thresholds``, frozen only
    with ``task.test.homeostasis`` false: ``tasks.thresholds_for_test``) on the task's dataset."""
    from ..engine.simulation import Simulation
    from ..io.stimulus import Stimulus
    cfg, image = built.config, built.image
    task: ClassifyTask = cfg.task
    xtr, ytr, xte, yte = load_dataset(task.dataset)
    if task.limit:
        xtr, ytr = xtr[:task.limit], ytr[:task.limit]
    # the input code: levels channels per pixel (1: the pixel values); every block below shows these
    xtr, xte = level_code(xtr, task.levels), level_code(xte, task.levels)
    seed = cfg.run.seed
    period = task.present + task.rest
    t_read = task.test_present or task.present
    read_period = t_read + task.rest
    n_tr, n_te = len(xtr), len(xte)
    t_train = task.epochs * n_tr * period
    label_pass = task.readout in ("assign", "proportion")       # one pass over the training images names the neurons
    t_label = n_tr * read_period if label_pass else 0
    t_total = t_train + t_label + n_te * read_period
    order = np.tile(np.arange(n_tr), task.epochs)
    # training: the rest comes before each image, so image k ends exactly at step (k + 1) * period: a
    # learning epoch of one period samples the traces at the end of every presentation (docs/learning.md)
    train = ImageTrain(xtr, order, task.rest, task.present, task.rest, task.max_prob, seed, task.encoding)
    blocks = [train]
    if label_pass:
        blocks.append(ImageTrain(xtr, np.arange(n_tr), t_train, t_read, task.rest, task.max_prob, seed + 1,
                                 task.encoding))
    blocks.append(ImageTrain(xte, np.arange(n_te), t_train + t_label, t_read, task.rest, task.max_prob, seed + 2,
                             task.encoding))
    stim = Stimulus(list(built.stimulus.trains))
    add_source(stim, image, task.input, MultiTrain(blocks))
    if task.teacher:
        add_source(stim, image, task.teacher, encode_labels_train(ytr[order], task.rest, task.present, task.rest,
                                                                    task.teacher_period))
    sim = Simulation(image, stim, threads=threads)
    label_times = (np.arange(order.size, dtype=np.int64) * period, ytr[order])
    rewards = Rewards(cfg, image, labels=label_times, classes=task.classes)
    outp = image.population(task.output)
    groups = np.arange(outp.size) * task.classes // outp.size

    # learning curve: test accuracy on the first curve_images test images at evenly spaced points
    curve_at = sorted(set(np.linspace(0, order.size, task.curve_points + 1)[1:].astype(int).tolist())
                      ) if task.curve_points else []
    n_cv = min(task.curve_images, n_te)
    cv_steps = (n_cv * read_period) * (2 if label_pass else 1)
    total_steps = t_total + cv_steps * len(curve_at)
    bar = _bar(total_steps, progress, "training")
    curve = []

    curve_s = [0.0]

    def evaluate(n_seen):
        t_eval = time.perf_counter()
        t0 = sim.t
        blocks_cv = []
        if label_pass:
            blocks_cv.append(ImageTrain(xtr, np.arange(n_cv), t0, t_read, task.rest, task.max_prob, seed + 3,
                                        task.encoding))
        t_test0 = t0 + (n_cv * read_period if label_pass else 0)
        blocks_cv.append(ImageTrain(xte, np.arange(n_cv), t_test0, t_read, task.rest, task.max_prob, seed + 4,
                                    task.encoding))
        st = Stimulus(list(built.stimulus.trains))
        add_source(st, image, task.input, MultiTrain(blocks_cv))
        f = fork(sim, st)
        f.set_learning(False)
        thresholds_for_test(f, task.reset_thresholds, task.test_homeostasis)
        f.buffers.reward[:] = 0
        r = f.run(cv_steps)
        t, i = r.spike_t, r.spike_id.astype(np.int64)
        lab = _count(t, i, outp.first_id, outp.size, n_cv, t0, read_period) if label_pass else None
        tst = _count(t, i, outp.first_id, outp.size, n_cv, t_test0, read_period)
        acc = float(np.mean(read_out(task, lab, ytr[:n_cv], tst, groups)[0] == yte[:n_cv]))
        curve.append({"train_images": int(n_seen), "accuracy": acc, "test_images": n_cv})
        bar.update(cv_steps)
        bar.set_postfix_str(f"curve acc {acc:.3f}")
        curve_s[0] += time.perf_counter() - t_eval

    sim.run(0)                          # compile (or load) the kernels outside the timed training
    start = time.perf_counter()
    try:
        done, epoch = 0, -1
        per_image = any(tf.source == "labels" for _, _, tf, _ in rewards.items)
        step_images = 1 if per_image else 25
        while done < order.size:
            e = done // n_tr
            if e != epoch:
                epoch = e
                bar.set_description_str(f"training, pass {e + 1}/{task.epochs}")
                if task.epoch_params:
                    use_programs(sim, _epoch_programs(cfg, image, task.epoch_params[min(e, len(task.epoch_params) - 1)]))
            nxt = min(order.size, (e + 1) * n_tr, done + step_images)
            for c in curve_at:
                if done < c < nxt:
                    nxt = c
            rewards.apply(sim, done * period)
            sim.run((nxt - done) * period)
            bar.update((nxt - done) * period)
            done = nxt
            if done in curve_at:
                evaluate(done)
        train_s = time.perf_counter() - start - curve_s[0]      # the learning curve's test runs excluded
        sim.set_learning(False)
        thresholds_for_test(sim, task.reset_thresholds, task.test_homeostasis)
        sim.buffers.reward[:] = 0
        bar.set_description_str("testing")
        res = None
        remaining = t_label + n_te * read_period
        chunk = 25 * read_period
        while remaining > 0:
            n = min(chunk, remaining)
            res = sim.run(n)
            bar.update(n)
            remaining -= n
    finally:
        bar.close()
    total_s = time.perf_counter() - start
    t, i = res.spike_t, res.spike_id.astype(np.int64)
    lab = _count(t, i, outp.first_id, outp.size, n_tr, t_train, read_period) if label_pass else None
    tst = _count(t, i, outp.first_id, outp.size, n_te, t_train + t_label, read_period)
    pred, neuron_class = read_out(task, lab, ytr, tst, groups)
    acc = float(np.mean(pred == yte))
    conf = np.zeros((task.classes, task.classes), np.int64)
    np.add.at(conf, (yte[pred >= 0], pred[pred >= 0]), 1)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    plastic_in = [p for p in plastic_projections(cfg) if p.source == task.input and p.target == task.output]
    w = dense_weights(image, sim.weights, task.input, task.output, sim.tables)
    buf = __import__("io").BytesIO()
    np.save(buf, w)
    atomic_write(out / "weights.npy", lambda f: f.write(buf.getvalue()))
    files["weights_npy"] = str(out / "weights.npy")
    from .plots import learning_curve_png, weight_mosaic_png
    if plastic_in:
        files["weights_png"] = _png(out / "weights.png", weight_mosaic_png(level_sum(w, task.levels), neuron_class))
    if curve:
        files["learning_curve"] = _png(out / "learning_curve.png", learning_curve_png(
            np.array([c["train_images"] for c in curve]), np.array([c["accuracy"] for c in curve]),
            f"{task.dataset}: test accuracy ({n_cv} images) over training"))
    summary = res.summary()
    o = cfg.run.outputs
    saved = res.save(out, spikes=o.spikes, probes=o.probes, raster=o.raster, heatmap=False,
                     report_extra={"config": cfg.source})
    files.update(saved["files"])
    report = {
        "config": cfg.source, "seed": seed, "task": "classify", "dataset": task.dataset,
        "test_accuracy": acc, "test_images": n_te, "train_images": n_tr, "epochs": task.epochs,
        "readout": task.readout, "readout_prior": task.readout_prior, "output_neurons": outp.size,
        "neurons_with_a_class": int(np.sum(neuron_class >= 0)),
        "neurons_spiking_in_test": int((tst.sum(0) > 0).sum()),
        "images_without_output_spike": int(np.sum(pred < 0)),
        "plastic_synapses": int(image.plastic_synapses.sum()),
        "present": task.present, "rest": task.rest, "test_present": t_read, "max_prob": task.max_prob,
        "encoding": task.encoding, "levels": task.levels, "epoch_params": list(task.epoch_params),
        "reset_thresholds": task.reset_thresholds, "test_homeostasis": task.test_homeostasis,
        "train_wall_s": train_s, "curve_wall_s": curve_s[0], "total_wall_s": total_s, "timesteps": int(sim.t),
        "learning_curve": curve, "confusion": conf.tolist(), "neuron_classes": neuron_class.tolist(),
        "counters": summary["counters"], "energy_pj": summary["energy_pj"],
        "learn_synapse_updates": summary["counters"]["learn_synapses"], "jit_s": summary["jit_s"],
        "structural": sim.structural.summary(image.chip) if sim.structural is not None else None,
        "files": files}
    _write_json(out / "report.json", report)
    return report


# ----------------------------------------------------------------- two-choice reward task
def run_choice(built, out: Path, progress: bool = True, threads: int = 1) -> dict:
    """Trials of a two-choice task: cue c (its input group spikes at ``rate``) for ``present`` steps;
    the choice is the action group of ``output`` with the most spikes (none on a tie); then r =
    ``reward`` (correct) or ``punish`` (wrong; 0 without a choice) on every output neuron for
    ``reward_steps``, then ``rest`` steps with r = 0. The last ``test_trials`` run with learning off."""
    from ..engine.simulation import Simulation
    from ..io.stimulus import Stimulus
    cfg, image = built.config, built.image
    task: ChoiceTask = cfg.task
    n = task.trials + task.test_trials
    trial = task.present + task.reward_steps + task.rest
    inp, outp = image.population(task.input), image.population(task.output)
    per_cue = inp.size // task.cues
    # trial k draws its cue and input spikes from its own generator (seed, k): the first trials are
    # the same whatever the number of trials
    cues, draws = np.zeros(n, np.int64), np.zeros((n, task.present, per_cue), bool)
    for k in range(n):
        rng = np.random.default_rng((cfg.run.seed, 7, k))
        cues[k] = rng.integers(0, task.cues)
        draws[k] = rng.random((task.present, per_cue)) < task.rate
    k, s, j = np.nonzero(draws)
    stim = Stimulus(list(built.stimulus.trains))
    add_source(stim, image, task.input, ArrayTrain(k * trial + s, cues[k] * per_cue + j))
    sim = Simulation(image, stim, threads=threads)
    rewards = Rewards(cfg, image)
    per_act = outp.size // task.actions
    target = np.array(task.target)
    choices, correct, rs = [], [], []
    bar = _bar(n * trial, progress, "trials")
    sim.run(0)
    start = time.perf_counter()
    try:
        for k in range(n):
            if k == task.trials:
                sim.set_learning(False)
                bar.set_description_str("test trials")
            want = target[cues[k]]
            if task.reversal is not None and k >= task.reversal:
                want = (want + 1) % task.actions
            t0 = sim.t
            rewards.apply(sim, t0, 0)
            sim.run(task.present)
            _, ids = recent_spikes(sim, t0)
            ids = ids[(ids >= outp.first_id) & (ids < outp.first_id + outp.size)] - outp.first_id
            votes = np.bincount(ids // per_act, minlength=task.actions)
            top = np.flatnonzero(votes == votes.max())
            choice = int(top[0]) if votes.max() > 0 and top.size == 1 else -1
            r = 0 if choice < 0 else (task.reward if choice == want else task.punish)
            choices.append(choice)
            correct.append(choice == want)
            rs.append(r)
            rewards.apply(sim, sim.t, r)
            sim.run(task.reward_steps)
            rewards.apply(sim, sim.t, 0)
            if task.rest:
                sim.run(task.rest)
            bar.update(trial)
            if (k + 1) % task.window == 0:
                bar.set_postfix_str(f"correct {np.mean(correct[-task.window:]):.2f}")
    finally:
        bar.close()
    wall = time.perf_counter() - start
    res = sim.run(0)
    correct = np.array(correct, bool)
    windows = [{"trials": [int(a), int(min(a + task.window, task.trials))],
                "correct": float(correct[a:a + task.window].mean())}
               for a in range(0, task.trials, task.window)]
    first = correct[:min(task.window, task.trials)].mean() if task.trials else 0.0
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    w = dense_weights(image, sim.weights, task.input, task.output, sim.tables)
    buf = __import__("io").BytesIO()
    np.save(buf, w)
    atomic_write(out / "weights.npy", lambda f: f.write(buf.getvalue()))
    files["weights_npy"] = str(out / "weights.npy")
    from .plots import learning_curve_png, weight_matrix_png
    files["learning_curve"] = _png(out / "learning_curve.png", learning_curve_png(
        np.array([wd["trials"][1] for wd in windows]), np.array([wd["correct"] for wd in windows]),
        f"two-choice task: fraction correct per {task.window} trials", xlabel="trials"))
    files["weights_png"] = _png(out / "weights.png", weight_matrix_png(w, task.cues, task.actions))
    o = cfg.run.outputs
    saved = res.save(out, spikes=o.spikes, probes=o.probes, raster=o.raster, heatmap=False,
                     report_extra={"config": cfg.source})
    files.update(saved["files"])
    summary = res.summary()
    mean_w = [[float(w[c * (inp.size // task.cues):(c + 1) * (inp.size // task.cues),
                      a * per_act:(a + 1) * per_act].mean()) for a in range(task.actions)] for c in range(task.cues)]
    report = {
        "config": cfg.source, "seed": cfg.run.seed, "task": "two_choice", "cues": task.cues,
        "actions": task.actions, "target": list(task.target), "reversal": task.reversal,
        "trials": task.trials, "test_trials": task.test_trials,
        "correct_first_window": float(first),
        "correct_last_window": float(correct[max(0, task.trials - task.window):task.trials].mean())
        if task.trials else 0.0,
        "test_accuracy": float(correct[task.trials:].mean()) if task.test_trials else None,
        "no_choice_trials": int(np.sum(np.array(choices) < 0)),
        "curve": windows, "mean_weight_cue_action": mean_w,
        "output_neurons": outp.size, "plastic_synapses": int(image.plastic_synapses.sum()),
        "wall_s": wall, "timesteps": int(sim.t), "counters": summary["counters"],
        "energy_pj": summary["energy_pj"], "files": files}
    _write_json(out / "report.json", report)
    return report


def describe(report: dict) -> str:
    """A few summary lines of a learning run for the CLI."""
    if report.get("task") == "classify":
        cv = report["learning_curve"]
        lines = [f"{report['dataset']} test accuracy: {100 * report['test_accuracy']:.1f} % "
                 f"({report['test_images']} images; {report['output_neurons']} output neurons, "
                 f"{report['neurons_with_a_class']} with a class)",
                 f"training: {report['epochs']} x {report['train_images']} images in {report['train_wall_s']:.1f} s; "
                 f"total {report['total_wall_s']:.1f} s, {report['timesteps']} timesteps"]
        if cv:
            lines.append("learning curve: " + ", ".join(f"{c['train_images']}: {100 * c['accuracy']:.0f} %" for c in cv))
    elif report.get("task") == "two_choice":
        lines = [f"two-choice task: {100 * report['correct_first_window']:.0f} % correct in the first "
                 f"{report['curve'][0]['trials'][1]} trials, {100 * report['correct_last_window']:.0f} % in the last "
                 f"window" + (f"; test (learning off): {100 * report['test_accuracy']:.1f} %"
                              if report["test_accuracy"] is not None else ""),
                 f"{report['trials'] + report['test_trials']} trials, {report['timesteps']} timesteps in "
                 f"{report['wall_s']:.1f} s"]
    else:
        lr = report["learning"]
        lines = [f"plastic weights: entropy {lr['entropy_before_bits']:.2f} -> {lr['entropy_after_bits']:.2f} bits "
                 f"(mean over the run {lr['entropy_mean_bits']:.2f}), mean {lr['mean_weight_before']:.1f} -> "
                 f"{lr['mean_weight_after']:.1f}, {100 * lr['at_upper_bound_after']:.0f} % at the upper bound"]
    lines.append("results: " + ", ".join(str(v) for v in report["files"].values()) + ", report.json")
    return "\n".join(lines)


def check_supported(args_resume: bool) -> None:
    if args_resume:
        raise NeuroemuError("--resume is not supported for learning runs (task:, run.schedule or third_factor); "
                            "rerun without --resume")


__all__ = ["run_learning", "run_scheduled", "run_classify", "run_choice", "describe", "fork", "ImageTrain",
           "ArrayTrain", "GatedStimulus", "Rewards"]
