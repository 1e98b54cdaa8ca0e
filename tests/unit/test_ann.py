"""ONNX ReLU network -> IF network conversion with threshold balancing (emulator/ir/ann.py)."""
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emulator.config.loader import load_chip
from emulator.ir.ann import ann_forward, convert, rate_code, read_onnx
from emulator.ir.nir_graph import GraphError
from emulator.ir.nir_import import ImportOptions, from_nir
from emulator.mapping import map_network
from emulator.mapping.check import check
from emulator.mapping.map_model import map_model

FIX = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def test_rate_code_counts():
    x = np.array([[0.0, 0.25, 0.5, 1.0, 1.7]])
    spikes = rate_code(x, 8)
    assert spikes.shape == (1, 8, 5) and spikes.sum(1).tolist() == [[0, 2, 4, 8, 8]]


def test_digits_relu_mlp_converts_within_two_points_of_the_ann():
    # stated operating point: T = 16 timesteps (the report also gives 8, 32, 64)
    res = map_model(FIX / "digits_relu.onnx", load_chip("loihi1"), check_path=FIX / "digits_analog.npz",
                    timesteps=(8, 16))
    ann = res.ann
    assert ann["ann_accuracy"] > 0.95 and ann["calibration_samples"] == 200
    by_t = {row["timesteps"]: row for row in ann["by_timesteps"]}
    assert abs(by_t[16]["snn_chip_accuracy"] - ann["ann_accuracy"]) <= 0.02, by_t
    assert by_t[16]["argmax_agreement"] > 0.97
    # BatchNormalization was folded: the converted graph has two affine layers and one IF layer
    kinds = sorted(type(n).__name__ for n in res.model.graph.nodes.values())
    assert kinds == ["Affine", "Affine", "I", "IF", "Input", "Output"]


def _onnx_cnn(tmp_path, rng):
    """Conv -> BatchNormalization -> Relu -> AveragePool -> Flatten -> Gemm, random weights."""
    arr = lambda *s: rng.normal(0, 0.5, s).astype(np.float32)  # noqa: E731
    inits = {"cw": arr(4, 1, 3, 3), "cb": arr(4), "s": np.abs(arr(4)) + 0.5, "b": arr(4), "m": arr(4),
             "v": np.abs(arr(4)) + 0.5, "gw": arr(3, 4 * 3 * 3), "gb": arr(3)}
    nodes = [helper.make_node("Conv", ["x", "cw", "cb"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"], name="bn", epsilon=1e-5),
             helper.make_node("Relu", ["n"], ["r"], name="relu"),
             helper.make_node("AveragePool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "gw", "gb"], ["y"], name="fc", transB=1)]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    path = tmp_path / "cnn.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path, inits


def test_conv_bn_pool_network_folds_and_converts(tmp_path):
    rng = np.random.default_rng(0)
    path, w = _onnx_cnn(tmp_path, rng)
    ann = read_onnx(path)
    assert [layer.kind for layer in ann.layers] == ["conv", "relu", "avgpool", "flatten", "dense"]
    x = rng.random((40, 1, 6, 6))
    # the folded network equals the unfolded one computed by hand
    from tests.reference.conv_ref import conv2d, pool2d
    want = []
    for xi in x:
        c = conv2d(xi, w["cw"], w["cb"], (1, 1), (1, 1), (1, 1), 1)
        bn = (c - w["m"][:, None, None]) / np.sqrt(w["v"][:, None, None] + 1e-5) * w["s"][:, None, None] \
            + w["b"][:, None, None]
        p = pool2d(np.maximum(bn, 0), (2, 2), (2, 2), (0, 0), True)
        want.append(w["gw"] @ p.ravel() + w["gb"])
    out, acts = ann_forward(ann, x)
    assert np.allclose(out, want, atol=1e-4)
    conv = convert(ann, x)
    model = from_nir(conv.graph, ImportOptions(reset="subtract"))
    image, _ = map_network(model.network, load_chip("loihi1"))
    rep = check(image, model, {"input": rate_code(x / conv.input_scale, 64)}, None)
    assert rep["score_correlation"] > 0.95 and rep["argmax_agreement"] > 0.8
    # the SNN approximates the ANN: argmax agreement with the float ANN on most samples
    assert np.mean(out.argmax(1) == np.argmax(np.asarray(want), 1)) == 1.0


def _save(tmp_path, nodes, inits, in_shape=(None, 4)):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                              [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


@pytest.mark.parametrize("nodes, inits, message", [
    ([helper.make_node("Gemm", ["x", "w"], ["h"], name="fc", transB=1),
      helper.make_node("Sigmoid", ["h"], ["y"], name="sig")], {"w": np.ones((2, 4))},
     r"node 'sig' \(Sigmoid\): not supported for conversion; supported: Gemm, MatMul"),
    ([helper.make_node("Gemm", ["x", "w"], ["h"], name="fc", transB=1),
      helper.make_node("Relu", ["h"], ["r"], name="relu"),
      helper.make_node("Add", ["r", "h"], ["y"], name="res")], {"w": np.ones((4, 4))},
     r"node 'res' \(Add\): only sequential networks convert"),
    ([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn")],
     {k: np.ones(4) for k in "sbmv"}, r"node 'bn' \(BatchNormalization\): it must follow Gemm/MatMul/Conv"),
    ([helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transA=1)], {"w": np.ones((4, 2))},
     r"node 'fc' \(Gemm\): transA=1 is not supported"),
])
def test_conversion_errors_name_the_node(tmp_path, nodes, inits, message):
    with pytest.raises(GraphError, match=message):
        read_onnx(_save(tmp_path, nodes, inits))


def test_conversion_needs_calibration_data(tmp_path):
    path = _save(tmp_path, [helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1)], {"w": np.ones((2, 4))})
    with pytest.raises(GraphError, match="ANN conversion needs calibration inputs"):
        map_model(path, load_chip("loihi1"))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(GraphError, match="bad.onnx: not a readable ONNX model"):
        read_onnx(bad)
