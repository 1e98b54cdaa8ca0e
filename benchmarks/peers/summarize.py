#!/usr/bin/env python
"""Median table (Markdown) of the JSON lines written by cuba_brian2.py / cuba_nest.py.

    python summarize.py results.jsonl

Runs are grouped by simulator, size, connectivity, threads and (for Cython)
cold/warm compile cache; each column is the median over the group.
"""
import json
import statistics
import sys
from collections import defaultdict

COLS = ["build_s", "loop_s", "total_s", "mean_rate_hz", "spikes", "syn_events",
        "peak_rss_mb"]


def main(path):
    groups = defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                label = r["simulator"] + (" (cold cache)" if r.get("cold_cache") else "")
                if r.get("delay_ms", 0.1) != 0.1:
                    label += f" (delay {r['delay_ms']} ms)"
                key = (label,
                       r["neurons"], r["synapses"] if r["neurons"] > 4000 else "~320k",
                       r["connectivity"], r["threads"])
                groups[key].append(r)
    print("| simulator | neurons | synapses | conn | threads | runs | "
          + " | ".join(COLS) + " |")
    print("|" + "---|" * (6 + len(COLS)))
    for key, runs in groups.items():
        med = [statistics.median(r[c] for r in runs) for c in COLS]
        cells = [f"{v:.3g}" if isinstance(v, float) else str(v) for v in med]
        print("| " + " | ".join(str(k) for k in key) + f" | {len(runs)} | "
              + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "peers_results.jsonl")
