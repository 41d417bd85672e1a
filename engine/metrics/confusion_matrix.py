"""Counting true/false positives/negatives at a list of thresholds, as Keras's `metrics_utils` does.

A prediction counts as positive at threshold t when it is > t. Thresholds spread evenly over [0, 1]
(as AUC's are) take a faster path that drops each prediction into a bucket and accumulates from the top;
it is written in float32 exactly as Keras writes it, so the counts at the bucket edges agree.
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.losses.loss import squeeze_or_expand_to_same_rank
from engine.metrics.metric import as_array

NEG_INF = -1e10
KINDS = ("tp", "fp", "tn", "fn")


def parse_thresholds(thresholds, default: float = 0.5) -> list[float]:
    """A list of thresholds from None (-> [default]), a number or a list; each must be in [0, 1]."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return values


def is_evenly_distributed(thresholds) -> bool:
    """True for thresholds i / (n - 1), i = 0..n-1, with n >= 3 (up to epsilon)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=backend.epsilon()))


def filter_top_k(x: np.ndarray, k: int) -> np.ndarray:
    """Keep the k largest values of each row; set the rest to NEG_INF."""
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(x.shape, dtype=x.dtype)
    np.put_along_axis(mask, order, 1, axis=-1)
    return x * mask + np.asarray(NEG_INF, x.dtype) * (1 - mask)


def update_confusion_matrix(variables: dict, y_true, y_pred, thresholds, top_k: int | None = None,
                            class_id: int | None = None, sample_weight=None, multi_label: bool = False,
                            label_weights=None, thresholds_distributed_evenly: bool = False) -> None:
    """Add this batch's counts to `variables` ({"tp"|"fp"|"tn"|"fn": Variable of shape (T,) or (T, L)})."""
    unknown = [k for k in variables if k not in KINDS]
    if unknown or not variables:
        raise ValueError(f"Invalid confusion matrix keys {unknown}; expected some of {KINDS}")
    dtype = next(iter(variables.values())).dtype
    y_true = as_array(y_true).astype(dtype)
    y_pred = as_array(y_pred).astype(dtype)
    with_epsilon = thresholds_distributed_evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    thresholds = np.asarray(thresholds, dtype=dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = np.expand_dims(as_array(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if label_weights is not None:
        label_weights = np.asarray(label_weights, dtype=dtype)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape: y_true.shape={y_true.shape}, "
                         f"y_pred.shape={y_pred.shape}")
    if thresholds_distributed_evenly:
        counts = _bucketed_counts(y_true, y_pred, thresholds, sample_weight, label_weights, multi_label,
                                  with_epsilon)
    else:
        counts = _compared_counts(y_true, y_pred, thresholds, sample_weight, label_weights, multi_label,
                                  set(variables))
    for kind, variable in variables.items():
        variable.value += counts[kind].astype(variable.dtype, copy=False)


def _weights(sample_weight, label_weights, y_pred: np.ndarray, multi_label: bool, dtype):
    """Sample weights times label weights, shaped like y_pred (flattened unless multi-label), or 1.0."""
    weights = np.asarray(1.0, dtype=dtype)
    if sample_weight is not None:
        weights = np.broadcast_to(sample_weight.astype(dtype), y_pred.shape)
    if label_weights is not None:
        weights = weights * np.broadcast_to(label_weights[None], y_pred.shape)
    if weights.ndim and not multi_label:
        weights = weights.reshape(-1)
    return weights


def _bucketed_counts(y_true, y_pred, thresholds, sample_weight, label_weights, multi_label, with_epsilon):
    dtype = y_pred.dtype
    num_thresholds = thresholds.shape[0]
    weights = _weights(sample_weight, label_weights, y_pred, multi_label, dtype)
    y_pred = np.clip(y_pred, 0.0, 1.0)
    y_true = (y_true != 0).astype(dtype)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    true_labels, false_labels = np.broadcast_arrays(true_labels, false_labels)
    # bucket b holds predictions in (b/(T-1), (b+1)/(T-1)]: positive at thresholds 0..b
    buckets = np.ceil(y_pred * np.asarray(num_thresholds - 1, dtype=dtype)) - 1
    if with_epsilon:
        buckets = np.maximum(buckets, 0)
    buckets = buckets.astype(np.int64)

    def cumulative(labels):
        if multi_label:  # one histogram per label (column)
            columns = [_segment_sum(labels[:, j], buckets[:, j], num_thresholds) for j in range(labels.shape[1])]
            histogram = np.stack(columns, axis=1)
        else:
            histogram = _segment_sum(labels, buckets, num_thresholds)
        return np.flip(np.cumsum(np.flip(histogram, 0), axis=0, dtype=dtype), 0)

    tp = cumulative(true_labels)
    fp = cumulative(false_labels)
    total_true = np.sum(true_labels, axis=0, dtype=dtype)
    total_false = np.sum(false_labels, axis=0, dtype=dtype)
    return {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}


def _segment_sum(data: np.ndarray, segment_ids: np.ndarray, num_segments: int) -> np.ndarray:
    """Sum of `data` per segment id in [0, num_segments); other ids are dropped (as in Keras)."""
    keep = (segment_ids >= 0) & (segment_ids < num_segments)
    sums = np.bincount(segment_ids[keep], weights=data[keep], minlength=num_segments)
    return sums.astype(data.dtype)


def _compared_counts(y_true, y_pred, thresholds, sample_weight, label_weights, multi_label, kinds):
    dtype = y_pred.dtype
    if multi_label:
        predictions = y_pred[None]  # (1, N, L) against thresholds (T, 1, 1)
        labels = (y_true != 0)[None]
        cut = thresholds.reshape(-1, 1, 1)
    else:
        predictions = y_pred.reshape(1, -1)
        labels = (y_true != 0).reshape(1, -1)
        cut = thresholds.reshape(-1, 1)
    labels = np.broadcast_to(labels, np.broadcast_shapes(labels.shape, predictions.shape))
    pred_pos = predictions > cut
    weights = None
    if sample_weight is not None or (label_weights is not None and not multi_label):
        weights = _weights(sample_weight, None if multi_label else label_weights, y_pred, multi_label, dtype)
        weights = weights.reshape(predictions.shape)

    def count(label_mask, pred_mask):
        both = label_mask & pred_mask
        if weights is None:
            return np.sum(both, axis=1, dtype=dtype)
        return np.sum(np.where(both, weights, np.zeros((), dtype)), axis=1, dtype=dtype)

    masks = {"tp": lambda: (labels, pred_pos), "fp": lambda: (~labels, pred_pos),
             "tn": lambda: (~labels, ~pred_pos), "fn": lambda: (labels, ~pred_pos)}
    return {kind: count(*masks[kind]()) for kind in kinds}
