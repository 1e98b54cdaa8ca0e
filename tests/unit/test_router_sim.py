"""The router inside a run: same spikes in both modes, step cycles, reports, checkpoints, config."""
import json
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pytest

import emulator as ne
from emulator.cli import main
from emulator.config import ConfigError, load_chip
from emulator.config.types import ChipSpec, RouterSpec
from emulator.engine import Simulation
from emulator.image import ChipImage
from tests.reference.engine_ref import run_reference
from tests.reference.random_nets import random_fixed_config
from tests.reference.router_ref import route_step_ref, step_sources_ref

PORTS = 5


def with_router(cfg, **kw):
    return replace(cfg, chip=replace(cfg.chip, router=RouterSpec(**kw)))


def host_spikes(stimulus, timesteps):
    ptr, ids = stimulus.window(0, timesteps)
    return {t: [int(i) for i in ids[ptr[t]:ptr[t + 1]]] for t in range(timesteps)}


# ---------------------------------------------------------------- spikes never depend on the router
@pytest.mark.parametrize("seed", range(4))
def test_fast_and_cycle_modes_give_identical_spikes(seed):
    cfg = random_fixed_config(seed)
    runs = {}
    for mode in ("fast", "cycle"):
        b = ne.build(with_router(cfg, mode=mode, fifo_depth=1, hop_latency=3))
        runs[mode] = Simulation(b.image, b.stimulus).run(cfg.run.timesteps, chunk=11)
    fast, cyc = runs["fast"], runs["cycle"]
    assert np.array_equal(fast.spike_t, cyc.spike_t) and np.array_equal(fast.spike_id, cyc.spike_id)
    assert np.array_equal(fast.noc.link_load, cyc.noc.link_load)        # the same XY routes
    assert (cyc.step_cycles >= fast.step_cycles).all()                  # the network only adds time
    assert fast.noc.noc_cycles.size == 0 and cyc.noc.noc_cycles.size == cfg.run.timesteps


def test_noc_hops_are_the_cores_hop_counter_plus_host_packets():
    cfg = random_fixed_config(3)
    b = ne.build(cfg)
    res = Simulation(b.image, b.stimulus).run(cfg.run.timesteps)
    host = host_spikes(b.stimulus, cfg.run.timesteps)
    host_hops = sum(int(b.image.host_out_hops[e]) for ids in host.values() for h in ids
                    for e in range(b.image.host_out_ptr[h], b.image.host_out_ptr[h + 1]))
    assert res.noc.hops == res.totals["hops"] + host_hops and host_hops > 0
    assert res.noc.packets == res.totals["packets"] + res.noc.host_packets
    assert res.summary()["energy_pj"]["hops"] == pytest.approx(res.noc.hops * b.image.chip.energy.hop_pj)


# ---------------------------------------------------------------- cycle for cycle against the twins
# seeds whose networks send packets, most of them with router and injection stalls
@pytest.mark.parametrize("seed", [0, 1, 4, 5, 8, 9, 13, 14])
def test_cycle_mode_matches_the_reference_engine_and_router(seed):
    rng = np.random.default_rng(100 + seed)
    spec = {"mode": "cycle", "fifo_depth": int(rng.choice([1, 2, 4])), "hop_latency": int(rng.choice([1, 2, 3]))}
    cfg = with_router(random_fixed_config(seed, timesteps=40), **spec)
    b = ne.build(cfg)
    T, img, cc = cfg.run.timesteps, b.image, cfg.chip.cycles
    res = Simulation(b.image, b.stimulus).run(T, chunk=7)
    host = host_spikes(b.stimulus, T)
    want_spikes, counters, _ = run_reference(img, host, T)     # the engine twin: spikes and counters
    by_step = defaultdict(list)
    for t, nid in want_spikes:
        by_step[t].append(nid)
    rr, link, max_fifo = {}, defaultdict(int), defaultdict(int)
    w, h = cfg.chip.mesh_width, cfg.chip.mesh_height
    for t in range(T):
        cnt = counters[t]
        deliver = [cc.axon_event * c["axon_events"] + cc.synop * c["synops"] for c in cnt]
        sources = step_sources_ref(img, by_step[t], deliver, host[t], cc.neuron_update, cc.spike_out)
        want = route_step_ref(w, h, spec["fifo_depth"], spec["hop_latency"], sources, rr)
        core = [deliver[c] + cc.neuron_update * cnt[c]["neuron_updates"] + cc.spike_out * cnt[c]["packets"]
                + want["stall"][c] for c in range(img.n_cores)]
        assert res.step_cycles[t] == max(max(core), want["last_arrival"]) + cc.barrier, f"step {t}"
        assert res.noc.noc_cycles[t] == want["last_arrival"]
        assert (res.noc.stalls[t], res.noc.inj_stalls[t]) == (want["stalls"], want["inj_stalls"])
        for key, v in want["link_load"].items():
            link[key] += v
        for key, v in want["max_fifo"].items():
            max_fifo[key] = max(max_fifo[key], v)
    ll, mf = res.noc.link_load, res.noc.max_fifo
    assert all(ll[r // w, r % w, o] == link[(r, o)] for r in range(w * h) for o in range(PORTS))
    assert all(mf[r // w, r % w, p] == max_fifo[(r, p)] for r in range(w * h) for p in range(PORTS))
    assert res.noc.packets > 0 and list(zip(res.spike_t.tolist(), res.spike_id.tolist())) == want_spikes


def test_cycle_count_of_a_hand_built_network():
    """3 IF neurons on one core spike every step; each sends one packet to the core of d.

    Core a: deliver 0 at step 0; its packets (neuron i, packet j = i) are ready at
    0 + (i + 1) * 2 + (j + 1) * 2 = 4, 8, 12 (neuron_update = spike_out = 2) and arrive
    (hops + 1) * 3 later (hop_latency 3). Core a finishes at 3 * 2 + 3 * 2 = 12; core d at
    step 1 delivers 3 events of one synapse: 3 * (4 + 1) = 15, plus one update: 17.
    """
    cfg = ne.load_config({
        "chip": {"base": "loihi1", "mesh": [2, 2], "router": {"mode": "cycle", "hop_latency": 3}},
        "network": {"populations": [
            {"name": "a", "size": 3, "model": "if", "fixed": {"vth": 1, "bias": 100}},
            {"name": "d", "size": 1, "model": "lif", "fixed": {"vth": 100000}}],
            "projections": [{"source": "a", "target": "d", "connectivity": "all_to_all", "weight": 1}]},
        "run": {"timesteps": 2}})
    b = ne.build(cfg)
    res = Simulation(b.image, b.stimulus).run(2)
    (ax, ay), (dx, dy) = b.image.core_xy[b.image.population("a").cores[0]], b.image.core_xy[
        b.image.population("d").cores[0]]
    last = 12 + (abs(ax - dx) + abs(ay - dy) + 1) * 3
    assert res.spike_t.tolist() == [0, 0, 0, 1, 1, 1]
    assert res.noc.noc_cycles.tolist() == [last, last]
    assert res.step_cycles.tolist() == [max(12, last) + 32, max(17, last) + 32]


# ---------------------------------------------------------------- chunking, resume, images
def test_noc_figures_do_not_depend_on_chunking_or_resume(tmp_path):
    cfg = with_router(random_fixed_config(5, timesteps=60), mode="cycle", fifo_depth=1, hop_latency=2)
    b = ne.build(cfg)
    whole = Simulation(b.image, b.stimulus).run(60, chunk=60)
    first = Simulation(b.image, b.stimulus)
    first.run(23, chunk=5)
    first.save_checkpoint(tmp_path / "ckpt.npz")
    resumed = Simulation(b.image, b.stimulus)
    resumed.load_checkpoint(tmp_path / "ckpt.npz")
    res = resumed.run(37, chunk=9)
    assert np.array_equal(res.step_cycles, whole.step_cycles)
    for name in ("link_load", "max_fifo", "noc_cycles", "stalls", "inj_stalls"):
        assert np.array_equal(getattr(res.noc, name), getattr(whole.noc, name)), name
    assert res.summary()["noc"] == whole.summary()["noc"]
    other = ne.build(with_router(cfg, mode="cycle", fifo_depth=2))
    with pytest.raises(ne.NeuroemuError, match="other router settings"):
        Simulation(other.image, other.stimulus).load_checkpoint(tmp_path / "ckpt.npz")


def test_noc_figures_do_not_depend_on_engine_threads():
    cfg = with_router(random_fixed_config(12, timesteps=30), mode="cycle", fifo_depth=1, hop_latency=2)
    b = ne.build(cfg)
    one = Simulation(b.image, b.stimulus, threads=1).run(30, chunk=9)
    two = Simulation(b.image, b.stimulus, threads=2).run(30, chunk=9)
    assert np.array_equal(one.step_cycles, two.step_cycles) and one.noc.packets > 1000
    assert one.summary()["noc"] == two.summary()["noc"]


def test_chip_image_round_trip_keeps_the_router(tmp_path):
    b = ne.build(with_router(random_fixed_config(1), mode="cycle", fifo_depth=3, hop_latency=5))
    b.image.save(tmp_path / "img.npz")
    assert ChipImage.load(tmp_path / "img.npz").chip.router == RouterSpec("cycle", 3, 5)
    assert ChipSpec(router={"mode": "cycle"}).router == RouterSpec("cycle")


# ---------------------------------------------------------------- reports, CLI, config
def test_report_cli_summary_and_heatmap(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--timesteps", "60", "-o", str(out), "--no-progress",
                 "--set", "chip.router.mode=cycle", "--set", "chip.router.fifo_depth=2"]) == 0
    text = capsys.readouterr().out
    assert "NoC packets / hops" in text and "NoC cycles per timestep" in text
    noc = json.loads((out / "report.json").read_text())["noc"]
    assert noc["mode"] == "cycle" and noc["fifo_depth"] == 2 and noc["packets"] > 0
    assert noc["hops"] == sum(sum(p[:4]) for row in noc["link_load"] for p in row)
    assert noc["packets"] == sum(p[4] for row in noc["link_load"] for p in row)
    assert 1 <= noc["max_fifo_occupancy"] <= 2 and noc["noc_cycles_per_timestep_max"] > 0
    for key in ("stall_cycles", "injection_stall_cycles", "noc_bound_timesteps", "busiest_link"):
        assert noc[key] is not None, key
    assert (out / "noc_heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["run", "--timesteps", "20", "-o", str(tmp_path / "fast"), "-q"]) == 0
    fast = json.loads((tmp_path / "fast" / "report.json").read_text())["noc"]
    assert fast["mode"] == "fast" and fast["packets"] > 0 and fast["noc_cycles_per_timestep_max"] is None


def test_router_config_defaults_and_errors():
    assert load_chip("loihi1").router == RouterSpec() == RouterSpec("fast", 4, 2)
    chip = load_chip({"base": "loihi1", "router": {"mode": "cycle", "fifo_depth": 8}})
    assert chip.router == RouterSpec("cycle", 8, 2)
    for bad, match in [({"mode": "slow"}, r"chip\.router\.mode: unknown router mode 'slow'; valid: cycle, fast"),
                       ({"fifo_depth": 0}, r"chip\.router\.fifo_depth: expected an integer in \[1, 256\], got 0"),
                       ({"hop_latency": 1.5}, r"chip\.router\.hop_latency: expected an integer in \[1, 64\]"),
                       ({"depth": 2}, r"chip\.router: unknown key 'depth'.*did you mean 'fifo_depth'")]:
        with pytest.raises(ConfigError, match=match):
            ne.load_config({"chip": {"base": "loihi1", "router": bad},
                            "network": {"populations": [{"name": "a", "size": 1, "model": "lif"}]}})
