"""Host-side rate model of the structural-plasticity digits network (docs/structural.md): what a
sparse network of the chosen shape (300 output neurons, 10 class groups of 30, 6 non-negative
inputs per neuron, prune-and-regrow) can reach on the digits when trained by different rules. Not
the chip: each output is ``relu(w.x - th)``, the class score the group's sum; numpy, seconds.

    .venv/bin/python benchmarks/structural_ratemodel.py [--neurons 300] [--seed 0]

Tuned and scored on the validation split of benchmarks/structural_digits.py (``--validation 0.3``:
the training split less a stratified 30 %); the test split is never read. Rules:

* ``gradient``: softmax cross-entropy on the group sums, minibatch gradient descent (an upper
  bound for a rule that only sees its own inputs and output).
* ``hebbian``: the chip's supervised rule: only the label's group learns, each active neuron moves
  its weights toward the input (``w += lr * act * (x - w)``).
* ``error-gated``: a perceptron-style three-factor rule: when the label's group does not lead the
  strongest other group by 10 %, the label group's active neurons add ``lr * act * x`` and the
  strongest other group's active neurons subtract it; nothing happens on a clear win.

Every rule prunes, every ``rewire`` updates (during the first 80 % of training), each neuron's
weakest input if it is below ``prune_below`` and regrows it at a random free pixel.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np


def split():
    from sklearn.model_selection import train_test_split

    from emulator.learning.tasks import load_dataset
    xtr, ytr, _, _ = load_dataset("digits")
    return train_test_split(xtr, ytr, test_size=0.3, random_state=0, stratify=ytr)


def train(rule, xa, ya, n=300, k=6, th=0.2, seed=0, dense=False):
    rng = np.random.default_rng(seed)
    g = np.arange(n) * 10 // n
    G = np.eye(10)[g]                                        # (n, 10): neuron -> class group
    M = np.ones((64, n)) if dense else np.zeros((64, n))
    if not dense:
        for j in range(n):
            M[rng.choice(64, k, replace=False), j] = 1
    W = rng.uniform(0, 0.5 if rule != "gradient" else 0.3, (64, n)) * M
    if rule == "gradient":
        steps, lr, rewire, prune_below, grow, wmax = 3000, 0.05, 100, 0.02, 0.0, np.inf
    else:
        steps, lr, rewire, prune_below, grow, wmax = 20000, 0.05, 200, 0.1, 0.2, 3.0
    Y = np.eye(10)[ya]
    for t in range(steps):
        if rule == "gradient":
            idx = rng.choice(len(xa), 64)
            x = xa[idx]
            h = x @ W - th
            s = np.maximum(h, 0) @ G * 3
            p = np.exp(s - s.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            dh = ((p - Y[idx]) / len(idx) * 3) @ G.T * (h > 0)
            W -= lr * (x.T @ dh)
        else:
            i = rng.integers(len(xa))
            x, c = xa[i], ya[i]
            r = np.maximum(x @ W - th, 0)
            act = np.minimum(r, 1)
            lab = g == c
            if rule == "hebbian":
                W[:, lab] += lr * (x[:, None] - W[:, lab]) * act[lab]
            else:                                            # error-gated
                s = r @ G / (n / 10)
                other = s.copy()
                other[c] = -np.inf
                w = int(np.argmax(other))
                if s[w] > s[c] - 0.1 * abs(s[c]):
                    W[:, lab] += lr * x[:, None] * act[lab]
                    W[:, g == w] -= lr * x[:, None] * act[g == w]
        W = np.clip(W, 0, wmax) * M
        if not dense and t % rewire == rewire - 1 and t < 0.8 * steps:
            for j in range(n):
                on = np.flatnonzero(M[:, j])
                weak = on[np.argmin(W[on, j])]
                if W[weak, j] < prune_below:
                    new = rng.choice(np.flatnonzero(M[:, j] == 0))
                    M[weak, j], W[weak, j] = 0, 0
                    M[new, j], W[new, j] = 1, grow
    return W, G, th


def accuracy(W, G, th, x, y):
    return float(np.mean(np.argmax(np.maximum(x @ W - th, 0) @ G, 1) == y))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    xa, xv, ya, yv = split()
    mu = np.stack([xa[ya == c].mean(0) for c in range(10)])
    print(f"class-mean dot product: {100 * np.mean(np.argmax(xv @ mu.T, 1) == yv):.1f} %", flush=True)
    for rule, dense in (("gradient", True), ("gradient", False), ("hebbian", False), ("error-gated", False)):
        W, G, th = train(rule, xa, ya, n=a.neurons, seed=a.seed, dense=dense)
        print(f"{rule:12s} {'dense' if dense else 'sparse, 6 inputs, rewired'}: "
              f"{100 * accuracy(W, G, th, xv, yv):.1f} % (validation)", flush=True)


if __name__ == "__main__":
    main()
