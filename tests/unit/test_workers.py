"""The parallel engine's private worker arrays (emulator/engine/workers.py): between chunks the
simulation's own arrays are the state, in both directions, for any thread count."""
import numpy as np

import emulator as ne
from emulator.engine import Simulation
from emulator.engine.workers import WorkerArrays
from emulator.api import build


def _cuba(steps):
    return build(ne.load_config("configs/examples/cuba.yaml", overrides=[f"run.timesteps={steps}"]))


def test_state_between_chunks_and_host_edits_match_one_thread():
    b = _cuba(600)
    sims = [Simulation(b.image, b.stimulus, threads=t) for t in (1, 2)]
    assert sims[1].threads == 2
    for sim in sims:
        sim.run(200, chunk=70)
    for field in ("u", "u_inh", "v", "ref"):
        assert np.array_equal(getattr(sims[0].state, field), getattr(sims[1].state, field)), field
    assert np.array_equal(sims[0].buffers.acc, sims[1].buffers.acc)
    # the host edits the second group's neurons between runs: the workers must start from the edit
    last = b.image.n_neurons - 1
    for sim in sims:
        sim.state.v[last - 50:last] = 0
        sim.state.ref[last - 50:last] = 3
        sim.buffers.acc[:, last - 10:] += 5000
    res = [sim.run(400, chunk=130) for sim in sims]
    assert np.array_equal(res[0].spike_t, res[1].spike_t) and np.array_equal(res[0].spike_id, res[1].spike_id)
    assert np.array_equal(sims[0].state.v, sims[1].state.v)


def test_worker_copies_hold_only_their_neurons():
    b = _cuba(10)
    sim = Simulation(b.image, b.stimulus, threads=2)
    workers = WorkerArrays(b.image.neuron_ptr, sim.tables.group_ptr)
    sim.state.v[:] = np.arange(sim.state.v.size, dtype=np.int32)
    states, rings, flags = workers.load(sim.state, sim.buffers)
    assert len(states) == 10 and len(rings) == 4 and len(flags) == 2
    assert states[2] is sim.state.v                      # worker 0 runs on the simulation's arrays
    (lo, hi) = workers.ranges[1]
    v1 = states[5 + 2]
    assert v1 is not sim.state.v
    assert np.array_equal(v1[lo:hi], sim.state.v[lo:hi]) and not v1[:lo].any()
    v1[lo:hi] = -1
    workers.store(sim.state, sim.buffers)
    assert (sim.state.v[lo:hi] == -1).all() and np.array_equal(sim.state.v[:lo], np.arange(lo))
