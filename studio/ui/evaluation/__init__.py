"""The evaluation view: metrics, confusion matrix or predicted-vs-actual, predictions, predicting new CSV files."""

from studio.ui.evaluation.view import EvaluationView

__all__ = ["EvaluationView"]
