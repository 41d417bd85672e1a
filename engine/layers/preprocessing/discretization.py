"""`Discretization`: numbers to bucket indices by boundaries (given, or quantiles learned by `adapt`).

`adapt` keeps Keras's streaming quantile summary (sorted values with weights, compressed to `1/epsilon`
points and merged batch by batch), so the learned boundaries are Keras's to float32 precision.
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor
from engine.layers.preprocessing import categorical
from engine.layers.preprocessing.base import PreprocessingLayer, value_of


class Discretization(PreprocessingLayer):
    """Bucket `i` holds `boundaries[i-1] <= x < boundaries[i]`; output as ints or one-/multi-hot/count vectors."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None, **kwargs):
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`sparse=True` needs sparse tensors, which the engine does not have.")
        output_mode = categorical.check_output_mode(output_mode, ("int", "one_hot", "multi_hot", "count"),
                                                    "Discretization")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. Received: "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = list(bin_boundaries) if bin_boundaries is not None else None
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if self.bin_boundaries else _empty_summary()
        self.built = True

    def adapt(self, data, steps: int | None = None) -> None:
        """Learn `num_bins - 1` boundaries at the quantiles of `data` (an array or an iterable of batches)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             "use `num_bins` instead.")
        self.reset_state()
        # As Keras: an array is one batch; any other iterable (a list too) yields batches.
        batches = [data] if isinstance(data, (np.ndarray, Tensor)) else _iterate(data, steps)
        for batch in batches:
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data) -> None:
        values = np.asarray(value_of(data), dtype="float32")
        self.summary = _merge_summaries(_summarize(values, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self) -> None:
        if self.num_bins is not None:
            self.bin_boundaries = _compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        if self.num_bins is not None:
            self.summary = _empty_summary()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        indices = np.digitize(value_of(inputs), np.asarray(self.bin_boundaries))
        dtype = "int32" if self.output_mode == "int" else self.dtype
        return Tensor(categorical.encode(indices, self.output_mode, len(self.bin_boundaries) + 1, dtype))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def _output_dtype(self, inputs) -> str:
        return "int32" if self.output_mode == "int" else self.dtype

    def load_own_variables(self, store) -> None:
        if len(store.keys()) == 1:  # files of older Keras versions kept the summary as a weight
            self.summary = np.asarray(store["0"])

    def save_own_variables(self, store) -> None:
        """Nothing: the boundaries live in the config."""

    def get_build_config(self) -> dict | None:
        return None

    def get_config(self) -> dict:
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name", backend.floatx())
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")  # adapted: both are set, which __init__ refuses
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            layer.summary = None
            return layer
        return cls(**config)


def _iterate(data, steps: int | None):
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        yield batch[0] if isinstance(batch, tuple) else batch


def _empty_summary() -> np.ndarray:
    return np.zeros((2, 0), dtype="float32")


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Sorted values sampled every `len/(1/epsilon)` steps (at least every value), each weighted by the step."""
    values = np.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full(kept.shape, step, dtype=kept.dtype)])


def _merge_summaries(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((first, second), axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return _compress_summary(merged, epsilon)


def _compress_summary(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Resample the cumulative weights at every `epsilon` of the total: the points become quantile estimates."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    points = np.interp(percents, fractions, summary[0])
    new_cumulative = np.interp(percents, fractions, cumulative)
    weights = new_cumulative - np.concatenate(([0.0], new_cumulative[:-1]))
    return np.stack((points, weights)).astype("float32")
