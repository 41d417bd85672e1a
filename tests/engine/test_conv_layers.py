"""Convolution ops and layers: the layer contract, finite differences, Keras's own outputs and configs, errors."""

import os

import numpy as np
import pytest
from gradcheck import check_gradients
from layer_test_utils import run_layer_test

import engine
from engine import layers, ops
from engine.autodiff import gradients
from engine.variables import Variable


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


# -- the ops, against finite differences ---------------------------------------------------------

WINDOWS = [("valid", 1, 1), ("same", 1, 1), ("valid", 2, 1), ("same", 2, 1), ("same", 1, 2), ("valid", 3, 1)]


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("padding,strides,dilation", WINDOWS)
@pytest.mark.parametrize("channels,filters", [(2, 3), (3, 1), (2, 2)])  # fewer filters: the stride-1 narrow path
def test_conv_op_gradients(rank, padding, strides, dilation, channels, filters):
    rng = np.random.default_rng(rank + strides)
    x = rng.normal(size=(2, *(5,) * rank, channels))
    kernel = rng.normal(size=(*(3,) * rank, channels, filters))
    bias = rng.normal(size=filters)
    check_gradients(lambda x, k, b: ops.conv(x, k, strides, padding, dilation_rate=dilation, bias=b,
                                             activation="tanh"), x, kernel, bias)


@pytest.mark.parametrize("rank,padding,dilation", [(1, "same", 2), (2, "valid", 1), (3, "same", 1), (3, "valid", 2)])
@pytest.mark.parametrize("filters", [1, 3, 4])
def test_stride_one_narrow_path_matches_im2col(monkeypatch, rank, padding, dilation, filters):
    """Few filters, stride 1: the filters'-side forward and backward (engine/ops/conv_stride_one.py) give
    im2col's values and gradients."""
    import sys

    rng = np.random.default_rng(rank * 10 + filters)
    x = Variable(rng.normal(size=(3, *(6,) * rank, 4)).astype("float32"))
    kernel = Variable(rng.normal(size=(*(3,) * rank, 4, filters)).astype("float32"))
    bias = Variable(rng.normal(size=filters).astype("float32"))

    def run():
        y = ops.conv(x, kernel, 1, padding, dilation_rate=dilation, bias=bias, activation="relu")
        return [np.asarray(y)] + gradients(ops.sum(ops.multiply(y, y)), [x, kernel, bias])

    narrow = run()
    monkeypatch.setattr(sys.modules["engine.ops.conv"], "NARROW_FILTERS_RATIO", 0)
    for got, want in zip(narrow, run()):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-4)


@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "softmax"])
def test_fused_conv_activation_gradients(activation):
    rng = np.random.default_rng(1)
    x, kernel, bias = rng.normal(size=(2, 4, 4, 3)), rng.normal(size=(2, 2, 3, 4)), rng.normal(size=4)
    check_gradients(lambda x, k, b: ops.conv(x, k, 1, "same", bias=b, activation=activation), x, kernel, bias)


def test_grouped_and_channels_first_conv_gradients():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 5, 4, 4))
    check_gradients(lambda x, k: ops.conv(x, k, (2, 1), "same"), x, rng.normal(size=(3, 2, 2, 6)))
    channels_first = np.moveaxis(x, -1, 1)
    check_gradients(lambda x, k: ops.conv(x, k, 1, "valid", "channels_first", activation="softmax"),
                    channels_first, rng.normal(size=(2, 2, 4, 3)))


@pytest.mark.parametrize("padding,strides,dilation", WINDOWS[:5])
def test_depthwise_and_separable_conv_gradients(padding, strides, dilation):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 5, 2))
    depthwise = rng.normal(size=(2, 2, 2, 2))
    check_gradients(lambda x, k: ops.depthwise_conv(x, k, strides, padding, dilation_rate=dilation), x, depthwise)
    pointwise = rng.normal(size=(1, 1, 4, 3))
    check_gradients(lambda x, d, p: ops.separable_conv(x, d, p, strides, padding, dilation_rate=dilation,
                                                       bias=np.ones(3), activation="relu"), x, depthwise, pointwise)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides,output_padding,dilation", [(1, None, 1), (2, None, 1), (2, 1, 1), (3, 0, 1),
                                                             (1, None, 2)])
def test_conv_transpose_gradients(padding, strides, output_padding, dilation):
    rng = np.random.default_rng(4)
    x, kernel, bias = rng.normal(size=(2, 3, 4, 2)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    check_gradients(lambda x, k, b: ops.conv_transpose(x, k, strides, padding, output_padding,
                                                       dilation_rate=dilation, bias=b), x, kernel, bias)


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv(y, k), x> == <y, conv_transpose(x, k)>, with output_padding chosen to give y's shape back."""
    rng = np.random.default_rng(5)
    for padding, strides, dilation in WINDOWS:
        y = rng.normal(size=(2, 7, 6, 3))
        kernel = rng.normal(size=(3, 3, 3, 4))
        z = np.asarray(ops.conv(y, kernel, strides, padding, dilation_rate=dilation))
        x = rng.normal(size=z.shape)
        span = 2 * dilation + 1
        base = span if padding == "valid" else 1
        extra = [n - (m - 1) * strides - base for n, m in zip(y.shape[1:3], z.shape[1:3])]
        back = np.asarray(ops.conv_transpose(x, kernel, strides, padding, extra, dilation_rate=dilation))
        assert back.shape == y.shape
        np.testing.assert_allclose(np.sum(z * x), np.sum(y * back), rtol=1e-9)


def test_fused_softmax_and_sigmoid_keep_their_logits_for_the_cross_entropies():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 3, 3, 2)).astype("float32")
    kernel = Variable(rng.normal(size=(3, 3, 2, 4)).astype("float32"))
    for activation in ("softmax", "sigmoid"):
        out = ops.conv(x, kernel, activation=activation)
        kind, logits = out._keras_logits
        assert kind == activation
        np.testing.assert_allclose(np.asarray(logits), np.asarray(ops.conv(x, kernel)), rtol=1e-6)
    out = ops.conv(x, kernel, activation="relu")
    assert out._keras_logits is None and out.dtype == np.float32


def test_conv_records_nothing_without_gradients():
    rng = np.random.default_rng(7)
    kernel = Variable(rng.normal(size=(3, 3, 1, 2)).astype("float32"))
    x = rng.normal(size=(1, 5, 5, 1)).astype("float32")
    assert ops.conv(x, kernel).requires_grad
    with engine.autodiff.no_grad():
        assert not ops.conv(x, kernel, activation="relu").requires_grad
    grads = gradients(ops.sum(ops.conv(x, kernel)), [kernel])
    assert grads[0].shape == kernel.shape and grads[0].dtype == np.float32


# -- the ops, against Keras ------------------------------------------------------------------------

@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("padding,strides,dilation", WINDOWS)
def test_conv_ops_match_keras(keras, rank, padding, strides, dilation):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, *(7,) * rank, 4)).astype("float32")
    for kernel_size in (1, 2, 3):
        kernel = rng.normal(size=(*(kernel_size,) * rank, 4, 3)).astype("float32")
        np.testing.assert_allclose(ops.conv(x, kernel, strides, padding, dilation_rate=dilation),
                                   keras.ops.conv(x, kernel, strides, padding, dilation_rate=dilation), atol=2e-5)
        depthwise = rng.normal(size=(*(kernel_size,) * rank, 4, 2)).astype("float32")
        np.testing.assert_allclose(ops.depthwise_conv(x, depthwise, strides, padding, dilation_rate=dilation),
                                   keras.ops.depthwise_conv(x, depthwise, strides, padding, dilation_rate=dilation),
                                   atol=2e-5)
        transposed = rng.normal(size=(*(kernel_size,) * rank, 3, 4)).astype("float32")
        for output_padding in (None, 0) + ((1,) if strides > 1 else ()):
            ours = ops.conv_transpose(x, transposed, strides, padding, output_padding, dilation_rate=dilation)
            theirs = keras.ops.conv_transpose(x, transposed, strides, padding, output_padding,
                                              dilation_rate=dilation)
            np.testing.assert_allclose(ours, theirs, atol=2e-5)


def test_grouped_conv_matches_keras(keras):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 6, 6, 4)).astype("float32")
    kernel = rng.normal(size=(3, 3, 2, 6)).astype("float32")
    np.testing.assert_allclose(ops.conv(x, kernel, 1, "same"), keras.ops.conv(x, kernel, 1, "same"), atol=2e-5)
    first = np.moveaxis(x, -1, 1)
    np.testing.assert_allclose(ops.conv(first, kernel, 2, "same", "channels_first"),
                               keras.ops.conv(first, kernel, 2, "same", "channels_first"), atol=2e-5)


# -- the layers: contract, shapes, finite differences ---------------------------------------------

LAYER_CASES = [
    (layers.Conv1D, {"filters": 3, "kernel_size": 3}, (2, 7, 2), (2, 5, 3)),
    (layers.Conv1D, {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "activation": "relu"},
     (2, 7, 3), (2, 4, 2)),
    (layers.Conv1D, {"filters": 2, "kernel_size": 2, "padding": "causal", "dilation_rate": 2}, (2, 6, 3), (2, 6, 2)),
    (layers.Conv1D, {"filters": 4, "kernel_size": 3, "groups": 2, "use_bias": False}, (2, 5, 4), (2, 3, 4)),
    (layers.Conv2D, {"filters": 3, "kernel_size": 3, "activation": "softmax"}, (2, 5, 5, 2), (2, 3, 3, 3)),
    (layers.Conv2D, {"filters": 4, "kernel_size": (2, 3), "strides": (2, 1), "padding": "same", "groups": 2},
     (2, 5, 6, 2), (2, 3, 6, 4)),
    (layers.Conv2D, {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same", "activation": "tanh"},
     (2, 5, 4, 2), (2, 5, 4, 2)),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "strides": 3, "padding": "valid", "activation": "sigmoid"},
     (1, 7, 8, 1), (1, 2, 2, 2)),
    (layers.Conv2D, {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "activation": "softmax"},
     (2, 3, 4, 5), (2, 2, 3, 4)),
    (layers.Conv2D, {"filters": 2, "kernel_size": 1, "activation": "gelu"}, (2, 3, 3, 3), (2, 3, 3, 2)),
    (layers.Conv3D, {"filters": 2, "kernel_size": 2, "padding": "same"}, (1, 3, 3, 2, 2), (1, 3, 3, 2, 2)),
    (layers.DepthwiseConv1D, {"kernel_size": 2, "dilation_rate": 2}, (2, 6, 3), (2, 4, 3)),
    (layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2},
     (2, 5, 5, 2), (2, 3, 3, 4)),
    (layers.DepthwiseConv2D, {"kernel_size": (2, 3), "activation": "relu", "data_format": "channels_first"},
     (2, 2, 4, 5), (2, 2, 3, 3)),
    (layers.SeparableConv1D, {"filters": 3, "kernel_size": 3, "padding": "same"}, (2, 5, 2), (2, 5, 3)),
    (layers.SeparableConv2D, {"filters": 3, "kernel_size": 2, "depth_multiplier": 2, "activation": "sigmoid"},
     (2, 4, 4, 2), (2, 3, 3, 3)),
    (layers.SeparableConv2D, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (1, 5, 6, 2),
     (1, 3, 3, 2)),
    (layers.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 4, 2),
     (2, 10, 2)),
    (layers.Conv1DTranspose, {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same"}, (2, 4, 3),
     (2, 4, 2)),
    (layers.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 3, 3, 2),
     (2, 6, 6, 3)),
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": (2, 3), "strides": (1, 2), "activation": "relu"},
     (2, 3, 3, 2), (2, 4, 7, 2)),
]


def _case_id(case):
    cls, kwargs, _, _ = case
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_layer_contract_and_gradients(case):
    cls, kwargs, input_shape, output_shape = case
    weights = 3 if cls.__name__.startswith("Separable") else 2
    weights -= not kwargs.get("use_bias", True)
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=weights, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_layers_match_keras_outputs_and_configs(keras, case):
    cls, kwargs, input_shape, _ = case
    rng = np.random.default_rng(10)
    x = rng.normal(size=input_shape).astype("float32")
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x))
    ours = cls(**kwargs)
    ours(x)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    np.testing.assert_allclose(np.asarray(ours(x)), expected, rtol=1e-5, atol=2e-5)
    symbolic = (None, *input_shape[1:])
    assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))
    _assert_same_config(ours.get_config(), theirs.get_config())


def _assert_same_config(ours: dict, theirs: dict) -> None:
    ours = {k: v for k, v in ours.items() if k != "name"}
    theirs = {k: v for k, v in theirs.items() if k != "name"}
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        if key.endswith("_initializer"):  # the initializers' own configs are the initializers' business
            assert ours[key]["class_name"] == value["class_name"], key
        else:
            assert ours[key] == value, key


def test_weights_follow_keras_layouts():
    x = np.zeros((1, 8, 8, 3), "float32")
    conv = layers.Conv2D(5, (3, 2), groups=1)
    conv(x)
    assert [w.shape for w in conv.weights] == [(3, 2, 3, 5), (5,)]
    assert [w.path for w in conv.weights] == [f"{conv.name}/kernel", f"{conv.name}/bias"]
    grouped = layers.Conv2D(6, 3, groups=3)
    grouped(x)
    assert grouped.kernel.shape == (3, 3, 1, 6)
    depthwise = layers.DepthwiseConv2D(3, depth_multiplier=2)
    depthwise(x)
    assert [w.shape for w in depthwise.weights] == [(3, 3, 3, 2), (6,)]
    separable = layers.SeparableConv2D(4, 3, depth_multiplier=2)
    separable(x)
    assert [w.shape for w in separable.weights] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    transpose = layers.Conv2DTranspose(4, 3)
    transpose(x)
    assert [w.shape for w in transpose.weights] == [(3, 3, 4, 3), (4,)]
    assert layers.Conv1D(2, 3).name.startswith("conv1d") and layers.Conv2DTranspose(2, 3).name.startswith(
        "conv2d_transpose")
    assert layers.Convolution2D is layers.Conv2D and layers.SeparableConvolution2D is layers.SeparableConv2D


def test_output_shapes_keep_unknown_dimensions():
    assert layers.Conv2D(4, 3).compute_output_shape((None, None, 28, 3)) == (None, None, 26, 4)
    assert layers.Conv1D(2, 3, strides=2, padding="same").compute_output_shape((None, None, 5)) == (None, None, 2)
    assert layers.Conv2DTranspose(3, 3, strides=2).compute_output_shape((None, 4, None, 2)) == (None, 9, None, 3)
    assert layers.DepthwiseConv2D(3, depth_multiplier=3).compute_output_shape((8, 5, 5, 2)) == (8, 3, 3, 6)
    assert layers.Conv2D(4, 3, data_format="channels_first").compute_output_shape((None, 3, 10, 9)) == (
        None, 4, 8, 7)
    symbolic = layers.Conv1D(4, 3, padding="causal")(layers.Input((None, 6)))
    assert symbolic.shape == (None, None, 4)


def test_a_cnn_predicts_and_trains():
    engine.backend.set_random_seed(0)
    model = engine.Sequential([
        engine.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu", padding="same"), layers.MaxPooling2D(),
        layers.SeparableConv2D(4, 2, activation="relu"), layers.GlobalAveragePooling2D(),
        layers.Dense(3, activation="softmax"),
    ])
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, 32)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (32, 3)
    clone = engine.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_cnn_training_matches_keras(keras):
    """Keras's initial weights in the same CNN: the same predictions and the same loss history."""
    def architecture(lib):
        return [lib.Input((10, 10, 1)), lib.layers.Conv2D(4, 3, activation="relu"), lib.layers.MaxPooling2D(2),
                lib.layers.Conv2D(6, 3, activation="relu", padding="same"), lib.layers.MaxPooling2D(2),
                lib.layers.Flatten(), lib.layers.Dense(3, activation="softmax")]

    keras.utils.set_random_seed(0)
    theirs = keras.Sequential(architecture(keras))
    ours = engine.Sequential(architecture(engine))
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    rng = np.random.default_rng(0)
    x, y = rng.random((48, 10, 10, 1), dtype=np.float32), rng.integers(0, 3, 48)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-6)
    theirs.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy")
    ours.compile(optimizer=engine.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy")
    expected = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    got = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-3)


# -- bad input -----------------------------------------------------------------------------------

def test_kernel_larger_than_a_valid_input_names_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r'Conv2D "conv2d.*": the kernel \(5, 5\).*spatial shape \(3, 3\).*'
                                         r"input_shape=\(1, 3, 3, 1\)"):
        layers.Conv2D(2, 5)(np.zeros((1, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r'Conv1D "conv1d.*kernel \(3,\) \(dilation_rate=\(2,\)\).*\(None, 4, 2\)'):
        layers.Conv1D(2, 3, dilation_rate=2)(layers.Input((4, 2)))
    built = layers.Conv2D(2, 3)
    built(np.zeros((1, 5, 5, 1), "float32"))
    with pytest.raises(ValueError, match=r'Conv2D "conv2d.*kernel \(3, 3\).*inputs.shape=\(1, 2, 5, 1\)'):
        built(np.zeros((1, 2, 5, 1), "float32"))


def test_wrong_inputs_are_refused_with_the_layer_name():
    layer = layers.Conv2D(2, 3)
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r'layer "conv2d.*expected axis -1 of input shape to have value 3.*'
                                         r"\(1, 5, 5, 2\)"):
        layer(np.zeros((1, 5, 5, 2), "float32"))
    with pytest.raises(ValueError, match=r'Conv2D "conv2d.*" expects inputs of rank 4.*\(5, 5, 3\)'):
        layers.Conv2D(2, 3)(np.zeros((5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="expected min_ndim=4, found ndim=3"):
        layer(np.zeros((5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"expects inputs of rank 3.*\(1, 5, 5, 3\)"):
        layers.Conv1D(2, 3)(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="channel dimension of the inputs must be defined"):
        layers.Conv2D(2, 3)(layers.Input((5, 5, None)))
    with pytest.raises(ValueError, match=r"divisible by the number of groups.*groups=2.*3 channels"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))


@pytest.mark.parametrize("make,message", [
    (lambda: layers.Conv2D(0, 3), "Expected a strictly positive value. Received filters=0"),
    (lambda: layers.Conv2D(2, (3, 0)), r"`kernel_size` argument must be a tuple of 2 integers"),
    (lambda: layers.Conv2D(2, (3, 3, 3)), r"`kernel_size` argument must be a tuple of 2 integers"),
    (lambda: layers.Conv2D(2, 3, strides=0), "`strides` argument"),
    (lambda: layers.Conv2D(2, 3, padding="full"), "The `padding` argument must be"),
    (lambda: layers.Conv2D(2, 3, padding="causal"), "The `padding` argument must be"),
    (lambda: layers.Conv2D(2, 3, strides=2, dilation_rate=2), "`strides > 1` not supported"),
    (lambda: layers.Conv2D(3, 3, groups=2), "filters must be evenly divisible by the number of groups"),
    (lambda: layers.Conv2D(2, 3, data_format="NHWC"), "`data_format` argument must be one of"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), "`output_padding` must be strictly less"),
    (lambda: layers.Conv2D(2, 3, bogus=1), "Unrecognized keyword arguments"),
])
def test_invalid_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_op_errors_name_the_shapes():
    x = np.zeros((1, 5, 5, 3), "float32")
    with pytest.raises(ValueError, match=r"conv: .*inputs.shape=\(1, 5, 5, 3\), kernel.shape=\(3, 3, 2, 4\)"):
        ops.conv(x, np.zeros((3, 3, 2, 4), "float32"))
    with pytest.raises(ValueError, match=r"conv: .*inputs.shape=\(5, 5, 3\)"):
        ops.conv(x[0], np.zeros((3, 3, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"depthwise_conv: .*kernel.shape=\(3, 3, 2, 1\)"):
        ops.depthwise_conv(x, np.zeros((3, 3, 2, 1), "float32"))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        ops.conv(x, np.zeros((3, 3, 3, 4), "float32"), bias=np.zeros(3, "float32"))
    with pytest.raises(ValueError, match="cannot be fused"):
        ops.conv(x, np.zeros((3, 3, 3, 4), "float32"), activation="gelu")


def test_results_do_not_depend_on_the_thread_split(monkeypatch):
    """The copies and elementwise passes run over slices of the batch in threads; force the split on tiny
    inputs and compare values and gradients with the unsplit computation."""
    import sys

    windows_module = sys.modules["engine.ops.windows"]
    rng = np.random.default_rng(11)
    x = Variable(rng.normal(size=(5, 6, 6, 3)))
    kernel = Variable(rng.normal(size=(3, 3, 3, 4)))
    bias = Variable(rng.normal(size=4))

    def run():
        y = ops.conv(x, kernel, 1, "same", bias=bias, activation="relu")
        y = ops.max_pool(y, 2)
        y = ops.average_pool(ops.conv(y, np.full((2, 2, 4, 3), 0.1), padding="same", activation="tanh"), 2, 1, "same")
        y = ops.conv_transpose(y, np.full((2, 2, 2, 3), 0.1), 2, "same")
        value = np.asarray(y)
        return [value] + gradients(ops.sum(ops.multiply(y, y)), [x, kernel, bias])

    expected = run()
    monkeypatch.setattr(engine.config, "_num_threads", 3)
    monkeypatch.setattr(windows_module, "_MIN_ELEMENTS_PER_THREAD", 1)
    for got, want in zip(run(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cnn_files_go_both_ways_with_keras(keras, tmp_path):
    model = engine.Sequential([
        engine.Input((8, 8, 2)), layers.Conv2D(4, 3, activation="relu", padding="same"), layers.MaxPooling2D(),
        layers.SeparableConv2D(3, 2), layers.DepthwiseConv2D(2, depth_multiplier=2),
        layers.Conv2DTranspose(2, 3, strides=2, padding="same"), layers.AveragePooling2D(2),
        layers.GlobalMaxPooling2D(), layers.Dense(3),
    ])
    x = np.random.default_rng(12).random((4, 8, 8, 2), dtype=np.float32)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    theirs.save(tmp_path / "theirs.keras")
    back = engine.saving.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
