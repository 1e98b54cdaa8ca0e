"""The Vogels & Abbott CUBA benchmark on the chip against the float model of the same network."""
import emulator as ne
from emulator.ir.float_sim import simulate_float


def test_cuba_rate_within_20_percent_of_the_float_model():
    b = ne.build(ne.load_config("configs/examples/cuba.yaml"))
    res = ne.simulate(b)
    chip = res.summary()
    fl = simulate_float(b.network, b.stimulus, b.config.run.timesteps, {})
    float_rate = sum(t.size for t, _ in fl.values()) / (4000 * 1.0)
    # Brian2 and NEST give ~5.6 Hz for this network; the float model is our own reference
    assert 3.0 < float_rate < 9.0
    assert abs(chip["mean_rate_hz"] - float_rate) <= 0.2 * float_rate, (chip["mean_rate_hz"], float_rate)
    # the activity is asynchronous-irregular, not a few synchronous bursts: many neurons fire
    assert (res.spike_counts("exc") > 0).mean() > 0.8
