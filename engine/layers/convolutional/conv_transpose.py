"""`Conv1DTranspose`, `Conv2DTranspose`: transposed convolutions that upsample (kernel `(*k, filters, in)`)."""

from __future__ import annotations

from engine import activations, constraints, initializers, ops, regularizers
from engine.layers.convolutional.base_conv import ConvLayerBase
from engine.ops.conv import spatial_tuple
from engine.ops.transposed_conv import transpose_padding


class BaseConvTranspose(ConvLayerBase):
    """The gradient of a convolution w.r.t. its input, as a layer; output sizes follow Keras's rules."""

    def __init__(self, rank: int, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}.")
        self.filters = filters
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = spatial_tuple(output_padding, rank, "output_padding", allow_zero=True)
            for i, (extra, stride) in enumerate(zip(self.output_padding, self.strides)):
                if extra >= stride:
                    raise ValueError("`output_padding` must be strictly less than `strides` for all dimensions. "
                                     f"At dimension {i}, `output_padding` is {extra} but `strides` is {stride}. "
                                     f"Received: output_padding={self.output_padding}, strides={self.strides}")
        self._forbid_strided_dilation()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._check_output_shape(input_shape)
        self.kernel = self.add_weight(shape=(*self.kernel_size, self.filters, channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self._bias_weight(self.filters, self.bias_initializer, self.bias_regularizer, self.bias_constraint)
        self.built = True

    def call(self, inputs):
        return self._convolve(ops.conv_transpose, inputs, self.kernel, padding=self.padding,
                              output_padding=self.output_padding)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"expected inputs of rank {self.rank + 2} (batch, {self.rank} spatial axes, channels); "
                             f"received input_shape={input_shape}")
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        extras = self.output_padding or (None,) * self.rank
        sizes = []
        for n, k, s, d, extra in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, extras):
            span = (k - 1) * d + 1
            before, after = transpose_padding(span, s, self.padding, extra)
            sizes.append(None if n is None else (n - 1) * s + before + after - span + 2)
        if any(n is not None and n <= 0 for n in sizes):
            raise ValueError(f"the output would be empty for input_shape={input_shape}, kernel_size="
                             f"{self.kernel_size}, strides={self.strides}, padding={self.padding!r}")
        if self.data_format == "channels_last":
            return (input_shape[0], *sizes, self.filters)
        return (input_shape[0], self.filters, *sizes)

    def get_config(self) -> dict:
        window = self._window_config()
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": window["kernel_size"],
            "strides": window["strides"],
            "padding": window["padding"],
            "output_padding": self.output_padding,
            "data_format": window["data_format"],
            "dilation_rate": window["dilation_rate"],
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Conv1DTranspose(BaseConvTranspose):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2DTranspose(BaseConvTranspose):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
