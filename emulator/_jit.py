"""The one place where Numba JIT options are chosen.

Bit-exact code never enables fast-math: integer kernels must compile to the
same wrapping/shift semantics as the plain-Python twins in ``tests/reference``.
``cache=True`` makes a warm start reach the first timestep without recompiling.

Numba invalidates a cached kernel only when *its own* file changes, not when a
kernel it inlines from another module does. So the cache lives in a folder
named after a hash of every source file of the package: any edit anywhere
starts a fresh cache and a stale kernel can never run. (NUMBA_CACHE_DIR
overrides this; then clear that folder after editing kernels.)
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

JIT_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


def _source_hash() -> str:
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "neuroemu" / f"numba-{numba.__version__}-{_source_hash()}"


if not os.environ.get("NUMBA_CACHE_DIR"):
    numba.config.CACHE_DIR = str(cache_dir())


def _skip_blas_probe() -> None:
    """Import ``numba.np.arraymath`` without its SciPy BLAS probe.

    Loading the first cached kernel makes Numba import ``numba.np.arraymath``, which imports
    ``scipy.linalg`` (0.2-0.4 s, a third of a warm start) only to decide whether compiled
    ``np.correlate``/``np.convolve`` of floats call BLAS or a plain loop (``_HAVE_BLAS``). No kernel
    here uses them; with the probe skipped they use the loop (same results). Numba's linear
    algebra is unaffected: it imports SciPy itself when such a function is compiled
    (``numba.np.linalg.ensure_blas``). A process that imported SciPy's BLAS already keeps it.
    """
    import sys
    name = "scipy.linalg.cython_blas"
    if "numba.np.arraymath" in sys.modules or name in sys.modules:
        return
    sys.modules[name] = None          # "import scipy.linalg.cython_blas" raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]


_skip_blas_probe()

#: decorator for private kernels: ``@kernel`` on a function of arrays and ints
kernel = numba.njit(**JIT_OPTIONS)

#: decorator for the kernels of the timestep loop, which never allocate: compiled
#: without Numba's reference counting, so passing the struct-of-arrays tuples down
#: the call tree costs no atomic incref/decref per array and call (~7 us per step)
step_kernel = numba.njit(_nrt=False, **JIT_OPTIONS)

#: decorator for a small per-element kernel that must become part of its caller's loop
#: (inlined by Numba, not left to LLVM's size heuristics), so that loop can vectorize
inline_kernel = numba.njit(inline="always", **JIT_OPTIONS)

#: decorator for kernels parallel over cores (``numba.prange``)
parallel_kernel = numba.njit(parallel=True, _nrt=False, **JIT_OPTIONS)
