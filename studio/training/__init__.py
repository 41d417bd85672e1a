"""Training: compile settings, the worker that runs `fit` on a QThread, sessions of runs, and diagnosis.

`compile_settings`, `diagnosis` and `run` are plain Python; `worker` and `session` use QtCore only.
"""
