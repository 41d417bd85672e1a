"""Choosing another file while one is being read cancels the read: the cancelled job must outlive its thread."""

import time

from studio.background import BackgroundTask


def test_restarting_a_running_task_many_times_is_safe(qtbot):
    task = BackgroundTask()
    finished = []

    def work(progress):
        for i in range(200):
            sum(range(500))
            progress(i / 200)
        return "read"

    task.done.connect(finished.append)
    for i in range(150):  # freeing a cancelled job while its `run` still executes crashed within a few dozen
        task.start(work)
        time.sleep(0.0005 * (i % 3))
    with qtbot.waitSignal(task.done, timeout=10000):
        pass
    assert finished == ["read"] and not task.running
