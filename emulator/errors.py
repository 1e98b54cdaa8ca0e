"""User-facing errors. The CLI prints them as one line and exits non-zero, never a traceback."""
from __future__ import annotations


class NeuroemuError(Exception):
    """Base class of every error a user can cause with bad input."""

    exit_code = 2


class ConfigError(NeuroemuError):
    """A YAML field is missing, unknown, of the wrong type or out of range.

    ``path`` is the YAML path of the field, e.g. ``network.projections[2].weight``.
    """

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class MappingError(NeuroemuError):
    """The network does not fit the chip: names the block, the limit and the numbers."""


class ResumeError(NeuroemuError):
    """A checkpoint does not match the run it is asked to resume."""
