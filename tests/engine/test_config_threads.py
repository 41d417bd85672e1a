"""engine.config: the BLAS runs single-threaded inside a recurrent layer's timestep loop, and only there."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import layers


def blas_threads() -> list[int]:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    """The engine (and the BLAS) at 2 threads for one test; BLAS thread counts seen outside any limit."""
    before = engine.config.get_num_threads()
    engine.config.set_num_threads(2)
    try:
        outside = blas_threads()
        if not outside:
            pytest.skip("threadpoolctl sees no BLAS library")
        yield outside
    finally:
        engine.config.set_num_threads(before)


def test_blas_single_threaded_limits_and_restores(two_threads):
    assert set(two_threads) == {2}
    with engine.config.blas_single_threaded():  # NumPy's BLAS (another, e.g. torch's, may stay as it is)
        assert 1 in blas_threads()
    assert blas_threads() == two_threads


def test_recurrent_steps_run_with_a_single_threaded_blas(monkeypatch):
    """Every timestep's product (3 steps of an LSTM) runs inside the limit."""
    import engine.ops.rnn as rnn

    seen = []
    original = rnn.np.matmul

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return original(*args, **kwargs)

    before = engine.config.get_num_threads()
    engine.config.set_num_threads(2)
    x = np.random.default_rng(0).normal(size=(4, 3, 5)).astype("float32")
    layer = layers.LSTM(6)
    layer(x)
    monkeypatch.setattr(rnn.np, "matmul", spy)  # numpy's own matmul, for the duration of one call
    try:
        layer(x)
    finally:
        monkeypatch.undo()
        engine.config.set_num_threads(before)
    if not blas_threads():
        pytest.skip("threadpoolctl sees no BLAS library")
    assert len(seen) == 3 and all(1 in threads for threads in seen)  # every BLAS was at 2 outside the loop


def test_small_products_run_in_one_blas_thread_and_large_ones_in_all(two_threads):
    with engine.config.blas_threads_for(engine.config.SMALL_PRODUCT - 1):
        assert 1 in blas_threads()
    with engine.config.blas_threads_for(engine.config.SMALL_PRODUCT):
        assert blas_threads() == two_threads
    assert blas_threads() == two_threads


def test_a_small_dense_layer_multiplies_in_one_blas_thread(monkeypatch):
    """A CNN's last Dense (a few million multiply-adds): forward and both backward products in one thread."""
    import engine.ops.nn as nn

    seen = []
    limit = engine.config.blas_threads_for

    def spy(multiply_adds):
        seen.append(multiply_adds)
        return limit(multiply_adds)

    monkeypatch.setattr(nn.config, "blas_threads_for", spy)
    model = engine.Sequential([engine.Input((16,)), layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(np.ones((4, 16), "float32"), np.ones((4, 3), "float32"))
    assert seen and all(n == 4 * 16 * 3 for n in seen) and len(seen) >= 2
