"""`engine.layers`: every layer class, by its Keras name, plus `serialize` / `deserialize`."""

from engine.layers.activations.elu import ELU
from engine.layers.activations.leaky_relu import LeakyReLU
from engine.layers.activations.prelu import PReLU
from engine.layers.activations.relu import ReLU
from engine.layers.activations.softmax import Softmax
from engine.layers.attention.additive_attention import AdditiveAttention
from engine.layers.attention.attention import Attention
from engine.layers.attention.multi_head_attention import MultiHeadAttention
from engine.layers.convolutional.conv import Conv1D, Conv2D, Conv3D
from engine.layers.convolutional.conv_transpose import Conv1DTranspose, Conv2DTranspose
from engine.layers.convolutional.depthwise_conv import DepthwiseConv1D, DepthwiseConv2D
from engine.layers.convolutional.separable_conv import SeparableConv1D, SeparableConv2D
from engine.layers.core.activation import Activation
from engine.layers.core.dense import Dense
from engine.layers.core.einsum_dense import EinsumDense
from engine.layers.core.embedding import Embedding
from engine.layers.core.identity import Identity
from engine.layers.core.input_layer import Input, InputLayer
from engine.layers.core.lambda_layer import Lambda
from engine.layers.core.masking import Masking
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
from engine.layers.normalization.group_normalization import GroupNormalization
from engine.layers.normalization.layer_normalization import LayerNormalization
from engine.layers.normalization.normalization import Normalization
from engine.layers.normalization.unit_normalization import UnitNormalization
from engine.layers.pooling.average_pooling import AveragePooling1D, AveragePooling2D
from engine.layers.pooling.global_pooling import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
)
from engine.layers.pooling.max_pooling import MaxPooling1D, MaxPooling2D
from engine.layers.preprocessing.category_encoding import CategoryEncoding
from engine.layers.preprocessing.discretization import Discretization
from engine.layers.preprocessing.hashed_crossing import HashedCrossing
from engine.layers.preprocessing.hashing import Hashing
from engine.layers.preprocessing.image.random_contrast import RandomContrast
from engine.layers.preprocessing.image.random_flip import RandomFlip
from engine.layers.preprocessing.image.random_rotation import RandomRotation
from engine.layers.preprocessing.image.random_translation import RandomTranslation
from engine.layers.preprocessing.image.random_zoom import RandomZoom
from engine.layers.preprocessing.image.resizing import Resizing
from engine.layers.preprocessing.integer_lookup import IntegerLookup
from engine.layers.preprocessing.rescaling import Rescaling
from engine.layers.preprocessing.string_lookup import StringLookup
from engine.layers.preprocessing.text_vectorization import TextVectorization
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
from engine.layers.rnn.bidirectional import Bidirectional
from engine.layers.rnn.gru import GRU, GRUCell
from engine.layers.rnn.lstm import LSTM, LSTMCell
from engine.layers.rnn.rnn import RNN
from engine.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from engine.layers.rnn.time_distributed import TimeDistributed

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec", "Layer", "Masking", "Reshape",
    "serialize", "deserialize",
]

__all__ += [
    "ActivityRegularization", "Add", "Average", "BatchNormalization", "Concatenate", "Cropping1D", "Cropping2D", "Dot",
    "GaussianDropout", "GaussianNoise", "LayerNormalization", "Maximum", "Minimum", "Multiply",
    "Normalization", "Permute", "RepeatVector", "SpatialDropout1D", "SpatialDropout2D", "Subtract", "UpSampling1D",
    "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "add", "average", "concatenate", "dot", "maximum", "minimum",
    "multiply", "subtract",
]


__all__ += [
    "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "Conv1D", "Conv1DTranspose", "Conv2D",
    "Conv2DTranspose", "Conv3D", "Convolution1D", "Convolution1DTranspose", "Convolution2D", "Convolution2DTranspose",
    "Convolution3D", "DepthwiseConv1D", "DepthwiseConv2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D", "SeparableConv1D",
    "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
]
__all__ += ["CategoryEncoding", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup", "Rescaling",
            "StringLookup", "TextVectorization"]
__all__ += ["Bidirectional", "Embedding", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell"]
__all__ += ["AdditiveAttention", "Attention", "ELU", "EinsumDense", "GroupNormalization", "Identity", "Lambda",
            "LeakyReLU", "MultiHeadAttention", "PReLU", "RandomFlip", "ReLU", "Resizing", "Softmax", "TimeDistributed",
            "UnitNormalization"]
__all__ += ["RandomContrast", "RandomRotation", "RandomTranslation", "RandomZoom"]
# Keras's other names for the same classes
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D


def serialize(layer) -> dict:
    from engine.saving.serialization_lib import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None):
    from engine.saving.serialization_lib import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)
