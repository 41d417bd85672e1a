"""Offscreen Qt, and no training thread may outlive a test."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_training_thread_left():
    yield
    from studio.background import running_threads

    left = running_threads()
    for thread in left:
        thread.quit()
        thread.wait(5000)
    assert not left, f"{len(left)} training thread(s) still running after the test"
