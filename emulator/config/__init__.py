"""Run configuration: YAML -> validated, typed :class:`RunConfig` (the first build stage).

``load(path_or_mapping, overrides=("run.timesteps=200",))`` reads, overrides and
validates a run config; ``load_chip("loihi1")`` a chip spec. Every user error is
one :class:`~emulator.errors.ConfigError` naming the YAML path. The layout is
documented in ``docs/yaml.md``.
"""
from ..errors import ConfigError
from .loader import DEFAULT_CHIP, apply_overrides, builtin_chips, load, load_chip, read_yaml
from .types import (ChipSpec, CoreLimits, CycleCosts, Distribution, EnergyPrices, NetworkConfig, OutputConfig,
                    PopulationConfig, ProbeConfig, ProjectionConfig, RunConfig, RunSettings, StimulusConfig)

__all__ = [
    "load", "load_chip", "apply_overrides", "builtin_chips", "read_yaml", "DEFAULT_CHIP", "ConfigError",
    "ChipSpec", "CoreLimits", "CycleCosts", "EnergyPrices",
    "PopulationConfig", "Distribution", "ProjectionConfig", "NetworkConfig",
    "StimulusConfig", "ProbeConfig", "OutputConfig", "RunSettings", "RunConfig",
]
