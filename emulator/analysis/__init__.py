"""Analysis of runs: how a network reorganizes while it learns on the chip (docs/analysis.md)."""
from .dynamics import (DynamicsReport, Snapshots, analyze, flexibility, histogram_entropy, match_labels, modularity,
                       null_modularity, partition_noise, plot_dynamics, record_snapshots, synapse_pairs,
                       weight_entropy, weight_graph)

__all__ = ["DynamicsReport", "Snapshots", "analyze", "flexibility", "histogram_entropy", "match_labels",
           "modularity", "null_modularity", "partition_noise", "plot_dynamics", "record_snapshots",
           "synapse_pairs", "weight_entropy", "weight_graph"]
