"""Mapper: quantize, partition, place and route a Network IR into a ChipImage."""
from .mapper import MappingReport, map_network
from .partition import synapse_word_bits

__all__ = ["MappingReport", "map_network", "synapse_word_bits"]
