#!/usr/bin/env python
"""Regenerate the trained-network fixtures in tests/fixtures/ (needs torch, nir, onnx, scikit-learn).

    .venv/bin/pip install torch==2.13.0 -e ".[fixtures,test]"
    .venv/bin/python tools/make_fixtures.py            # a minute or two on 2 CPU cores

Everything is trained on scikit-learn's 8x8 digits (1797 images, bundled with
scikit-learn: no download), split 80/20 with a fixed seed:

* ``digits_mlp.nir``  spiking MLP 64 -> 64 CubaLIF -> 10 LI (Linear, then Affine), dt = 1 ms
* ``digits_cnn.nir``  spiking CNN 1x8x8 -> Conv2d 8@3x3 -> IF -> SumPool2d 2 -> Conv2d 16@3x3 -> IF
                      -> Flatten -> Affine 10 -> I (integrator readout)
* ``digits_spikes.npz``  the test split as input spikes: ``inputs`` (360, T, 64) 0/1, ``labels``
* ``digits_relu.onnx``  ReLU MLP 64 -> Gemm 64 -> BatchNormalization -> Relu -> Gemm 10
* ``digits_analog.npz``  ``inputs`` (360, 64) in [0, 1] and ``labels`` (test split), ``calibration``
                      (200, 64) from the training split

The spiking networks are trained by backpropagation through time with a fast-sigmoid
surrogate gradient, running exactly the float semantics of ``emulator/ir/nir_sim.py``
(Euler, current before voltage, spike when v > threshold, reset to v_reset = 0), and exported
by building ``nir.NIRGraph`` objects from the trained weights. Torch is used only here.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))     # run from a checkout without installing
OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
T = 16            #: timesteps per sample
DT = 1e-3         #: seconds per timestep
SEED = 0


def encode(x01: np.ndarray, steps: int = T) -> np.ndarray:
    """Deterministic rate code (``emulator.ir.ann.rate_code``): p in [0, 1] spikes at step t iff
    floor((t+1) p) > floor(t p)."""
    from emulator.ir.ann import rate_code
    return rate_code(x01, steps)


def data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    return train_test_split(x, d.target.astype(np.int64), test_size=360, random_state=SEED, stratify=d.target)


def spike_fn():
    import torch

    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return (v > 0).float()

        @staticmethod
        def backward(ctx, grad):
            (v,) = ctx.saved_tensors
            return grad / (1 + 5 * v.abs()) ** 2
    return Spike.apply


def train(model, x_spk, y, epochs, lr=2e-3, reseed=True):
    """Adam, mini-batches of 64, cross-entropy; ``reseed=False`` keeps torch's current random stream."""
    import torch
    if reseed:
        torch.manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xs, ys = torch.tensor(x_spk, dtype=torch.float32), torch.tensor(y)
    for epoch in range(epochs):
        perm = torch.randperm(len(xs))
        for i in range(0, len(xs), 64):
            idx = perm[i:i + 64]
            loss = torch.nn.functional.cross_entropy(model(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def accuracy(model, x_spk, y) -> float:
    import torch
    with torch.no_grad():
        return float((model(torch.tensor(x_spk, dtype=torch.float32)).argmax(1).numpy() == y).mean())


def make_mlp(xtr, ytr, xte, yte):
    import nir
    import torch
    spike = spike_fn()
    g_s, g_m, g_o = DT / 5e-3, DT / 10e-3, DT / 10e-3      # tau_syn 5 ms, tau_mem 10 ms, readout 10 ms

    class MLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(64, 64, bias=False)
            self.fc2 = torch.nn.Linear(64, 10)

        def forward(self, x):                       # x (batch, T, 64)
            b = x.shape[0]
            i = v = torch.zeros(b, 64)
            o = torch.zeros(b, 10)
            total = 0
            for t in range(x.shape[1]):
                i = i + g_s * (self.fc1(x[:, t]) - i)           # w_in = 1
                v = v + g_m * (-v + i)                          # r = 1, v_leak = 0
                z = spike(v - 1.0)
                v = v * (1 - z.detach())                        # reset to 0
                o = o + g_o * (-o + self.fc2(z))
                total = total + o
            return 4 * total / x.shape[1]
    m = train(MLP(), xtr, ytr, epochs=40)
    print(f"spiking MLP: train {accuracy(m, xtr, ytr):.3f}, test {accuracy(m, xte, yte):.3f}")
    w1, w2, b2 = (p.detach().numpy().astype(np.float64) for p in (m.fc1.weight, m.fc2.weight, m.fc2.bias))
    n = np.ones(64)
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([64])}),
        "fc1": nir.Linear(weight=w1),
        "lif1": nir.CubaLIF(tau_syn=5e-3 * n, tau_mem=10e-3 * n, r=n, v_leak=0 * n, v_threshold=n,
                            v_reset=0 * n, w_in=n),
        "fc2": nir.Affine(weight=w2, bias=b2),
        "li": nir.LI(tau=10e-3 * np.ones(10), r=np.ones(10), v_leak=np.zeros(10)),
        "output": nir.Output(output_type={"output": np.array([10])}),
    }, edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "li"), ("li", "output")])
    nir.write(str(OUT / "digits_mlp.nir"), graph)


def make_cnn(xtr, ytr, xte, yte):
    import nir
    import torch
    spike = spike_fn()

    class CNN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(1, 8, 3, padding=1)
            self.c2 = torch.nn.Conv2d(8, 16, 3, padding=1)
            self.fc = torch.nn.Linear(256, 10)

        def forward(self, x):                       # x (batch, T, 64)
            b = x.shape[0]
            v1, v2 = torch.zeros(b, 8, 8, 8), torch.zeros(b, 16, 4, 4)
            o, total = torch.zeros(b, 10), 0
            for t in range(x.shape[1]):
                v1 = v1 + self.c1(x[:, t].reshape(b, 1, 8, 8))            # IF, r = 1
                z1 = spike(v1 - 1.0)
                v1 = v1 * (1 - z1.detach())
                p = torch.nn.functional.avg_pool2d(z1, 2) * 4              # SumPool2d 2x2
                v2 = v2 + self.c2(p)
                z2 = spike(v2 - 1.0)
                v2 = v2 * (1 - z2.detach())
                o = o + self.fc(z2.reshape(b, -1))                         # I (integrator), r = 1
                total = total + o
            return 0.2 * total / x.shape[1]
    m = train(CNN(), xtr, ytr, epochs=25)
    print(f"spiking CNN: train {accuracy(m, xtr, ytr):.3f}, test {accuracy(m, xte, yte):.3f}")
    get = lambda p: p.detach().numpy().astype(np.float64)  # noqa: E731
    one = lambda *s: np.ones(s)  # noqa: E731
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([1, 8, 8])}),
        "conv1": nir.Conv2d(input_shape=(8, 8), weight=get(m.c1.weight), stride=1, padding=1, dilation=1,
                            groups=1, bias=get(m.c1.bias)),
        "if1": nir.IF(r=one(8, 8, 8), v_threshold=one(8, 8, 8), v_reset=0 * one(8, 8, 8)),
        "pool1": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "conv2": nir.Conv2d(input_shape=(4, 4), weight=get(m.c2.weight), stride=1, padding=1, dilation=1,
                            groups=1, bias=get(m.c2.bias)),
        "if2": nir.IF(r=one(16, 4, 4), v_threshold=one(16, 4, 4), v_reset=0 * one(16, 4, 4)),
        "flat": nir.Flatten(input_type={"input": np.array([16, 4, 4])}, start_dim=0, end_dim=-1),
        "fc": nir.Affine(weight=get(m.fc.weight), bias=get(m.fc.bias)),
        "readout": nir.I(r=np.ones(10)),
        "output": nir.Output(output_type={"output": np.array([10])}),
    }, edges=[("input", "conv1"), ("conv1", "if1"), ("if1", "pool1"), ("pool1", "conv2"), ("conv2", "if2"),
              ("if2", "flat"), ("flat", "fc"), ("fc", "readout"), ("readout", "output")], type_check=False)
    nir.write(str(OUT / "digits_cnn.nir"), graph)


def make_relu_onnx(xtr, ytr, xte, yte):
    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.BatchNorm1d(64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 10))
    train(model, xtr, ytr, epochs=60, lr=3e-3, reseed=False)
    model.eval()
    with torch.no_grad():
        acc = float((model(torch.tensor(xte)).argmax(1).numpy() == yte).mean())
    print(f"ReLU MLP (ANN): test {acc:.3f}")
    fc1, bn, _, fc2 = model
    f = lambda t: t.detach().numpy().astype(np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(a, name) for a, name in (
        (f(fc1.weight), "fc1.weight"), (f(fc1.bias), "fc1.bias"), (f(bn.weight), "bn.scale"), (f(bn.bias), "bn.bias"),
        (f(bn.running_mean), "bn.mean"), (f(bn.running_var), "bn.var"), (f(fc2.weight), "fc2.weight"),
        (f(fc2.bias), "fc2.bias"))]
    nodes = [helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h1"], name="fc1", transB=1),
             helper.make_node("BatchNormalization", ["h1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["h2"],
                              name="bn", epsilon=bn.eps),
             helper.make_node("Relu", ["h2"], ["h3"], name="relu"),
             helper.make_node("Gemm", ["h3", "fc2.weight", "fc2.bias"], ["y"], name="fc2", transB=1)]
    graph = helper.make_graph(nodes, "digits_relu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 10])], inits)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="neuroemu")
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(OUT / "digits_relu.onnx"))


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    xtr, xte, ytr, yte = data()
    str_, ste = encode(xtr), encode(xte)
    np.savez_compressed(OUT / "digits_spikes.npz", inputs=ste, labels=yte.astype(np.int8))
    rng = np.random.default_rng(SEED)
    cal = xtr[rng.choice(len(xtr), 200, replace=False)]
    np.savez_compressed(OUT / "digits_analog.npz", inputs=xte.astype(np.float32), labels=yte.astype(np.int8),
                        calibration=cal.astype(np.float32))
    targets = sys.argv[1:] or ["mlp", "cnn", "onnx"]     # "data" alone rewrites only the data files
    if "mlp" in targets:
        make_mlp(str_, ytr, ste, yte)
    if "cnn" in targets:
        make_cnn(str_, ytr, ste, yte)
    if "onnx" in targets:
        make_relu_onnx(xtr, ytr, xte, yte)
    for p in sorted(OUT.iterdir()):
        print(f"{p.name:24} {p.stat().st_size:>8} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
