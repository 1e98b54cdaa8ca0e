"""Plain-Python twin of the whole engine: a ChipImage run timestep by timestep.

Obvious loops over Python ints and dicts; slow, only for small images. It reads
the ChipImage tables (the shared input) but none of the engine's code paths,
except the neuron twin in ``neuron_ref``.
"""
from .learning_ref import LearningRef
from .neuron_ref import NOISE_U, NOISE_V, noise_ref, neuron_step_ref, synapse_ref, weight_contribution_ref


def noise_seed_ref(seed, core):
    """The documented seed of a core's noise LFSR (emulator.fixed.noise_lfsr_seed), re-derived."""
    s = (((seed + 0x632BE5AB) * 0xC2B2AE3D) ^ ((core + 1) * 0x27D4EB2F)) % 2 ** 32
    return s if s else 1


def run_reference(image, host_spikes, timesteps, reward=None, after_step=None):
    """Return (spikes as a list of (t, global id), per-step per-core counters as dicts, state).

    ``host_spikes``: dict emission step -> list of host ids. With plastic rows,
    ``state["weights"]`` holds the learned weights and ``state["tags"]`` the synaptic tags
    (and ``state["delays"]`` the delays, which a rewiring moves)
    (``LearningRef``, phase 3); ``reward``: the third factor r of every neuron (constant);
    ``after_step(t, learning_ref)`` runs after every step (structural plasticity: structural_ref).
    """
    n = image.n_neurons
    p = {k: [int(x) for x in getattr(image.params, k)] for k in image.params._fields}
    state = {k: [0] * n for k in ("u_inh", "th", "ref")}
    state["u"] = [int(x) for x in image.init_u]
    state["v"] = [int(x) for x in image.init_v]
    core_of_axon = {}
    for c in range(image.n_cores):
        for a in range(int(image.axon_ptr[c]), int(image.axon_ptr[c + 1])):
            core_of_axon[a] = c
    noise_state = [noise_seed_ref(int(image.learn_seed), c) for c in range(image.n_cores)]
    pending_acc = {}            # (consume step, port, neuron) -> int
    prev_spikes = []
    spikes, counters = [], []
    plastic = LearningRef(image, reward) if image.n_rules else None
    words = [synapse_ref(int(x)) for x in image.syn_word]
    weights = plastic.weights if plastic else [w for w, _ in words]
    delays = plastic.delays if plastic else [d for _, d in words]

    def deliver(t, axon, cnt):
        c = core_of_axon[axon]
        rows_hit.add(axon)
        cnt[c]["axon_events"] += 1
        lo, hi = int(image.axon_syn_ptr[axon]), int(image.axon_syn_ptr[axon + 1])
        for j in range(lo, hi):
            cnt[c]["synops"] += 1
            tgt = int(image.neuron_ptr[c]) + int(image.syn_target[j])
            key = (t + delays[j], int(image.axon_port[axon]), tgt)
            pending_acc[key] = pending_acc.get(key, 0) + weight_contribution_ref(weights[j],
                                                                                 int(image.axon_exp[axon]))

    for t in range(timesteps):
        cnt = [dict(axon_events=0, synops=0, neuron_updates=0, spikes=0, packets=0, hops=0, learn_synapses=0,
                    trace_updates=0, learn_epochs=0, dendrite_updates=0) for _ in range(image.n_cores)]
        rows_hit = set()
        for nid in prev_spikes:
            for e in range(int(image.out_ptr[nid]), int(image.out_ptr[nid + 1])):
                deliver(t, int(image.out_axon[e]), cnt)
        for h in host_spikes.get(t - 1, []):
            for e in range(int(image.host_out_ptr[h]), int(image.host_out_ptr[h + 1])):
                deliver(t, int(image.host_out_axon[e]), cnt)
        prev_spikes = []
        for c in range(image.n_cores):
            for nid in range(int(image.neuron_ptr[c]), int(image.neuron_ptr[c + 1])):
                cnt[c]["neuron_updates"] += 1
                cnt[c]["dendrite_updates"] += 1 if p["flags"][nid] & 32 else 0
                a = pending_acc.pop((t, 0, nid), 0)
                a_inh = pending_acc.pop((t, 1, nid), 0)
                noise = 0
                if p["flags"][nid] & (NOISE_U | NOISE_V):
                    noise_state[c], noise = noise_ref(noise_state[c], p["noise_amp"][nid])
                out = neuron_step_ref(a, a_inh, state["u"][nid], state["u_inh"][nid], state["v"][nid],
                                      state["th"][nid], state["ref"][nid],
                                      *(p[k][nid] for k in ("du", "du_inh", "dv", "vth", "bias", "refractory",
                                                            "dth", "th_inc", "flags")),
                                      noise, p["dend_th"][nid], p["dend_sat"][nid])
                for k, val in zip(("u", "u_inh", "v", "th", "ref"), out[:5]):
                    state[k][nid] = val
                if out[5]:
                    prev_spikes.append(nid)
                    spikes.append((t, nid))
                    cnt[c]["spikes"] += 1
                    for e in range(int(image.out_ptr[nid]), int(image.out_ptr[nid + 1])):
                        cnt[c]["packets"] += 1
                        cnt[c]["hops"] += int(image.out_hops[e])
        if plastic:
            fired = set(prev_spikes)
            for c in range(image.n_cores):
                plastic.phase(t, c, rows_hit, fired, cnt[c])
        counters.append(cnt)
        if after_step is not None:
            after_step(t, plastic)
    state["weights"] = weights
    state["delays"] = delays
    state["tags"] = plastic.tags if plastic else []
    return spikes, counters, state


def host_spikes(stimulus, timesteps):
    """The stimulus as the reference engine takes it: emission step -> list of host ids."""
    ptr, ids = stimulus.window(0, timesteps)
    return {t: [int(i) for i in ids[ptr[t]:ptr[t + 1]]] for t in range(timesteps)}


def assert_engine_matches_reference(image, stimulus, res, timesteps, reward=None, after_step=None):
    """Assert the engine's Results equal the reference run of the same image: every spike,
    every core's counter totals, and every timestep's cycles (re-derived from the reference's
    counters with the documented cycle formula). Returns the reference's final state."""
    from emulator.engine.kernels import COUNTER_NAMES
    want_spikes, want_counters, want_state = run_reference(image, host_spikes(stimulus, timesteps), timesteps,
                                                           reward, after_step)
    assert list(zip(res.spike_t.tolist(), res.spike_id.tolist())) == want_spikes
    totals = [[sum(step[c][name] for step in want_counters) for name in COUNTER_NAMES]
              for c in range(image.n_cores)]
    assert res.counter_totals.tolist() == totals
    cc = image.chip.cycles
    want_cycles = [max(cc.axon_event * s[c]["axon_events"] + cc.synop * s[c]["synops"]
                       + cc.neuron_update * s[c]["neuron_updates"] + cc.spike_out * s[c]["packets"]
                       + cc.dendrite_update * s[c]["dendrite_updates"]
                       + cc.learn_synapse * s[c]["learn_synapses"] + cc.trace_update * s[c]["trace_updates"]
                       + cc.learn_epoch * s[c]["learn_epochs"]
                       for c in range(image.n_cores)) + cc.barrier for s in want_counters]
    assert res.step_cycles.tolist() == want_cycles
    return want_state
