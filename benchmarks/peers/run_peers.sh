#!/usr/bin/env bash
# Run the peer CUBA benchmarks one after another (never in parallel: the
# timings are meant for an otherwise idle machine) and append one JSON line
# per run to $1 (default peers_results.jsonl).  Summarise with summarize.py.
#   REPEATS=3 SCALE_N=64000 SCALE_K=80 bash run_peers.sh results.jsonl
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Brian2's Cython cache key contains the interpreter path string, so always use
# the same absolute path (a different spelling means a cold recompile).
py="${PYTHON:-$(cd "$here/../.." && pwd)/.venv-bench/bin/python}"
out="${1:-peers_results.jsonl}"
repeats="${REPEATS:-3}"
n="${SCALE_N:-64000}"
k="${SCALE_K:-80}"

run() { echo "+ $*" >&2; "$py" "$@" 2>>"${out%.jsonl}.log" | tee -a "$out"; }

# one cold Cython compile (empty cache); one discarded run to fill the normal
# cache; then the warm-cache repeats
run "$here/cuba_brian2.py" --target cython --cold-cache
echo "+ warm-up (discarded)" >&2
"$py" "$here/cuba_brian2.py" --target cython >/dev/null 2>>"${out%.jsonl}.log"
for _ in $(seq "$repeats"); do
  run "$here/cuba_brian2.py" --target cython
  run "$here/cuba_brian2.py" --target cpp_standalone
  run "$here/cuba_nest.py"
done
# scale point: N neurons, exactly K inputs each
run "$here/cuba_brian2.py" --target cpp_standalone --neurons "$n" --fanin "$k"
run "$here/cuba_nest.py" --neurons "$n" --fanin "$k"

# optional extras: two threads, and NEST with a 1 ms delay (fewer exchanges)
if [[ "${EXTRAS:-0}" == 1 ]]; then
  run "$here/cuba_brian2.py" --target cpp_standalone --threads 2
  run "$here/cuba_nest.py" --threads 2
  for _ in $(seq "$repeats"); do run "$here/cuba_nest.py" --delay-ms 1.0; done
  run "$here/cuba_nest.py" --neurons "$n" --fanin "$k" --delay-ms 1.0
  run "$here/cuba_brian2.py" --target cython --neurons "$n" --fanin "$k"
fi
