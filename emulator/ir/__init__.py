"""Network IR: float populations and projections, and the float reference simulator."""
from .network import Network, Population, Projection, build_network

__all__ = ["Network", "Population", "Projection", "build_network"]
