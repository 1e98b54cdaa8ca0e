"""Chip specs: a built-in name, a chip YAML file or a mapping -> a validated ChipSpec.

A chip mapping may name a ``base`` chip whose values it overrides; every section
(limits, cycles, energy, router) is checked field by field against its defaults'
types. Layout: docs/yaml.md (chip) and docs/chip.md.
"""
from __future__ import annotations

import os
from dataclasses import fields, replace
from functools import partial
from pathlib import Path
from typing import Any

from .. import fixed as fx
from ..errors import ConfigError
from .schema import (at, checked_fields, choice, get, integer, item, mapping, number, read_yaml, section, seq, show,
                     string, suggest)
from .types import MAX_FIFO_DEPTH, MAX_HOP_LATENCY, ROUTER_MODES, ChipSpec, CoreLimits, CycleCosts, EnergyPrices, RouterSpec

__all__ = ["load_chip", "builtin_chips", "DEFAULT_CHIP"]

DEFAULT_CHIP = "loihi1"   #: the chip of a run config without a ``chip`` key
_BUILTIN_DIR = Path(__file__).resolve().parent.parent / "data" / "chips"
_CHIP_KEYS = ("base", "name", "mesh", "clock_mhz", "limits", "cycles", "energy", "router")
_ROUTER_CHECKS = {"mode": partial(choice, options=ROUTER_MODES, what="router mode"),
                  "fifo_depth": partial(integer, lo=1, hi=MAX_FIFO_DEPTH),
                  "hop_latency": partial(integer, lo=1, hi=MAX_HOP_LATENCY)}


def builtin_chips() -> tuple[str, ...]:
    """Names of the chip specs shipped in ``emulator/data/chips``."""
    return tuple(sorted(p.stem for p in _BUILTIN_DIR.glob("*.yaml")))


def load_chip(spec: Any = DEFAULT_CHIP, base_dir: str | os.PathLike | None = None,
              path: str = "chip") -> ChipSpec:
    """A validated ChipSpec from a built-in name, a chip YAML path or a mapping.

    A mapping (or file) may name a ``base`` chip (built-in name or path) whose
    values it overrides; without ``base`` it overrides the ChipSpec defaults
    (the loihi1 values). Relative paths resolve against ``base_dir`` (cwd).
    """
    return _chip(DEFAULT_CHIP if spec is None else spec, path, Path(base_dir or "."), ())


def _chip(spec: Any, path: str, base_dir: Path, seen: tuple) -> ChipSpec:
    if isinstance(spec, dict):
        return _chip_mapping(spec, path, base_dir, seen, None)
    if not isinstance(spec, (str, os.PathLike)) or not str(spec):
        raise ConfigError(path, f"expected a built-in chip name ({', '.join(builtin_chips())}), "
                                f"a path to a chip YAML or a mapping, got {show(spec)}")
    if isinstance(spec, str) and spec in builtin_chips():
        file = _BUILTIN_DIR / f"{spec}.yaml"
    else:
        file = (base_dir / spec).resolve()
        if not file.is_file():
            raise ConfigError(path, f"no built-in chip or chip file {str(spec)!r} (relative to {base_dir}); "
                                    f"built-in chips: {', '.join(builtin_chips())}"
                                    f"{suggest(spec, builtin_chips())}")
    if file in seen:
        raise ConfigError(path, f"chip files include each other in a cycle: "
                                f"{' -> '.join(str(f) for f in (*seen, file))}")
    raw = read_yaml(file)
    try:
        return _chip_mapping(raw, "", file.parent, (*seen, file), file.stem)
    except ConfigError as e:
        if getattr(e, "file", None):          # raised inside a base file: already names it
            raise
        err = ConfigError(f"{file}: {e.path}" if e.path else str(file), e.message)
        err.file = str(file)
        raise err from None


def _chip_mapping(m: Any, path: str, base_dir: Path, seen: tuple, name: str | None) -> ChipSpec:
    m = mapping(m, path, _CHIP_KEYS, what="a chip mapping")
    base = get(m, "base", path, _chip, ChipSpec(), base_dir=base_dir, seen=seen)
    mesh = get(m, "mesh", path, seq, (base.mesh_width, base.mesh_height), length=2)
    width, height = (integer(v, item(at(path, "mesh"), i), lo=1) for i, v in enumerate(mesh))
    return ChipSpec(
        name=get(m, "name", path, string, name or base.name),
        mesh_width=width, mesh_height=height,
        clock_mhz=get(m, "clock_mhz", path, number, base.clock_mhz, lo=0, lo_open=True),
        limits=_chip_section(m, path, "limits", base.limits, lo=1),
        cycles=_chip_section(m, path, "cycles", base.cycles, lo=0),
        energy=_chip_section(m, path, "energy", base.energy, lo=0),
        router=_router(m, path, base.router))


def _router(m: dict, path: str, base: RouterSpec) -> RouterSpec:
    """``base`` with the keys given under ``router`` (mode, fifo_depth, hop_latency); docs/router.md."""
    sub = at(path, "router")
    return replace(base, **checked_fields(section(m.get("router"), sub, _ROUTER_CHECKS), sub, _ROUTER_CHECKS, base))


def _chip_section(m: dict, path: str, key: str, base: CoreLimits | CycleCosts | EnergyPrices, lo: int):
    """``base`` with the fields given under ``key``; every field's check follows its default's type."""
    checks = {}
    for f in fields(base):
        if isinstance(f.default, str):
            checks[f.name] = string
        elif isinstance(f.default, float):
            checks[f.name] = partial(number, lo=lo)
        elif f.name == "max_delay":      # the 6-bit per-synapse delay field bounds it
            checks[f.name] = partial(integer, lo=0, hi=fx.MAX_DELAY)
        else:
            checks[f.name] = partial(integer, lo=lo)
    sub = at(path, key)
    return replace(base, **checked_fields(section(m.get(key), sub, checks), sub, checks, base))
