"""The engine never indexes out of bounds: differential runs recompiled with NUMBA_BOUNDSCHECK=1.

Numba does not check array bounds by default, so an out-of-bounds write would
corrupt memory silently; here every kernel is compiled with checks (in a fresh
cache, in a subprocess) and run on random networks with one and two thread groups.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import numpy as np
    from emulator.api import build
    from emulator.engine import Simulation
    from tests.reference.engine_ref import host_spikes, run_reference
    from tests.reference.random_nets import random_fixed_config
    for seed in range(12):
        b = build(random_fixed_config(seed))
        T = b.config.run.timesteps
        want, _, _ = run_reference(b.image, host_spikes(b.stimulus, T), T)
        for threads in (1, 2):
            res = Simulation(b.image, b.stimulus, threads=threads).run(T, chunk=11)
            assert list(zip(res.spike_t.tolist(), res.spike_id.tolist())) == want, (seed, threads)
    print("ok")
""")


def test_kernels_in_bounds_on_random_networks(tmp_path):
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-3000:]
