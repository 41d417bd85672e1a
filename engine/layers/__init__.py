"""`engine.layers`: every layer class, by its Keras name, plus `serialize` / `deserialize`."""

from engine.layers.core.activation import Activation
from engine.layers.core.dense import Dense
from engine.layers.core.input_layer import Input, InputLayer
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.layers.merging.concatenate import Concatenate, concatenate
from engine.layers.merging.dot import Dot, dot
from engine.layers.merging.elementwise import (
    Add,
    Average,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    maximum,
    minimum,
    multiply,
    subtract,
)
from engine.layers.normalization.batch_normalization import BatchNormalization
from engine.layers.normalization.layer_normalization import LayerNormalization
from engine.layers.normalization.normalization import Normalization
from engine.layers.regularization.activity_regularization import ActivityRegularization
from engine.layers.regularization.dropout import Dropout
from engine.layers.regularization.gaussian_noise import GaussianDropout, GaussianNoise
from engine.layers.regularization.spatial_dropout import SpatialDropout1D, SpatialDropout2D
from engine.layers.reshaping.cropping import Cropping1D, Cropping2D
from engine.layers.reshaping.flatten import Flatten
from engine.layers.reshaping.permute import Permute
from engine.layers.reshaping.repeat_vector import RepeatVector
from engine.layers.reshaping.reshape import Reshape
from engine.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D
from engine.layers.reshaping.zero_padding import ZeroPadding1D, ZeroPadding2D

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec", "Layer", "Reshape",
    "serialize", "deserialize",
]

__all__ += [
    "ActivityRegularization", "Add", "Average", "BatchNormalization", "Concatenate", "Cropping1D", "Cropping2D", "Dot",
    "GaussianDropout", "GaussianNoise", "LayerNormalization", "Maximum", "Minimum", "Multiply",
    "Normalization", "Permute", "RepeatVector", "SpatialDropout1D", "SpatialDropout2D", "Subtract", "UpSampling1D",
    "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "add", "average", "concatenate", "dot", "maximum", "minimum",
    "multiply", "subtract",
]


def serialize(layer) -> dict:
    from engine.saving.serialization_lib import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None):
    from engine.saving.serialization_lib import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)
