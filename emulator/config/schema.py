"""The raw-YAML layer: reading files, applying ``--set`` overrides, checking values.

Apart from ``--set chip.KEY=...`` expanding ``chip: NAME`` into ``{base: NAME}``,
nothing here knows the run-config layout; :mod:`emulator.config.loader` composes
these pieces. Each checker takes the raw value and its YAML path
(``network.populations[0].size``) and returns the cleaned value, or raises
exactly one :class:`ConfigError` that names the path, what was expected and
what was found.
"""
from __future__ import annotations

import copy
import difflib
import math
import numbers
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from ..errors import ConfigError

__all__ = [
    "read_yaml", "parse_yaml", "apply_overrides",
    "REQUIRED", "at", "item", "show", "suggest", "mapping", "get", "checked_fields", "section", "seq",
    "is_integer", "integer", "number", "boolean", "string", "identifier", "choice", "nullable", "param",
    "PARAM_CHOICES",
]

REQUIRED = object()   #: sentinel default of :func:`get`: the key must be present
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: string-valued parameters and their allowed values (the ``kind is str`` rows of the Param tables)
PARAM_CHOICES = {"reset": ("zero", "subtract"), "noise_target": ("v", "u")}


def at(path: str, key: object) -> str:
    """YAML path of ``key`` inside the mapping at ``path``."""
    return f"{path}.{key}" if path else str(key)


def item(path: str, index: int) -> str:
    """YAML path of list element ``index`` inside the list at ``path``."""
    return f"{path}[{index}]"


def show(value: Any) -> str:
    """A short, YAML-flavoured rendering of a user value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return repr(value)


def suggest(word: object, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest option to ``word``, else ``""``."""
    word, options = str(word), list(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6) or [
        o for o in options if min(len(o), len(word)) >= 3 and (word.startswith(o) or o.startswith(word))]
    return f"; did you mean {close[0]!r}?" if close else ""


def mapping(value: Any, path: str, valid: Iterable[str], required: Iterable[str] = (),
            what: str = "a mapping") -> dict:
    """Check that ``value`` is a mapping whose keys are all in ``valid`` and include ``required``."""
    valid = sorted(valid)
    where = "" if path else "top-level "
    if not isinstance(value, dict):
        raise ConfigError(path, f"expected {what} with keys {', '.join(valid)}, got {show(value)}")
    for key in value:
        if key not in valid:
            raise ConfigError(path, f"unknown {where}key {show(key)}; valid keys: {', '.join(valid)}"
                                    f"{suggest(key, valid)}")
    for key in required:
        if key not in value:
            raise ConfigError(path, f"missing required {where}key {key!r}")
    return value


def get(m: dict, key: str, path: str, check: Callable, default: Any = REQUIRED, /, **kw) -> Any:
    """``check(m[key], path.key, **kw)``, or ``default`` when the key is absent."""
    if key not in m:
        if default is REQUIRED:
            raise ConfigError(path, f"missing required key {key!r}")
        return default
    return check(m[key], at(path, key), **kw)


def checked_fields(m: dict, path: str, checks: dict, defaults: Any) -> dict:
    """``{key: check(m[key])}`` for every key in ``checks``, defaulting to ``defaults.key``."""
    return {k: get(m, k, path, check, getattr(defaults, k)) for k, check in checks.items()}


def section(value: Any, path: str, valid: Iterable[str], required: Iterable[str] = ()) -> dict:
    """An optional mapping section: ``null`` (an empty ``key:`` line) counts as ``{}``."""
    return mapping({} if value is None else value, path, valid, required)


def seq(value: Any, path: str, min_len: int = 0, length: int | None = None) -> list:
    """Check that ``value`` is a list (``null`` is an empty list) of an allowed length."""
    value = [] if value is None else value
    if not isinstance(value, (list, tuple)):
        raise ConfigError(path, f"expected a list, got {show(value)}")
    if length is not None and len(value) != length:
        raise ConfigError(path, f"expected a list of {length} items, got {len(value)}")
    if len(value) < min_len:
        raise ConfigError(path, f"expected a list of at least {min_len} item(s), got {len(value)}")
    return list(value)


def _bounds(lo, hi, lo_open: bool = False) -> str:
    lo_s = f"({lo}" if lo_open else f"[{lo}"
    if lo is not None and hi is not None:
        return f" in {lo_s}, {hi}]"
    if lo is not None:
        return f" {'>' if lo_open else '>='} {lo}"
    return f" <= {hi}" if hi is not None else ""


def _in_range(x, lo, hi, lo_open: bool) -> bool:
    return (lo is None or x > lo or (x == lo and not lo_open)) and (hi is None or x <= hi)


def is_integer(value: Any) -> bool:
    """An int (or numpy integer), never a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(value: Any, path: str, lo: int | None = None, hi: int | None = None) -> int:
    """An int (never a bool, never a float) in the inclusive range [lo, hi]."""
    if lo == 1 and hi is None:
        desc = "a positive integer"
    elif lo == 0 and hi is None:
        desc = "a non-negative integer"
    else:
        desc = "an integer" + _bounds(lo, hi)
    if not is_integer(value) or not _in_range(value, lo, hi, False):
        raise ConfigError(path, f"expected {desc}, got {show(value)}")
    return int(value)


def number(value: Any, path: str, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False) -> float:
    """A finite int or float (never a bool) in [lo, hi] (or (lo, hi] with ``lo_open``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not _in_range(value, lo, hi, lo_open):
        raise ConfigError(path, f"expected a number{_bounds(lo, hi, lo_open)}, got {show(value)}")
    return float(value)


def boolean(value: Any, path: str) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise ConfigError(path, f"expected true or false, got {show(value)}")
    return value


def string(value: Any, path: str) -> str:
    """Any non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigError(path, f"expected a non-empty string, got {show(value)}")
    return value


def identifier(value: Any, path: str) -> str:
    """A name matching ``[A-Za-z_][A-Za-z0-9_]*``."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ConfigError(path, f"expected a name of letters, digits and '_' not starting with a digit, "
                                f"got {show(value)}")
    return value


def choice(value: Any, path: str, options: Iterable[str], what: str = "value") -> str:
    """One of ``options``; the error lists them (sorted) and suggests the closest."""
    options = sorted(options)
    if not isinstance(value, str):
        raise ConfigError(path, f"expected one of {', '.join(options)}, got {show(value)}")
    if value not in options:
        raise ConfigError(path, f"unknown {what} {value!r}; valid: {', '.join(options)}"
                                f"{suggest(value, options)}")
    return value


def nullable(check: Callable) -> Callable:
    """``check`` that also accepts ``null`` (returned as None)."""
    def checked(value, path, **kw):
        return None if value is None else check(value, path, **kw)
    return checked


def param(value: Any, path: str, name: str, prm) -> Any:
    """A neuron-model parameter checked against its ``Param`` row (kind, inclusive lo/hi).

    ``null`` is accepted for parameters without a default (meaning: not set).
    """
    if value is None and prm.default is None:
        return None
    if prm.kind is int:
        return integer(value, path, prm.lo, prm.hi)
    if prm.kind is float:
        return number(value, path, prm.lo, prm.hi)
    if name in PARAM_CHOICES:
        return choice(value, path, PARAM_CHOICES[name], what=name)
    return string(value, path)


# ----------------------------------------------------------------- reading YAML
class _Loader(yaml.SafeLoader):
    """SafeLoader that reads ``1e3`` as a float (YAML 1.2) and rejects duplicate keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:        # unhashable key: SafeConstructor reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}",
                                                        key_node.start_mark)
        return super().construct_mapping(node, deep)


_Loader.add_implicit_resolver("tag:yaml.org,2002:float",
                              re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                              list("-+0123456789"))


def read_yaml(file: str | os.PathLike) -> Any:
    """Parse a YAML file; a missing file or a syntax error is a ConfigError with file:line:column."""
    file = Path(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(file), "file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(file), f"cannot read the file: {e}") from None
    return parse_yaml(text, str(file))


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML ``text``; a syntax error is a ConfigError at ``where:line:column``."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ConfigError(f"{where}:{mark.line + 1}:{mark.column + 1}",
                          f"invalid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise ConfigError(where, f"invalid YAML: {e}") from None


# ----------------------------------------------------------------- overrides
_OVERRIDE_PATH = re.compile(r"[^.\[\]=\s]+(\[\d+\])*(\.[^.\[\]=\s]+(\[\d+\])*)*")
_OVERRIDE_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def apply_overrides(raw: Any, overrides: Iterable[str] | str = ()) -> Any:
    """A deep copy of ``raw`` with each ``"path=value"`` override applied, in order.

    ``path`` is dotted (``run.timesteps``); list items are addressed by index
    (``network.populations[1]`` or ``network.populations.1``) or by their ``name``
    (``network.populations.exc``; projections also by ``<source>_<target>``).
    Missing intermediate mappings are created; ``value`` is parsed as YAML
    (``200``, ``[4, 4]``, ``{uniform: [0, 1]}``, ``null``).
    """
    out = copy.deepcopy(raw)
    overrides = [overrides] if isinstance(overrides, str) else list(overrides)
    for text in overrides:
        if not isinstance(text, str) or "=" not in text:
            raise ConfigError("--set", f"expected PATH=VALUE, got {show(text)}")
        path, _, value = text.partition("=")
        path = path.strip()
        if not _OVERRIDE_PATH.fullmatch(path):
            raise ConfigError(path or "--set", f"--set: malformed path in {text!r}; "
                                               "use dotted keys and [index], e.g. network.populations[0].size")
        if not isinstance(out, dict):
            raise ConfigError(path, f"--set: the config is {show(out)}, not a mapping")
        tokens = [int(i) if i else key for i, key in _OVERRIDE_TOKEN.findall(path)]
        _set(out, tokens, parse_yaml(value, f"--set {path}"), path)
    return out


def _set(root: dict, tokens: list, value: Any, path: str) -> None:
    node, where = root, ""
    for n, token in enumerate(tokens):
        last = n == len(tokens) - 1
        if isinstance(node, dict) and not isinstance(token, int):
            if last:
                node[token] = value
                return
            child = node.get(token)
            if child is None:        # create missing intermediate mappings
                child = node[token] = {}
            elif node is root and token == "chip" and isinstance(child, str):
                child = node[token] = {"base": child}     # chip: loihi1 -> {base: loihi1, ...}
            where = at(where, token)
        elif isinstance(node, list):
            index = _list_index(node, token, where, path)
            if last:
                node[index] = value
                return
            child, where = node[index], item(where, index)
        else:
            raise ConfigError(path, f"--set: cannot go into {where or 'the config'} with "
                                    f"{token!r}: it is {show(node)}")
        node = child


def _list_index(items: list, token: Any, where: str, path: str) -> int:
    if isinstance(token, int) or token.isdecimal():
        index = int(token)
        if index >= len(items):
            raise ConfigError(path, f"--set: index {index} is out of range; {where} has {len(items)} item(s)")
        return index
    names = [_item_name(x) for x in items]
    if token not in names:
        known = ", ".join(str(x) for x in names if x) or "none"
        raise ConfigError(path, f"--set: no item named {token!r} in {where}; names: {known}"
                                f"{suggest(token, [x for x in names if x])}")
    return names.index(token)


def _item_name(x: Any) -> str | None:
    if not isinstance(x, dict):
        return None
    if isinstance(x.get("name"), str):
        return x["name"]
    if isinstance(x.get("source"), str) and isinstance(x.get("target"), str):
        return f"{x['source']}_{x['target']}"
    return None
