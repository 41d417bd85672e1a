"""What every convolution layer shares: window arguments, output shapes, the fused call; and `BaseConv`.

`BaseConv` is the plain N-D convolution behind Conv1D/Conv2D/Conv3D: kernel `(*kernel_size,
in_channels // groups, filters)`, bias `(filters,)`, as in Keras.
"""

from __future__ import annotations

from engine import activations, constraints, initializers, ops, regularizers
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.ops.conv import spatial_tuple, standardize_data_format


def standardize_padding(value, allow_causal: bool = False) -> str:
    """"valid" / "same" (and "causal" for 1D convolutions), case-insensitive, with Keras's message."""
    padding = str(value).lower()
    allowed = {"valid", "same", "causal"} if allow_causal else {"valid", "same"}
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be a list/tuple or one of {allowed}. Received: {value}")
    return padding


def windows_output_shape(input_shape, channels_out, window, strides, padding: str, data_format: str,
                         dilation_rate=None, what: str = "kernel") -> tuple:
    """Output shape of a convolution or pooling window over `input_shape`; unknown (None) sizes stay None.

    Raises a ValueError naming the shapes when a "valid" window does not fit in the input.
    """
    input_shape = tuple(input_shape)
    rank = len(window)
    if len(input_shape) != rank + 2:
        raise ValueError(f"expected inputs of rank {rank + 2} (batch, {rank} spatial axes, channels); "
                         f"received input_shape={input_shape}")
    dilation_rate = dilation_rate or (1,) * rank
    spatial = input_shape[1:-1] if data_format == "channels_last" else input_shape[2:]
    sizes = []
    for n, k, s, d in zip(spatial, window, strides, dilation_rate):
        span = (k - 1) * d + 1
        if n is None:
            sizes.append(None)
        elif padding == "valid":
            sizes.append((n - span) // s + 1 if n >= span else 0)
        else:  # "same" and "causal"
            sizes.append((n - 1) // s + 1)
    if any(n is not None and n <= 0 for n in sizes):
        if what == "kernel":
            what = f"kernel {tuple(window)} (dilation_rate={tuple(dilation_rate)})"
        else:
            what = f"{what} {tuple(window)}"
        raise ValueError(f"the {what} is larger than "
                         f"the input's spatial shape {tuple(spatial)} with padding='valid', so the output would be "
                         f"empty. Received input_shape={input_shape}, strides={tuple(strides)}.")
    if data_format == "channels_last":
        return (input_shape[0], *sizes, channels_out)
    return (input_shape[0], channels_out, *sizes)


class ConvLayerBase(Layer):
    """Arguments common to every convolution (kernel_size, strides, padding, data_format, dilation_rate,
    activation, use_bias) and the call of a fused conv op with the layer's bias and activation."""

    allow_causal = False

    def __init__(self, rank: int, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, activity_regularizer=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.kernel_size = spatial_tuple(kernel_size, rank, "kernel_size")
        self.strides = spatial_tuple(strides, rank, "strides")
        self.dilation_rate = spatial_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=self.allow_causal)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.bias = None
        self.input_spec = InputSpec(min_ndim=rank + 2)

    def _forbid_strided_dilation(self) -> None:
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")

    def _input_channels(self, input_shape) -> int:
        """The channel count of `input_shape`, which must be known to build the kernel."""
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'{type(self).__name__} "{self.name}" expects inputs of rank {self.rank + 2} '
                             f"(batch, {self.rank} spatial axes, channels); received input_shape={input_shape}")
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if channels is None:
            raise ValueError(f'{type(self).__name__} "{self.name}": the channel dimension of the inputs must be '
                             f"defined; received input_shape={input_shape}")
        self.input_spec = InputSpec(min_ndim=self.rank + 2,
                                    axes={-1 if self.data_format == "channels_last" else 1: channels})
        return channels

    def _check_output_shape(self, input_shape) -> None:
        """Fail at build time, naming the layer, when the windows do not fit the input."""
        try:
            self.compute_output_shape(input_shape)
        except ValueError as err:
            raise ValueError(f'{type(self).__name__} "{self.name}": {err}') from err

    def _bias_weight(self, size: int, initializer, regularizer, constraint) -> None:
        if self.use_bias:
            self.bias = self.add_weight(shape=(size,), initializer=initializer, regularizer=regularizer,
                                        constraint=constraint, name="bias")

    def _convolve(self, op, *args, **kwargs):
        """op(*args, bias, activation) with the activation fused into the op when it can be."""
        name = activations.serialize(self.activation)
        fused = ops.can_fuse(name) and self.activation is activations.get(name)
        try:
            out = op(*args, strides=self.strides, data_format=self.data_format, dilation_rate=self.dilation_rate,
                     bias=self.bias, activation=name if fused else None, **kwargs)
        except ValueError as err:
            raise ValueError(f'{type(self).__name__} "{self.name}": {err}') from err
        return out if fused else self.activation(out)

    def _window_config(self) -> dict:
        return {"kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate}


class BaseConv(ConvLayerBase):
    """N-D convolution layer: `activation(conv(inputs, kernel) + bias)`."""

    def __init__(self, rank: int, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        self.allow_causal = rank == 1
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         activity_regularizer=activity_regularizer, **kwargs)
        self._forbid_strided_dilation()
        if lora_rank:
            raise ValueError(f"{type(self).__name__}: LoRA (lora_rank={lora_rank}) is not supported")
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}.")
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups}.")
        if filters % groups:
            raise ValueError("The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={groups}, filters={filters}.")
        self.filters = filters
        self.groups = groups
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f'{type(self).__name__} "{self.name}": the number of input channels must be evenly '
                             f"divisible by the number of groups. Received groups={self.groups}, but the input has "
                             f"{channels} channels (full input shape is {tuple(input_shape)}).")
        self._check_output_shape(input_shape)
        self.kernel = self.add_weight(shape=(*self.kernel_size, channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self._bias_weight(self.filters, self.bias_initializer, self.bias_regularizer, self.bias_constraint)
        self.built = True

    def call(self, inputs):
        return self._convolve(ops.conv, inputs, self.kernel, padding=self.padding)

    def compute_output_shape(self, input_shape):
        return windows_output_shape(input_shape, self.filters, self.kernel_size, self.strides, self.padding,
                                    self.data_format, self.dilation_rate)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._window_config(),
            "groups": self.groups,
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
