"""Callbacks: objects that hook into `fit`, `evaluate` and `predict` (`keras.callbacks`)."""

from engine.callbacks.callback import Callback
from engine.callbacks.callback_list import CallbackList
from engine.callbacks.csv_logger import CSVLogger
from engine.callbacks.early_stopping import EarlyStopping
from engine.callbacks.history import History
from engine.callbacks.lambda_callback import LambdaCallback
from engine.callbacks.learning_rate_scheduler import LearningRateScheduler
from engine.callbacks.model_checkpoint import ModelCheckpoint
from engine.callbacks.progbar_logger import ProgbarLogger
from engine.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from engine.callbacks.tensorboard import TensorBoard
from engine.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
