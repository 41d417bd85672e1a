"""Metrics from confusion-matrix counts: TP/FP/TN/FN, Precision, Recall, and the "X at fixed Y" family."""

from __future__ import annotations

import numpy as np

from engine.metrics.confusion_matrix import (
    NEG_INF,
    is_evenly_distributed,
    parse_thresholds,
    update_confusion_matrix,
)
from engine.metrics.metric import Metric, to_result
from engine.metrics.reduction_metrics import divide_no_nan


class _ConfusionMatrixConditionCount(Metric):
    """Counts one cell of the confusion matrix at each threshold."""

    _kind = ""

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, default=0.5)
        self._thresholds_distributed_evenly = is_evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        update_confusion_matrix({self._kind: self.accumulator}, y_true, y_pred, self.thresholds,
                                thresholds_distributed_evenly=self._thresholds_distributed_evenly,
                                sample_weight=sample_weight)

    def result(self):
        value = self.accumulator.value
        return to_result(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Number (or total weight) of true positives at each threshold."""

    _kind = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """Number (or total weight) of false positives at each threshold."""

    _kind = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Number (or total weight) of true negatives at each threshold."""

    _kind = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Number (or total weight) of false negatives at each threshold."""

    _kind = "fn"


class _PrecisionOrRecall(Metric):
    """Shared by Precision (tp / (tp + fp)) and Recall (tp / (tp + fn))."""

    _other = ""

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = parse_thresholds(thresholds, default=0.5 if top_k is None else NEG_INF)
        self._thresholds_distributed_evenly = is_evenly_distributed(self.thresholds)
        self.true_positives = self.add_variable(shape=(len(self.thresholds),), name="true_positives")
        other_name = "false_positives" if self._other == "fp" else "false_negatives"
        self._other_counts = self.add_variable(shape=(len(self.thresholds),), name=other_name)
        setattr(self, other_name, self._other_counts)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        update_confusion_matrix({"tp": self.true_positives, self._other: self._other_counts}, y_true, y_pred,
                                self.thresholds, top_k=self.top_k, class_id=self.class_id,
                                sample_weight=sample_weight,
                                thresholds_distributed_evenly=self._thresholds_distributed_evenly)

    def result(self):
        tp = self.true_positives.value
        value = divide_no_nan(tp, tp + self._other_counts.value)
        return to_result(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionOrRecall):
    """Of the predicted positives, the fraction that are positive: tp / (tp + fp)."""

    _other = "fp"


class Recall(_PrecisionOrRecall):
    """Of the positives, the fraction predicted positive: tp / (tp + fn)."""

    _other = "fn"


class _SensitivitySpecificityBase(Metric):
    """Keeps all four counts at `num_thresholds` evenly spaced thresholds; subclasses pick the best one."""

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: {num_thresholds}")
        self.value = value
        self.class_id = class_id
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=shape, name="true_positives")
        self.false_positives = self.add_variable(shape=shape, name="false_positives")
        self.true_negatives = self.add_variable(shape=shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape=shape, name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        update_confusion_matrix({"tp": self.true_positives, "tn": self.true_negatives, "fp": self.false_positives,
                                 "fn": self.false_negatives}, y_true, y_pred, self.thresholds,
                                class_id=self.class_id, sample_weight=sample_weight,
                                thresholds_distributed_evenly=self._thresholds_distributed_evenly)

    def _rates(self) -> dict:
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {"sensitivity": divide_no_nan(tp, tp + fn), "specificity": divide_no_nan(tn, tn + fp),
                "precision": divide_no_nan(tp, tp + fp)}

    def _max_under_constraint(self, constrained: np.ndarray, dependent: np.ndarray) -> float:
        """The largest `dependent` over thresholds where `constrained` >= the target value (0 if none)."""
        feasible = constrained >= np.asarray(self.value, dtype=constrained.dtype)
        return to_result(np.max(np.where(feasible, dependent, 0), initial=0).astype(self.dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "class_id": self.class_id}


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """Best sensitivity (recall) among thresholds whose specificity is at least `specificity`."""

    def __init__(self, specificity: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        if not 0 <= specificity <= 1:
            raise ValueError(f"Argument `specificity` must be in the range [0, 1]. Received: {specificity}")
        self.specificity = specificity
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        rates = self._rates()
        return self._max_under_constraint(rates["specificity"], rates["sensitivity"])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "specificity": self.specificity}


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """Best specificity among thresholds whose sensitivity is at least `sensitivity`."""

    def __init__(self, sensitivity: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        if not 0 <= sensitivity <= 1:
            raise ValueError(f"Argument `sensitivity` must be in the range [0, 1]. Received: {sensitivity}")
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["specificity"])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "sensitivity": self.sensitivity}


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """Best precision among thresholds whose recall is at least `recall`."""

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        if not 0 <= recall <= 1:
            raise ValueError(f"Argument `recall` must be in the range [0, 1]. Received: {recall}")
        self.recall = recall
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["precision"])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "recall": self.recall}


class RecallAtPrecision(_SensitivitySpecificityBase):
    """Best recall among thresholds whose precision is at least `precision`."""

    def __init__(self, precision: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        if not 0 <= precision <= 1:
            raise ValueError(f"Argument `precision` must be in the range [0, 1]. Received: {precision}")
        self.precision = precision
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        rates = self._rates()
        return self._max_under_constraint(rates["precision"], rates["sensitivity"])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "precision": self.precision}
