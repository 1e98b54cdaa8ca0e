"""Learning-dynamics measures (emulator/analysis/dynamics.py, docs/analysis.md)."""
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("networkx")

from emulator.analysis import (analyze, flexibility, histogram_entropy, match_labels, modularity,  # noqa: E402
                               null_modularity, partition_noise, record_snapshots, weight_entropy)


def two_cliques(k=10) -> np.ndarray:
    w = np.zeros((2 * k, 2 * k))
    w[:k, :k] = 1.0
    w[k:, k:] = 1.0
    np.fill_diagonal(w, 0.0)
    w[0, k] = 1.0               # one directed bridge
    return w


def test_modularity_of_two_cliques_is_the_analytic_value():
    # undirected weights w_ij + w_ji: each K10 has 45 edges of weight 2, the bridge weight 1.
    # m = 181, each clique: L_c = 90, degree sum d_c = 180 + 1 = 181:
    # Q = 2 * (90/181 - (181/362)^2) = 2 * (0.497238 - 0.25) = 0.494475
    for method in ("louvain", "greedy"):
        q, labels = modularity(two_cliques(), method=method, seed=3)
        assert q == pytest.approx(2 * (90 / 181 - 0.25), abs=1e-12)
        assert labels.tolist() == [0] * 10 + [1] * 10


def test_modularity_of_a_dense_random_graph_is_low_and_seeded():
    rng = np.random.default_rng(0)
    w = rng.uniform(0, 1, (60, 60))
    q, labels = modularity(w, seed=5)
    assert q < 0.06 < modularity(two_cliques(30))[0] - 0.4
    assert modularity(w, seed=5)[1].tolist() == labels.tolist()
    # two cliques with their weights shuffled over all pairs lose their structure
    assert null_modularity(np.ones((40, 40)) - np.eye(40), seed=1) < 0.05


def test_partition_noise_is_zero_for_clear_modules_and_large_without_them():
    assert partition_noise(two_cliques(), seeds=4) == 0.0
    # a sparse random graph (p = 0.1) has many near-optimal partitions: seeds disagree on many nodes
    a = (np.random.default_rng(1).random((100, 100)) < 0.1).astype(float)
    assert partition_noise(a, seeds=4) > 0.2


def test_bipartite_and_empty_graphs():
    w = np.zeros((4, 6))
    w[:2, :3] = 1.0
    w[2:, 3:] = 1.0
    q, labels = modularity(w, recurrent=False)
    # two disconnected equal stars of 6 edges: Q = 2 * (6/12 - (12/24)^2) = 0.5
    assert q == pytest.approx(0.5) and labels.tolist() == [0, 0, 1, 1, 0, 0, 0, 1, 1, 1]
    q, labels = modularity(np.zeros((3, 3)))
    assert q == 0.0 and labels.tolist() == [0, 1, 2]


def test_flexibility_identical_relabelled_and_known_changes():
    a = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    assert flexibility([a, a, a]).tolist() == [0.0] * 10
    # a pure relabelling is the same partition: matched, nothing changes
    perm = np.array([2, 0, 1])[a] + 5
    assert match_labels(a, perm).tolist() == a.tolist()
    assert flexibility([a, perm, a]).tolist() == [0.0] * 10
    # snapshot 2 moves nodes 2 and 9 (and relabels everything); snapshot 3 moves node 2 back
    b = a.copy()
    b[2], b[9] = 1, 0
    c = a.copy()
    c[9] = 0
    f = flexibility([a, np.array([7, 8, 9])[b], c])
    want = np.zeros(10)
    want[2], want[9] = 1.0, 0.5            # node 2 changes twice in 2 transitions, node 9 once
    assert f.tolist() == want.tolist() and f.mean() == pytest.approx(0.15)


def test_match_labels_gives_a_split_community_a_new_label():
    ref = np.array([0, 0, 0, 0, 1, 1])
    new = np.array([3, 3, 4, 4, 5, 5])       # module 0 split in two: the larger overlap keeps label 0
    assert match_labels(ref, new).tolist() == [0, 0, 2, 2, 1, 1]


def test_entropy_of_known_histograms():
    assert histogram_entropy([5, 5, 5, 5]) == 2.0
    assert histogram_entropy([0, 9, 0]) == 0.0
    assert histogram_entropy([1, 1, 2]) == 1.5
    assert histogram_entropy([]) == 0.0
    assert weight_entropy(np.arange(32), 0, 31) == 5.0        # one weight per bin of 32
    assert weight_entropy(np.full(50, 31), 0, 31) == 0.0      # saturated at the upper bound
    assert weight_entropy(np.arange(0, 64, 2), 0, 63, bins=4) == 2.0


class FakeSim:
    """A stand-in for Simulation: weights grow by one per step; records how it was run."""

    def __init__(self):
        self.t, self.runs, self.rules = 0, [], []
        self.image = SimpleNamespace(
            population=lambda name: SimpleNamespace(size=2, first_id=0, on_host=False))
        self.weights = np.zeros(4, np.int16)

    def run(self, n):
        self.t += n
        self.runs.append(n)
        self.weights += n


def test_record_snapshots_cuts_the_run_at_every_and_at_phase_ends(monkeypatch):
    from emulator.analysis import dynamics
    from emulator.learning import schedule
    monkeypatch.setattr(dynamics, "synapse_pairs", lambda *a, **k: (np.array([0, 1, 3]), np.array([0, 0, 1]),
                                                                      np.array([0, 1, 1])))
    monkeypatch.setattr(dynamics, "_weight_range", lambda image, syn: (0, 100))
    sim = FakeSim()
    monkeypatch.setattr(schedule, "use_rule", lambda s, dw: s.rules.append(dw))
    snaps = record_snapshots(sim, "a", "a", every=4, phases=[schedule.Phase("wake", 10),
                                                            schedule.Phase("sleep", 3, "2^-8*w")])
    assert sim.runs == [4, 4, 2, 3] and sim.rules == [None, "2^-8*w", None]
    assert snaps.times.tolist() == [0, 4, 8, 10, 13] and snaps.weights[:, 0].tolist() == [0, 4, 8, 10, 13]
    assert snaps.phases == [("wake", 0, 10), ("sleep", 10, 13)] and snaps.recurrent
    assert snaps.matrix(1).tolist() == [[4.0, 4.0], [0.0, 4.0]]
    rep = analyze(snaps, null_shuffles=0, noise_seeds=0)
    assert rep.entropy_bits[0] == 0.0 and rep.mean_weight == [0.0, 4.0, 8.0, 10.0, 13.0]
    # snapshot 0 has no weights: every node is its own module; then both share one: node 1 changes
    # module in 1 of 4 transitions
    assert rep.labels == [[0, 1], [0, 0], [0, 0], [0, 0], [0, 0]] and rep.flexibility == [0.0, 0.25]


def test_synapse_pairs_read_the_recurrent_projection_of_a_mapped_image():
    from pathlib import Path

    import emulator as ne
    from emulator.analysis import synapse_pairs
    from emulator.learning.tasks import dense_weights
    cfg = ne.load_config(Path(__file__).resolve().parents[2] / "configs/examples/sleep_recurrent.yaml")
    image = ne.build(cfg).image
    syn, pre, post = synapse_pairs(image, "net", "net")
    dense = np.zeros((100, 100), np.int64)
    dense[pre, post] = image.syn_weight[syn]
    assert np.array_equal(dense, dense_weights(image, image.syn_weight, "net", "net"))
    assert image.plastic_synapses[syn].all() and 700 < syn.size < 1300 and np.all(pre != post)
    assert synapse_pairs(image, "inp", "net")[0].size == 0            # the static drive is not plastic
    assert synapse_pairs(image, "inp", "net", plastic_only=False)[0].size == 100


@pytest.mark.slow
def test_learning_dynamics_cli_writes_json_and_png(tmp_path, benchmark_script):
    # a short run of the sleep example (compiles the engine on a cold cache, hence slow)
    import json
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    mod = benchmark_script("learning_dynamics")
    assert mod["main"]([str(root / "configs/examples/sleep_recurrent.yaml"), "--set", "run.timesteps=300",
                        "--every", "100", "--out", str(tmp_path)]) == 0
    rep = json.loads((tmp_path / "dynamics.json").read_text())
    case = rep["cases"]["sleep_recurrent"]
    assert rep["projection"] == "rec" and case["snapshots"] == 4 and case["series"]["times"] == [0, 100, 200, 300]
    # the initial uniform weights spread over the bins: well above 0, at most log2(32 bins)
    assert 1.0 < case["entropy_first_bits"] <= 5.0
    assert (tmp_path / "dynamics.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_learning_dynamics_sleep_compare_uses_the_configs_sleep_rule(tmp_path, benchmark_script):
    """``--sleep-compare`` runs wake only and wake/sleep cycles; the sleep phases use the config's
    sleep rule with its decay toward 48, so the weights end lower than awake."""
    import json
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    mod = benchmark_script("learning_dynamics")
    rule = mod["_sleep_rule"](mod["read_yaml"](root / "configs/examples/sleep_recurrent.yaml"), root / "configs/examples",
                              "rec")
    assert rule.endswith("+ 2^-8*48 - 2^-8*w"), rule
    assert mod["main"]([str(root / "configs/examples/sleep_recurrent.yaml"), "--sleep-compare", "--cycles", "3",
                        "--wake", "200", "--sleep", "100", "--every", "100", "--out", str(tmp_path)]) == 0
    cases = json.loads((tmp_path / "dynamics.json").read_text())["cases"]
    assert set(cases) == {"wake_only", "with_sleep"} and cases["with_sleep"]["snapshots"] == 10
    assert cases["with_sleep"]["mean_weight_last"] < cases["wake_only"]["mean_weight_last"]
