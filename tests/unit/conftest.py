"""Fixtures shared by the unit tests."""
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def benchmark_script(monkeypatch):
    """``load(name)``: the namespace of ``benchmarks/<name>.py`` run as a module (its ``main`` not
    called). The scripts put the repository on ``sys.path``; the test's ``sys.path`` is restored."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    return lambda name: runpy.run_path(str(ROOT / "benchmarks" / f"{name}.py"), run_name="not_main")
