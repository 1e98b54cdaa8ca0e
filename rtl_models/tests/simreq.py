"""The one place that decides what an RTL test does when its simulator is missing."""
import os

import pytest


def need(sim: str) -> None:
    """Skip the calling test when simulator ``sim`` is not installed -- or fail it
    when NEUROEMU_REQUIRE_SIM is set (tools/test.sh sets it, so CI never skips)."""
    from emulator.bridge import sim as rtlsim
    why = rtlsim.missing(sim)
    if why:
        if os.environ.get("NEUROEMU_REQUIRE_SIM"):
            pytest.fail(why)
        pytest.skip(why)
