"""Convolution ops, named and argumented as `keras.ops` (Keras kernel layouts, any spatial rank).

Convolution is im2col + GEMM: one strided slice per kernel offset gathers the input windows into a
(positions, kernel_volume * channels) matrix, and a matrix product with the kernel gives the output, a few
samples at a time while the columns are in cache (the fused relu/tanh applied there too).
The backward pass is hand-written: the kernel gradient is one matmul (a sum of per-thread parts); the
input gradient is a matmul followed by col2im (one compiled pass, engine/kernels/windows.py), a few samples
at a time so that the columns are added back while still in cache; the Python loop never runs over pixels.
Every product runs in one of the engine's threads, which split the batch, with a single-threaded BLAS:
OpenBLAS's own threads wait for each other (and spin) at every product.
With stride 1 and no more filters than input channels, the input gradient (and, with fewer filters, the
whole convolution) is computed on the filters' side instead (engine/ops/conv_stride_one.py).
`conv` can also add a bias and apply a fusable activation in the same recorded node, as `dense` does.
"same" padding is split as in Keras/TF: the extra pixel goes after (right/bottom). The window geometry,
im2col/col2im and the batch-slice threads are in engine/ops/windows.py, shared with pooling
(engine/ops/pooling.py); the large arrays of a training step are reused from the previous step
(engine/ops/scratch.py). The transposed convolution is in engine/ops/transposed_conv.py."""

from __future__ import annotations

import functools
import math

import numpy as np

from engine import backend, config
from engine.autodiff import Tensor, make, needs_grad
from engine.ops import conv_stride_one as stride_one
from engine.ops.array import moveaxis
from engine.ops.core import value_of
from engine.ops.nn import _FUSED, softmax
from engine.ops.scratch import take
from engine.ops.windows import (  # noqa: F401 (same_padding is imported from here by the exporters)
    _col2im,
    _im2col,
    _in_chunks,
    _inner,
    _over_batch,
    _pad,
    _window_layout,
    _Windows,
    same_padding,
)

__all__ = ["conv", "depthwise_conv", "separable_conv"]


# -- arguments ------------------------------------------------------------------------------

def _arr(x) -> np.ndarray:
    return np.asarray(value_of(x))


def spatial_tuple(value, rank: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """An int or a sequence of `rank` ints as a tuple, validated as Keras does."""
    message = f"The `{name}` argument must be a tuple of {rank} integers. Received {name}={value}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        result = (int(value),) * rank
    else:
        try:
            result = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(message) from None
        if len(result) != rank:
            raise ValueError(message)
    if any(v < 0 or (v == 0 and not allow_zero) for v in result):
        raise ValueError(f"{message}, including values that do not satisfy `value {'>=' if allow_zero else '>'} 0`")
    return result


def standardize_data_format(data_format) -> str:
    """`None` -> "channels_last"; otherwise "channels_last" or "channels_first" (case-insensitive)."""
    if data_format is None:
        return "channels_last"
    value = str(data_format).lower()
    if value not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    return value


def standardize_padding(padding) -> str:
    value = str(padding).lower()
    if value not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. Received: padding={padding}")
    return value


# -- grouped matrix product ------------------------------------------------------------------

class _GroupedProduct:
    """Columns (P, kk * C) times a kernel (kk, C // groups, F): each channel group meets its own filters.

    One group is a GEMM, which also adds the bias when the columns end with a column of ones; it runs on a
    few samples' rows at a time (`rows`, handed the columns as `_im2col` makes them), in threads that split
    the batch. One channel per group (depthwise) is an einsum; other groupings are one batched matmul over
    the groups. `backward` gives the gradient of the columns (P, kk * C), laid out as the columns themselves,
    as a function of a row range (`_col2im` asks for a few samples at a time), the kernel's and the folded
    bias's, from the columns and the output gradient (P, F).
    """

    def __init__(self, kernel: np.ndarray, groups: int, bias=None):
        kk, f = math.prod(kernel.shape[:-2]), kernel.shape[-1]
        cg = kernel.shape[-2]
        c = cg * groups
        self.shape = (kk, c, f)
        self.groups = groups
        self.kernel = kernel
        self.folded_bias = bias is not None
        if groups == 1:
            self.b = kernel.reshape(kk * c, f)
            if self.folded_bias:
                self.b = np.concatenate([self.b, np.reshape(bias, (1, f)).astype(self.b.dtype)])
        elif cg == 1:  # depthwise: channel c makes filters c * m .. c * m + m - 1
            self.b = kernel.reshape(kk, c, f // c)
        else:
            fg = f // groups
            self.b = kernel.reshape(kk, cg, groups, fg).transpose(2, 0, 1, 3).reshape(groups, kk * cg, fg)

    @property
    def depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.shape[1]

    def rows(self, cols: np.ndarray, out: np.ndarray, activate=None) -> None:
        """out = cols @ kernel for some rows of the columns (one group), then activate(out, out) in place."""
        np.matmul(cols, self.b, out=out)
        if activate is not None:
            activate(out, out)

    def forward(self, cols: np.ndarray) -> np.ndarray:
        """The whole product of several groups (P, F)."""
        p, (kk, c, f) = cols.shape[0], self.shape
        if self.depthwise:
            return np.einsum("pkc,kcm->pcm", cols.reshape(p, kk, c), self.b).reshape(p, f)
        return (self._grouped_columns(cols) @ self.b).transpose(1, 0, 2).reshape(p, f)

    def _grouped_columns(self, cols: np.ndarray) -> np.ndarray:
        (kk, c, _), groups = self.shape, self.groups
        return cols.reshape(-1, kk, groups, c // groups).transpose(2, 0, 1, 3).reshape(groups, -1, kk * c // groups)

    def backward(self, cols: np.ndarray, g2: np.ndarray, want_cols: bool, want_kernel: bool):
        p, (kk, c, f) = cols.shape[0], self.shape
        groups = self.groups
        d_cols = columns = d_kernel = d_bias = None
        if groups == 1:
            if want_cols:
                k_t = self.kernel.reshape(kk * c, f).T
                columns = lambda lo, hi: g2[lo:hi] @ k_t  # noqa: E731
            if want_kernel or self.folded_bias:
                d_full = _transposed_product(cols, g2)
                d_kernel = d_full[:kk * c].reshape(kk, c, f) if want_kernel else None
                d_bias = d_full[-1] if self.folded_bias else None
        elif self.depthwise:
            a, g3 = cols.reshape(p, kk, c), g2.reshape(p, c, f // c)
            d_cols = np.einsum("pcm,kcm->pkc", g3, self.b).reshape(p, kk * c) if want_cols else None
            d_kernel = np.einsum("pkc,pcm->kcm", a, g3).reshape(kk, 1, f) if want_kernel else None
        else:
            cg, fg = c // groups, f // groups
            gg = g2.reshape(p, groups, fg).transpose(1, 0, 2)
            if want_cols:
                d_cols = np.matmul(gg, self.b.transpose(0, 2, 1)).reshape(groups, p, kk, cg).transpose(1, 2, 0, 3)
                d_cols = d_cols.reshape(p, kk * c)
            if want_kernel:
                d_kernel = np.matmul(self._grouped_columns(cols).transpose(0, 2, 1), gg).reshape(groups, kk, cg, fg)
                d_kernel = d_kernel.transpose(1, 2, 0, 3).reshape(kk, cg, f)
        if d_cols is not None:
            columns = lambda lo, hi: d_cols[lo:hi]  # noqa: E731
        return columns, d_kernel, d_bias


def _transposed_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a.T @ b for tall a (P, M) and b (P, N): each thread sums its slice of the rows with its own product.

    OpenBLAS runs these faster with the wider matrix on the right (measured at the benchmark CNN's shapes:
    (P, 289) x (P, 64) 10% faster as (b.T @ a).T, (P, 10) x (P, 32) 40% faster as a.T @ b).
    """
    if a.shape[1] <= b.shape[1]:
        with config.blas_single_threaded():
            return functools.reduce(np.add, _over_batch(lambda r: a[r].T @ b[r], a.shape[0], a.size + b.size))
    return np.ascontiguousarray(_transposed_product(b, a).T)


# -- fused bias + activation -----------------------------------------------------------------

# A max pool right after a fused relu applies relu's derivative itself, on its 4x smaller output (its input
# gradient is zero except at each window's winner, where relu's input-side value equals the pooled one, so
# the numbers are the same): it appends the gradient it returns to this list on the relu's vjp function,
# and the relu's backward skips its own pass when it receives exactly that array (a second consumer would
# have summed gradients into a new one).
_RELU_PREMASKED = "_relu_premasked_gradient"

# relu and tanh in place, over slices of the batch: (forward(z, out), derivative(g, y, out))
_ELEMENTWISE = {
    "relu": (lambda z, out: np.maximum(z, 0, out=out), lambda g, y, out: np.multiply(g, y > 0, out=out)),
    "tanh": (lambda z, out: np.tanh(z, out=out), lambda g, y, out: np.multiply(g, 1 - y * y, out=out)),
}


def _fused(z: np.ndarray, parents: tuple, backward, activation: str | None, activated: bool = False) -> Tensor:
    """activation(z) recorded as one op; `backward` maps the gradient of z to the parents' gradients.

    `activated`: z already holds the output of an elementwise activation (relu, tanh: `_ELEMENTWISE`),
    applied as it was made. sigmoid and softmax outputs carry `_keras_logits` so the cross-entropies
    differentiate to the logits.
    """
    activation = activation or "linear"
    if activation not in _FUSED:
        raise ValueError(f"Activation {activation!r} cannot be fused into a convolution; "
                         f"expected one of {sorted(_FUSED)}")
    if activation in _ELEMENTWISE:
        forward, derivative = _ELEMENTWISE[activation]
        if not activated:
            _over_batch(lambda b: forward(z[b], z[b]), len(z), z.size)
        premasked: list = []  # see _RELU_PREMASKED

        def vjp(g):
            if premasked:
                done = premasked.pop() is g
                premasked.clear()
                if done:
                    return backward(g)
            dz = take("activation_grad", g.shape, g.dtype)
            _over_batch(lambda b: derivative(g[b], z[b], dz[b]), len(g), g.size)
            return backward(dz)

        if activation == "relu":
            setattr(vjp, _RELU_PREMASKED, premasked)
        return make(z, parents, vjp)
    forward, derivative = _FUSED[activation]
    if activation in ("sigmoid", "softmax"):
        logits = make(z, parents, backward)
        out = forward(z)
        result = make(out, (logits,), lambda g: (derivative(g, out),))
        result._keras_logits = (activation, logits)
        return result
    return make(forward(z), parents, backward)  # linear


def _channels_first(op, inputs, *args, activation=None, **kwargs) -> Tensor:
    """Run a channels_last op on channels_first data: move the channel axis, compute, move it back."""
    x = moveaxis(inputs, 1, -1)
    elementwise = activation if activation != "softmax" else None
    out = moveaxis(op(x, *args, data_format="channels_last", activation=elementwise, **kwargs), -1, 1)
    # Keras applies the activation to the channels_first output: softmax then runs over its last axis
    return softmax(out, axis=-1) if activation == "softmax" else out


def _float_input(x) -> np.ndarray:
    a = _arr(x)
    return a if a.dtype.kind == "f" else a.astype(backend.floatx())


def _column_sums(g2: np.ndarray) -> np.ndarray:
    """Sum over the rows of a (positions, channels) gradient: the bias gradient, as one BLAS matrix-vector
    product (several times faster than `sum(axis=0)` on tall arrays)."""
    return np.ones(g2.shape[0], dtype=g2.dtype) @ g2


def _check_bias(bias, filters: int, op: str) -> None:
    if bias is not None and _arr(bias).shape != (filters,):
        raise ValueError(f"{op}: bias must have shape ({filters},) to match the {filters} output channels; "
                         f"received bias.shape={_arr(bias).shape}")


# with stride 1, the input gradient is computed on the filters' side up to this many filters per channel
NARROW_FILTERS_RATIO = 1.0

# -- convolutions ----------------------------------------------------------------------------

def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, *, bias=None,
         activation: str | None = None) -> Tensor:
    """N-D convolution (cross-correlation); kernel (*kernel_size, in_channels // groups, filters).

    The number of groups is in_channels // kernel.shape[-2], as in Keras. `bias` (filters,) and a fusable
    `activation` ("relu", "sigmoid", "tanh", "softmax", "linear") are applied in the same recorded op.
    """
    if standardize_data_format(data_format) == "channels_first":
        return _channels_first(conv, inputs, kernel, strides, padding, dilation_rate=dilation_rate, bias=bias,
                               activation=activation)
    xv, kv = _float_input(inputs), _arr(kernel)
    if xv.ndim < 3 or kv.ndim != xv.ndim:
        raise ValueError("conv: inputs must be (batch, *spatial, channels) and the kernel "
                         "(*kernel_size, in_channels, filters) of the same rank; received "
                         f"inputs.shape={xv.shape}, kernel.shape={kv.shape}")
    channels, per_group, filters = xv.shape[-1], kv.shape[-2], kv.shape[-1]
    if per_group == 0 or channels % per_group or filters % (channels // per_group):
        raise ValueError("conv: the input channels must be a multiple of kernel.shape[-2] (the channels per "
                         "group), and the filters a multiple of the number of groups; received "
                         f"inputs.shape={xv.shape}, kernel.shape={kv.shape}")
    _check_bias(bias, filters, "conv")
    return _conv_node("conv", inputs, kernel, xv, kv, kv.shape, channels // per_group, strides, padding,
                      dilation_rate, bias, activation)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, *,
                   bias=None, activation: str | None = None) -> Tensor:
    """Each input channel convolved with its own `depth_multiplier` filters; kernel (*k, channels, multiplier).

    Output channel c * multiplier + m comes from input channel c, as in Keras.
    """
    if standardize_data_format(data_format) == "channels_first":
        return _channels_first(depthwise_conv, inputs, kernel, strides, padding, dilation_rate=dilation_rate,
                               bias=bias, activation=activation)
    xv, kv = _float_input(inputs), _arr(kernel)
    if xv.ndim < 3 or kv.ndim != xv.ndim or kv.shape[-2] != xv.shape[-1]:
        raise ValueError("depthwise_conv: inputs must be (batch, *spatial, channels) and the kernel "
                         "(*kernel_size, channels, depth_multiplier) with the same channels; received "
                         f"inputs.shape={xv.shape}, kernel.shape={kv.shape}")
    channels = xv.shape[-1]
    grouped = kv.reshape(*kv.shape[:-2], 1, channels * kv.shape[-1])
    _check_bias(bias, grouped.shape[-1], "depthwise_conv")
    return _conv_node("depthwise_conv", inputs, kernel, xv, grouped, kv.shape, channels, strides, padding,
                      dilation_rate, bias, activation)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1, *, bias=None, activation: str | None = None) -> Tensor:
    """A depthwise convolution followed by a 1x1 (pointwise) convolution that mixes the channels."""
    if standardize_data_format(data_format) == "channels_first":
        return _channels_first(separable_conv, inputs, depthwise_kernel, pointwise_kernel, strides, padding,
                               dilation_rate=dilation_rate, bias=bias, activation=activation)
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, "channels_last", dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", "channels_last", 1, bias=bias, activation=activation)


def _conv_node(op, inputs, kernel, xv, kv, kernel_shape, groups, strides, padding, dilation_rate, bias,
               activation) -> Tensor:
    """The shared im2col/GEMM forward and hand-written backward of conv and depthwise_conv."""
    rank = xv.ndim - 2
    strides = spatial_tuple(strides, rank, "strides")
    dilation = spatial_tuple(dilation_rate, rank, "dilation_rate")
    size = kv.shape[:-2]
    w, pads = _window_layout(op, xv.shape[1:-1], size, strides, dilation, standardize_padding(padding),
                             f"inputs.shape={xv.shape}, kernel.shape={tuple(kernel_shape)}")
    batch, kk, channels, filters = xv.shape[0], math.prod(size), xv.shape[-1], kv.shape[-1]
    positions = batch * math.prod(w.out)
    pointwise = kk == 1 and all(s == 1 for s in strides)
    # stride 1 with no more filters than channels: work on the filters' side (engine/ops/conv_stride_one.py)
    narrow = groups == 1 and not pointwise and all(s == 1 for s in strides) and \
        filters <= channels * NARROW_FILTERS_RATIO
    narrow_forward = narrow and filters < channels
    fold_bias = bias is not None and groups == 1 and not pointwise and not narrow_forward  # via a ones column
    xp = None if narrow_forward else _pad(xv, pads)
    gathered = groups == 1 and not pointwise and not narrow_forward  # by _im2col, handing over its columns
    activate = _ELEMENTWISE[activation][0] if gathered and activation in _ELEMENTWISE else None
    cols = product = None
    if narrow_forward:
        z = stride_one.forward(xv, kv, w, pads)
    else:
        product = _GroupedProduct(kv, groups, _arr(bias) if fold_bias else None)
        if groups == 1:  # the product made a few samples at a time, in threads (as the columns are gathered)
            z2 = take("conv", (positions, filters), xv.dtype)
            if gathered:
                cols = _im2col(xp, w, ones_column=fold_bias, then_width=filters,
                               then=lambda lo, hi, block: product.rows(block, z2[lo:hi], activate))
            else:
                cols, rows = xp.reshape(positions, channels), math.prod(w.out)
                _in_chunks(lambda lo, hi: product.rows(cols[lo * rows:hi * rows], z2[lo * rows:hi * rows]),
                           batch, rows * (channels + filters))
        else:
            cols = xp.reshape(positions, channels) if pointwise else _im2col(xp, w)
            z2 = product.forward(cols)
        z = z2.reshape(batch, *w.out, filters)
    if bias is not None and not fold_bias:
        z += _arr(bias)

    def backward(g):
        g2 = g.reshape(positions, filters)
        gx = gk = gb = d_bias = None
        if narrow:
            want_kernel = product is None and needs_grad(kernel)
            gx, gk = stride_one.gradients(g, xv, kv, w, pads, needs_grad(inputs), want_kernel)
            if product is not None:
                _, gk, d_bias = product.backward(cols, g2, False, needs_grad(kernel))
        else:
            columns, gk, d_bias = product.backward(cols, g2, needs_grad(inputs), needs_grad(kernel))
            if columns is not None:
                if pointwise:
                    gx = columns(0, positions).reshape(xv.shape)
                else:
                    gx = _col2im(columns, w, xp.shape, g2.dtype)[_inner(xv.shape, pads)]
        gk = gk.reshape(kernel_shape) if gk is not None else None
        if bias is not None and needs_grad(bias):
            gb = d_bias if d_bias is not None else _column_sums(g2)
        return gx, gk, gb

    return _fused(z, (inputs, kernel, bias), backward, activation, activated=activate is not None)
