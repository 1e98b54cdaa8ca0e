"""Run loop: drives the Numba kernels chunk by chunk from Python.

The Python layer only cuts the run into chunks of timesteps, generates the
stimulus window of each chunk, reduces the counters and moves the progress
bar; every timestep of a chunk runs inside one compiled call.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, replace

import numba
import numpy as np

from ..errors import ResumeError
from ..fixed import noise_lfsr_seed
from ..image import ChipImage, atomic_write, synapse_delays, synapse_weights
from ..io.stimulus import Stimulus
from ..neurons.kernels import FLAG_PORT1, core_runs, core_specialization
from ..neurons.models import FLAG_DEND, MODELS
from ..router.model import NocModel
from .accounting import soma_pass_start, step_cycles
from .fanout import Fanout, fanout_tables
from .kernels import (COUNTER_NAMES, COUNTER_STRIDE, LINE, PROBE_VARS, Buffers, NeuronState, Recorder, Tables,
                      run_chunk, run_chunk_parallel, used_counters)
from .workers import WorkerArrays

COUNTERS = len(COUNTER_NAMES)


@dataclass(frozen=True)
class ProbeSpec:
    """Record ``variables`` of neurons ``indices`` of population ``population`` every timestep."""
    population: str
    indices: tuple[int, ...]
    variables: tuple[str, ...] = ("u", "v")


def resolve_threads(threads: int, n_cores: int) -> int:
    """Worker threads: ``threads`` (0 = every CPU Numba may use), at most one per core."""
    if threads < 0:
        raise ValueError("threads must be >= 0")
    wanted = numba.config.NUMBA_NUM_THREADS if threads == 0 else threads
    return max(1, min(wanted, numba.config.NUMBA_NUM_THREADS, max(n_cores, 1)))


DELIVERY_MODES = ("auto", "source", "core")


def resolve_delivery(mode: str, image: ChipImage, memory_bytes: int | None = None) -> str:
    """Which delivery tables the engine reads: ``source`` (source-major copy, engine/fanout.py;
    static images only) or ``core`` (the image's per-core rows). ``auto``: source when static
    and the copy (8 bytes per synapse) takes at most a quarter of ``memory_bytes`` (default:
    this machine's physical memory), else core."""
    if mode not in DELIVERY_MODES:
        raise ValueError(f"delivery must be one of {', '.join(DELIVERY_MODES)}, not {mode!r}")
    if mode == "source" and image.n_rules:
        raise ValueError("delivery 'source' needs a static image: this one learns (use 'auto' or 'core')")
    if mode != "auto":
        return mode
    memory = memory_bytes if memory_bytes is not None else _physical_memory()
    fits = FANOUT_BYTES_PER_SYNAPSE * image.n_synapses <= memory // 4
    return "source" if not image.n_rules and fits else "core"


FANOUT_BYTES_PER_SYNAPSE = 8     #: target id and packed word of the source-major copy


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):    # no sysconf: assume the copy fits
        return 1 << 62


def thread_groups(neuron_ptr: np.ndarray, groups: int) -> np.ndarray:
    """Split the cores into ``groups`` contiguous runs with about equal neuron counts.

    Returns ``group_ptr``: cores of group g are ``group_ptr[g] .. group_ptr[g+1]-1``.
    """
    n_cores = neuron_ptr.size - 1
    if groups <= 1 or n_cores <= 1:
        return np.array([0, n_cores], np.int64)
    ends = neuron_ptr[1:]
    targets = neuron_ptr[-1] * np.arange(1, groups) / groups
    cuts = np.searchsorted(ends, targets, side="left") + 1
    cuts = np.clip(np.maximum.accumulate(cuts), 1, n_cores - 1)
    return np.unique(np.concatenate([[0], cuts, [n_cores]])).astype(np.int64)


def ring_size(max_delay: int) -> int:
    """Dendritic ring slots: the smallest power of two > max delay (slot = t & (size-1))."""
    size = 1
    while size <= max_delay:
        size <<= 1
    return size


class Simulation:
    """A ChipImage plus its dynamic state, advanced timestep by timestep.

    >>> sim = Simulation(image, stimulus)          # doctest: +SKIP
    >>> results = sim.run(1000)                    # doctest: +SKIP
    """

    def __init__(self, image: ChipImage, stimulus: Stimulus | None = None, probes: tuple[ProbeSpec, ...] = (),
                 threads: int = 1, delivery: str = "auto"):
        self.image = image
        self.delivery = resolve_delivery(delivery, image)
        self.threads = resolve_threads(threads, image.n_cores)
        group_ptr = thread_groups(image.neuron_ptr, self.threads)
        self.stimulus = stimulus or Stimulus([])
        self.probes = tuple(probes)
        n = image.n_neurons
        # plastic images learn into the simulation's own copy of the synapse words (the image stays as mapped)
        words = image.syn_word.copy() if image.n_rules else image.syn_word
        spec = core_specialization(image.params.flags, image.neuron_ptr)
        self.tables = Tables(image.neuron_ptr, image.axon_core, image.axon_syn_ptr,
                             image.axon_exp, image.axon_port, image.syn_target, words, image.out_ptr,
                             image.out_axon, image.out_hops,
                             image.host_out_ptr, image.host_out_axon,
                             np.repeat(np.arange(group_ptr.size - 1), np.diff(group_ptr)).astype(np.int64),
                             group_ptr, spec, *core_runs(image.params, image.neuron_ptr, spec),
                             image.axon_ptr, image.axon_rule, image.neuron_rule, image.rule_prog, image.rule_param,
                             dendrites_per_core(image), image.tag_prog,
                             *(fanout_tables(image, image.neuron_ptr[group_ptr]) if self.delivery == "source"
                               else Fanout.empty()))
        self.params = narrow_params(image.params)
        self.state = NeuronState(u=line_aligned(image.init_u), u_inh=line_aligned(np.zeros(n, np.int32)),
                                 v=line_aligned(image.init_v), th=line_aligned(np.zeros(n, np.int32)),
                                 ref=line_aligned(np.zeros(n, np.int32)))
        ring = ring_size(image.max_delay)
        dual = bool(np.any(image.params.flags & FLAG_PORT1))
        self.buffers = Buffers(line_aligned(np.zeros((ring, n), np.int32)),
                               line_aligned(np.zeros((ring, n) if dual else (1, 1), np.int32)),
                               line_aligned(np.zeros((2, max(n, 1)), np.int32)),
                               np.zeros((2, group_ptr.size - 1, LINE), np.int64),
                               line_aligned(np.zeros(8 * (n // 8 + 1), np.uint8)), *learning_buffers(image),
                               np.array([noise_lfsr_seed(image.learn_seed, c) for c in range(image.n_cores)],
                                        np.int64), tag_buffer(image), *learning_scratch(image))
        self.probe_ids = np.array([image.population(p.population).first_id + i
                                   for p in self.probes for i in p.indices], np.int64)
        self.noc = NocModel(image)      # the network-on-chip, replayed after the engine (docs/router.md)
        from ..learning.structural import attach
        self.structural = attach(self)  # rewiring between timesteps, or None (docs/structural.md)
        self._workers = WorkerArrays(image.neuron_ptr, group_ptr) if self.threads > 1 else None
        self.t = 0
        self._reset_records()

    # ------------------------------------------------------------------ records
    def _reset_records(self):
        self._spike_t, self._spike_id = [], []
        self._probe_vals = []
        self._recorders = {}
        self._step_cycles, self._mean_cycles = [], []
        self.counter_totals = np.zeros((self.image.n_cores, COUNTERS), np.int64)
        self.wall_s = 0.0
        self.jit_s = 0.0
        self.t_start = self.t

    @property
    def engine_bytes(self) -> int:
        """Bytes of the tables this simulation built beside its image (its source-major synapse
        copy, narrow registers, per-core and per-group tables); the state and buffers excluded."""
        own = [a for name, a in self.tables._asdict().items() if name.startswith("fan_") or name.startswith("core_")]
        own += [getattr(self.params, k) for k in NARROW_PARAMS] + [self.tables.axon_core]
        return int(sum(a.nbytes for a in own))

    # ------------------------------------------------------------------ learning
    def set_learning(self, enabled: bool) -> None:
        """Switch the learn phase on or off (off: weights and traces freeze; docs/learning.md)."""
        self.tables = self.tables._replace(rule_prog=self.image.rule_prog if enabled else self.image.rule_prog[:0])

    # ------------------------------------------------------------------ host register writes
    def set_neuron_registers(self, neurons=None, **registers) -> None:
        """Write neuron registers between timesteps, as the chip's host does between phases
        (``th_inc=0, dth=0``: homeostasis stops). ``neurons``: global neuron ids (default: all);
        each value a scalar or one per selected neuron, inside its field (``HOST_REGISTERS``).
        The simulation's copy of the image and the engine's narrow copy change, the mapped
        image does not; the cores that share one register loop are regrouped. The checkpoint
        fingerprint covers the written registers: a checkpoint taken after a write resumes into a
        simulation given the same writes."""
        unknown = sorted(set(registers) - set(HOST_REGISTERS))
        if unknown:
            raise ValueError(f"neuron register(s) {', '.join(unknown)} cannot be written by the host; "
                             f"writable: {', '.join(HOST_REGISTERS)}")
        params = self.image.params
        selected = slice(None) if neurons is None else np.asarray(neurons, np.int64)
        written = {}
        for name, value in registers.items():
            lo, hi = HOST_REGISTERS[name]
            value = np.asarray(value, np.int64)
            if value.size and (value.min() < lo or value.max() > hi):
                raise ValueError(f"neuron register {name}: values {value.min()}..{value.max()} outside its "
                                 f"field {lo}..{hi}")
            column = getattr(params, name).copy()
            column[selected] = value
            written[name] = column
        params = params._replace(**written)
        self.image = replace(self.image, params=params)
        self.params = narrow_params(params)
        run, uniform = core_runs(params, self.image.neuron_ptr, self.tables.core_spec)
        self.tables = self.tables._replace(core_run=run, core_uniform=uniform)

    @property
    def weights(self) -> np.ndarray:
        """Current synapse weight mantissas (learned, for plastic rows): a new int16 (n_synapses,) array
        unpacked from the simulation's synapse words."""
        return synapse_weights(self.tables.syn_word)

    @property
    def delays(self) -> np.ndarray:
        """Current synapse delays (rewired, for structural plasticity): a new uint8 (n_synapses,) array."""
        return synapse_delays(self.tables.syn_word)

    # ------------------------------------------------------------------ running
    def step(self) -> None:
        """Advance exactly one timestep."""
        self.run(1, progress=False)

    def run(self, timesteps: int, progress: bool = False, chunk: int | None = None,
            checkpoint: str | None = None, checkpoint_every: int = 0) -> "Results":
        """Advance ``timesteps`` steps; return the Results of everything run so far."""
        from ..io.results import Results
        chunk = chunk or self._default_chunk()
        self._compile()
        t_end = self.t + timesteps
        bar = _progress(timesteps, progress)
        since_ckpt = 0
        start = time.perf_counter()
        try:
            while self.t < t_end:
                t1 = min(self.t + chunk, t_end)
                if self.structural is not None:     # a chunk ends where the cores rewire
                    t1 = self.structural.cut(self.t, t1)
                done = self._run_chunk(self.t, t1)
                if self.structural is not None:
                    self.structural.after_chunk(self)
                bar.update(done)
                since_ckpt += done
                if checkpoint and checkpoint_every and since_ckpt >= checkpoint_every:
                    self.wall_s += time.perf_counter() - start
                    start = time.perf_counter()
                    self.save_checkpoint(checkpoint)
                    since_ckpt = 0
        finally:
            bar.close()
            self.wall_s += time.perf_counter() - start
        return Results.from_simulation(self)

    @property
    def _kernel(self):
        return run_chunk_parallel if self.threads > 1 else run_chunk

    def _compile(self) -> None:
        """Compile (or load from the cache) the kernels with a zero-step call, outside the timed loop."""
        if self.threads > 1:
            numba.set_num_threads(self.threads)
        start = time.perf_counter()
        self._run_chunk(self.t, self.t, record=False)
        self.jit_s += time.perf_counter() - start

    def _default_chunk(self) -> int:
        # keep the (chunk, cores, COUNTER_STRIDE) int64 counter block near 32 MiB
        per_step = max(1, self.image.n_cores) * COUNTER_STRIDE * 8
        return int(min(2000, max(16, (32 << 20) // per_step)))

    def _run_chunk(self, t0: int, t1: int, record: bool = True) -> int:
        steps = t1 - t0
        # host spikes emitted at t0-1 .. t1-1: the engine delivers t0-1 .. t1-2, the NoC routes t0 .. t1-1
        host_ptr, host_ids = self.stimulus.window(t0 - 1, t1)
        first_part = len(self._spike_t)
        group_neurons = np.diff(self.image.neuron_ptr[self.tables.group_ptr])
        scale = 1
        rec = self._chunk_recorder(steps)
        sync = np.zeros(2, np.int64)
        workers = self._workers.load(self.state, self.buffers) if self._workers else ()
        t = t0
        try:
            while True:             # at least one call, so a zero-step chunk compiles the kernels
                k0 = t - t0
                sync[:] = (0, t1)
                t = self._kernel(t, t1, self.tables, self.params, self.state, self.buffers,
                                 host_ptr[k0:] - host_ptr[k0], host_ids[host_ptr[k0]:],
                                 rec._replace(probe_vals=rec.probe_vals[k0:], counters=rec.counters[k0:]), sync,
                                 *workers)
                self._keep_spikes(rec)
                if t >= t1:
                    break
                # a spike segment is full: keep what was recorded, continue with bigger ones
                scale *= 2
                rec = self._recorders[steps] = rec._replace(**_spike_segments(group_neurons, steps, scale))
        finally:
            if self._workers:
                self._workers.store(self.state, self.buffers)
        # the router replays the chunk's packets (spikes never depend on it; cycles do)
        # injection times need each core's soma pass start (cycle mode only)
        counters = used_counters(rec.counters)
        soma = soma_pass_start(counters, self.image.chip) if self.noc.cycle_mode else np.zeros((steps, 0), np.int64)
        noc = self.noc.run_chunk(t0, _cat(self._spike_t[first_part:], np.int64),
                                 _cat(self._spike_id[first_part:], np.int32), soma, host_ptr[1:], host_ids)
        # (a zero-step chunk runs this too: it loads the cached accounting kernel before the timed loop)
        cyc, mean = step_cycles(counters, self.image.chip, noc if self.noc.cycle_mode else None,
                                totals=self.counter_totals)
        if not record:          # a zero-step chunk: nothing was recorded
            del self._spike_t[first_part:], self._spike_id[first_part:]
            return 0
        self._probe_vals.append(rec.probe_vals.copy())    # the recorder's arrays serve the next chunk
        self._step_cycles.append(cyc)
        self._mean_cycles.append(mean)
        self.t = t1
        return steps

    def _keep_spikes(self, rec: Recorder) -> None:
        spike_t, spike_id = recorded_spikes(rec)
        self._spike_t.append(spike_t)
        self._spike_id.append(spike_id)

    def new_recorder(self, steps: int, probe_ids: np.ndarray, every_spike: bool = False) -> Recorder:
        """A Recorder for ``steps`` steps of this simulation (``every_spike``: room for every neuron
        spiking every step, so the kernels never stop early)."""
        group_neurons = np.diff(self.image.neuron_ptr[self.tables.group_ptr])
        return Recorder(**_spike_segments(group_neurons, steps, 20 if every_spike else 1), probe_ids=probe_ids,
                        probe_vals=np.zeros((steps, probe_ids.size, len(PROBE_VARS)), np.int32),
                        counters=np.zeros((steps, self.image.n_cores, COUNTER_STRIDE), np.int64))

    def _chunk_recorder(self, steps: int) -> Recorder:
        """``new_recorder(steps, probe_ids)``, cleared, on the arrays of the previous chunk of as many
        steps when there was one: a chunk's records are copied out before the next starts, and
        fresh multi-megabyte arrays every chunk cost page faults and, when unmapped, TLB shootdowns
        that stall the other worker (docs/performance.md: CUBA 4k, two threads, fresh processes,
        median loop ~35 -> ~30 ms)."""
        rec = self._recorders.get(steps)
        if rec is None:
            rec = self._recorders[steps] = self.new_recorder(steps, self.probe_ids)
            return rec
        rec.counters.fill(0)
        rec.probe_vals.fill(0)
        rec.n_rec.fill(0)
        rec.room.fill(1)
        return rec

    # ------------------------------------------------------------------ checkpoints
    def fingerprint(self) -> str:
        """Hash of the image tables and parameters: a checkpoint only resumes the same chip image."""
        h = hashlib.sha256()
        tables = self.tables._replace(syn_word=self.image.syn_word, syn_target=self.image.syn_target,
                                      axon_syn_ptr=self.image.axon_syn_ptr,
                                      **{f"fan_{k}": () for k in Fanout._fields})  # as mapped (fan_*: derived)
        rewiring = (self.image.rule_struct,) if self.structural is not None else ()   # docs/structural.md
        for arr in (*tables, *self.image.params, *rewiring):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()[:16]

    def save_checkpoint(self, path: str) -> None:
        """Write state, ring buffers and everything recorded so far to ``path`` (atomically)."""
        arrays = {f"state_{k}": v for k, v in self.state._asdict().items()}
        arrays.update({f"buf_{k}": v for k, v in self.buffers._asdict().items()})
        arrays.update(
            t=np.int64(self.t), t_start=np.int64(self.t_start), wall_s=np.float64(self.wall_s),
            fingerprint=np.array(self.fingerprint()), counter_totals=self.counter_totals,
            spike_t=_cat(self._spike_t, np.int64), spike_id=_cat(self._spike_id, np.int32),
            probe_vals=_cat(self._probe_vals, np.int32, (0, self.probe_ids.size, len(PROBE_VARS))),
            step_cycles=_cat(self._step_cycles, np.int64), mean_cycles=_cat(self._mean_cycles, np.float64),
            syn_word=self.tables.syn_word, **self.noc.state_arrays(),
            **(self.structural.state_arrays(self) if self.structural is not None else {}))
        atomic_write(path, lambda f: np.savez(f, **arrays))

    def load_checkpoint(self, path: str) -> None:
        """Restore a checkpoint written by ``save_checkpoint`` for this same image."""
        with np.load(path) as z:
            if str(z["fingerprint"]) != self.fingerprint():
                raise ResumeError(f"{path} was written for a different chip image (config, seed or chip changed); "
                                  "rerun without --resume")
            self.state = NeuronState(*(line_aligned(z[f"state_{k}"]) for k in NeuronState._fields))
            self.buffers = Buffers(*(line_aligned(z[f"buf_{k}"]) if f"buf_{k}" in z.files else getattr(self.buffers, k)
                                     for k in Buffers._fields))
            if self.image.n_rules:
                self.tables.syn_word[:] = z["syn_word"]
            self.t, self.t_start, self.wall_s = int(z["t"]), int(z["t_start"]), float(z["wall_s"])
            self.counter_totals = z["counter_totals"].copy()
            self._spike_t, self._spike_id = [z["spike_t"].copy()], [z["spike_id"].copy()]
            self._probe_vals = [z["probe_vals"].copy()]
            self._step_cycles, self._mean_cycles = [z["step_cycles"].copy()], [z["mean_cycles"].copy()]
            self.noc.load_state(z)
            if self.structural is not None:
                self.structural.load_state(self, z)


#: neuron registers the host may write between timesteps (Simulation.set_neuron_registers): the field
#: range the mapper checks a fixed-point config against (the alif model's parameter table)
HOST_REGISTERS = {name: (MODELS["alif"].fixed[name].lo, MODELS["alif"].fixed[name].hi)
                  for name in ("du", "du_inh", "dv", "dth", "vth", "th_inc", "refractory")}

#: registers the neuron loop reads as narrow integers: (dtype, width of the chip's field)
NARROW_PARAMS = {"du": (np.int16, 12), "du_inh": (np.int16, 12), "dv": (np.int16, 12), "dth": (np.int16, 12),
                 "refractory": (np.uint8, 6)}


def narrow_params(params):
    """The engine's copy of the per-neuron registers, each decay in 16 bits and the refractory
    period in 8 (the chip's fields are 12 and 6 bits): the neuron loop streams every register
    of every neuron each timestep, so its speed is the bytes it moves (docs/performance.md)."""
    narrow = {}
    for name, (dtype, bits) in NARROW_PARAMS.items():
        values = getattr(params, name)
        if values.size and (values.min() < 0 or values.max() >= 1 << bits):
            raise ValueError(f"neuron register {name} outside its {bits}-bit field: the image is corrupt")
        narrow[name] = values.astype(dtype)
    return params._replace(**narrow)


def recorded_spikes(rec: Recorder) -> tuple[np.ndarray, np.ndarray]:
    """(spike_t, spike_id) of a Recorder: the groups' segments merged by step (within a
    step, group order is core order is neuron-id order, as one thread records them)."""
    parts = [(rec.spike_t[a:a + m], rec.spike_id[a:a + m]) for a, m in zip(rec.rec_ptr[:-1], rec.n_rec[:, 0])]
    spike_t = np.concatenate([p[0] for p in parts])
    spike_id = np.concatenate([p[1] for p in parts])
    if len(parts) > 1:
        order = np.argsort(spike_t, kind="stable")
        spike_t, spike_id = spike_t[order], spike_id[order]
    return spike_t, spike_id


def line_aligned(a: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``a`` that starts on a 64-byte cache line. The per-neuron arrays
    are: two thread groups then write the same line only where their neurons meet inside one
    (a group boundary that is not a multiple of 16 int32 neurons), not at every array's start."""
    raw = np.empty(a.nbytes + 64, np.uint8)
    skip = (-raw.ctypes.data) % 64
    out = raw[skip:skip + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def _spike_segments(group_neurons: np.ndarray, steps: int, scale: int) -> dict:
    """The spike fields of a Recorder (spike_t, spike_id, n_rec, rec_ptr, room): per group a
    segment of ``n_g + max(1024, scale * steps * n_g // 20)`` entries (a 5 % spike rate per step,
    grown by ``scale`` after a full segment), each holding at least one step of every neuron."""
    size = group_neurons + np.maximum(1024, scale * steps * group_neurons // 20)
    rec_ptr = np.concatenate([[0], np.cumsum(size)]).astype(np.int64)
    return dict(spike_t=np.empty(rec_ptr[-1], np.int64), spike_id=np.empty(rec_ptr[-1], np.int32),
                n_rec=np.zeros((group_neurons.size, LINE), np.int64), rec_ptr=rec_ptr,
                room=np.ones((2, group_neurons.size, LINE), np.int64))


def dendrites_per_core(image: ChipImage) -> np.ndarray:
    """Two-compartment neurons of each core, int64 (n_cores): each costs a dendrite update per step."""
    below = np.concatenate([[0], np.cumsum((image.params.flags & FLAG_DEND) != 0, dtype=np.int64)])
    return below[image.neuron_ptr[1:]] - below[image.neuron_ptr[:-1]]


def learning_buffers(image: ChipImage) -> tuple:
    """(xtr, ytr, reward, lfsr) of Buffers: zero traces and rewards, each core's LFSR seeded
    ``learn_lfsr_seed(image.learn_seed, core)``; empty when the image has no plastic rows."""
    from ..learning.traces import learn_lfsr_seed
    if not image.n_rules:
        return (np.zeros((0, 4), np.int32), np.zeros((0, 4), np.int32), np.zeros(0, np.int32),
                np.zeros(0, np.int64))
    return (np.zeros((image.n_axons, 4), np.int32), np.zeros((image.n_neurons, 4), np.int32),
            np.zeros(image.n_neurons, np.int32),
            np.array([learn_lfsr_seed(image.learn_seed, c) for c in range(image.n_cores)], np.int64))


def learning_scratch(image: ChipImage) -> tuple:
    """(learn_vals, learn_gate) of Buffers: per-core scratch rows of the learn phase, which
    allocates nothing (the timestep kernels run without Numba's reference counting)."""
    from ..learning.kernels import N_CODES
    cores = image.n_cores if image.n_rules else 0
    return np.zeros((cores, N_CODES), np.int64), np.zeros((cores, image.n_rules, 2, 2), np.int8)


def tag_buffer(image: ChipImage) -> np.ndarray:
    """Synaptic tags t of Buffers (docs/learning.md): int16 zeros (n_synapses) when some rule has a
    tag program, else empty."""
    return np.zeros(image.n_synapses if image.tag_prog.any() else 0, np.int16)


def _cat(parts, dtype, empty_shape=(0,)):
    return np.concatenate(parts) if parts else np.zeros(empty_shape, dtype)


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, unit="step", desc="emulating", dynamic_ncols=True, leave=False)
