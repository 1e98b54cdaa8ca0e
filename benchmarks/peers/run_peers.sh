#!/usr/bin/env bash
# Run the peer CUBA benchmarks one after another (never in parallel: the
# timings are meant for an otherwise idle machine) and append one JSON line
# per run to $1 (default peers_results.jsonl).  Summarise with summarize.py.
#   REPEATS=3 SCALE_N=64000 SCALE_K=80 bash run_peers.sh results.jsonl
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-$here/../../.venv-bench/bin/python}"
out="${1:-peers_results.jsonl}"
repeats="${REPEATS:-3}"
n="${SCALE_N:-64000}"
k="${SCALE_K:-80}"

run() { echo "+ $*" >&2; "$py" "$@" 2>>"${out%.jsonl}.log" | tee -a "$out"; }

# one cold Cython compile (empty cache), then warm-cache repeats
run "$here/cuba_brian2.py" --target cython --cold-cache
for _ in $(seq "$repeats"); do
  run "$here/cuba_brian2.py" --target cython
  run "$here/cuba_brian2.py" --target cpp_standalone
  run "$here/cuba_nest.py"
done
# scale point: N neurons, exactly K inputs each
run "$here/cuba_brian2.py" --target cpp_standalone --neurons "$n" --fanin "$k"
run "$here/cuba_nest.py" --neurons "$n" --fanin "$k"
