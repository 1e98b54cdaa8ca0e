"""neuroemu: a bit- and cycle-exact, event-driven emulator of many-core spiking chips.

Build stages (each returns a new, typed object)::

    load_config(path) -> RunConfig -> build() -> Build(network IR, ChipImage) -> simulate() -> Results
"""
__version__ = "0.1.0"

from .api import Build, build, load_config, make_probes, make_stimulus, simulate  # noqa: E402
from .errors import ConfigError, MappingError, NeuroemuError  # noqa: E402

__all__ = ["Build", "ConfigError", "MappingError", "NeuroemuError", "build", "load_config", "make_probes",
           "make_stimulus", "simulate", "__version__"]
