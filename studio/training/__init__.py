"""Training: the one training core used by the window and the command line, and what surrounds it.

Plain Python: `core` (the rules of a run: segments, last finite weights on NaN, stop/pause, early stopping),
`run` (the record of a run), `weights` (snapshots and the finiteness check), `progress` (coalesced reports),
`diagnosis`, `compile_settings`; `backends` (who does the arithmetic: the engine, or real Keras 3 through
`keras_backend`). QtCore only: `worker` (the core on a QThread) and `session` (the window's runs).
"""
