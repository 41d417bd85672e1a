"""ONNX export: the written file passes onnx.checker (full check) and onnxruntime's outputs match
`model.predict` to 1e-5 for every layer family, every activation and a multi-input, multi-output
functional model; the batch axis is dynamic; what ONNX cannot express fails before anything is written."""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest

import engine
from engine import activations, layers
from engine.export import ONNXExportError, export_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ATOL = 1e-5


def normal(shape, seed=0, scale=1.0):
    return (scale * np.random.default_rng(seed).normal(size=shape)).astype("float32")


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def check_export(model, inputs, tmp_path, atol=ATOL, opset=17, name="model.onnx"):
    """Export, reload, check, run in onnxruntime at two batch sizes and compare with predict."""
    inputs = inputs if isinstance(inputs, list) else [inputs]
    path = tmp_path / name
    export_onnx(model, path, opset=opset)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == opset
    for declared in proto.graph.input:
        assert declared.type.tensor_type.shape.dim[0].dim_param == "batch"
    sess = session(path)
    for batch in (inputs[0].shape[0], 1):
        feeds = {i.name: x[:batch] for i, x in zip(sess.get_inputs(), inputs)}
        got = sess.run(None, feeds)
        expected = model.predict([x[:batch] for x in inputs] if len(inputs) > 1 else inputs[0][:batch], verbose=0)
        expected = expected if isinstance(expected, (list, tuple)) else [expected]
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == np.shape(e)
            np.testing.assert_allclose(g, e, rtol=0, atol=atol)
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".part")]  # no temporary file left behind
    return proto


def sequential(input_shape, *stack, dtype=None):
    return engine.Sequential([engine.Input(input_shape, dtype=dtype), *stack])


def op_types(proto) -> list[str]:
    return [node.op_type for node in proto.graph.node]


# -- dense and activations ------------------------------------------------------------------

def test_dense_stack_and_dense_on_sequences(tmp_path):
    mlp = sequential((4,), layers.Dense(8, activation="relu"), layers.Dropout(0.5), layers.Dense(3, use_bias=False),
                     layers.Activation("softmax"))
    check_export(mlp, normal((5, 4)), tmp_path, name="mlp.onnx")
    on_3d = sequential((6, 4), layers.Dense(5, activation="tanh"), layers.Dense(2))
    check_export(on_3d, normal((3, 6, 4)), tmp_path, name="seq.onnx")


ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "gelu", "swish", "silu",
               "softplus", "softsign", "hard_sigmoid", "hard_silu", "leaky_relu", "relu6", "exponential", "mish",
               "linear", None,
               functools.partial(activations.gelu, approximate=True), engine.ops.gelu,
               functools.partial(activations.leaky_relu, negative_slope=0.05),
               functools.partial(activations.elu, alpha=0.5),
               functools.partial(activations.relu, negative_slope=0.1, max_value=1.5, threshold=0.2),
               functools.partial(activations.relu, max_value=1.0)]


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda a: getattr(a, "__name__", None) or repr(a)[:40])
def test_every_activation(activation, tmp_path):
    model = sequential((6,), layers.Dense(7, activation=activation))
    check_export(model, normal((4, 6), scale=1.5), tmp_path)


def test_approximate_and_exact_gelu_differ_in_the_graph(tmp_path):
    exact = check_export(sequential((3,), layers.Activation("gelu")), normal((2, 3)), tmp_path, name="a.onnx")
    tanh = check_export(sequential((3,), layers.Activation(functools.partial(activations.gelu, approximate=True))),
                        normal((2, 3)), tmp_path, name="b.onnx")
    assert "Erf" in op_types(exact) and "Tanh" not in op_types(exact)
    assert "Tanh" in op_types(tanh) and "Erf" not in op_types(tanh)


# -- convolutions and pooling ---------------------------------------------------------------

CONV_2D = [
    layers.Conv2D(4, 3, padding="same", activation="relu"),
    layers.Conv2D(4, (3, 2), strides=2, padding="same"),  # asymmetric same-padding split
    layers.Conv2D(3, 2, strides=(2, 3), padding="valid", use_bias=False),
    layers.Conv2D(4, 3, dilation_rate=2, padding="same", activation="softmax"),
    layers.Conv2D(4, 3, groups=2, padding="same"),
    layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same", activation="elu"),
    layers.DepthwiseConv2D((2, 3), dilation_rate=2, padding="valid"),
    layers.SeparableConv2D(5, 3, depth_multiplier=2, padding="same", activation="sigmoid"),
    layers.SeparableConv2D(3, 2, strides=2, padding="valid", use_bias=False),
    layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
    layers.Conv2DTranspose(3, 3, strides=2, padding="valid", activation="relu"),
    layers.Conv2DTranspose(2, 2, strides=3, padding="valid"),  # stride beyond the kernel: output_padding
    layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1),
    layers.Conv2DTranspose(2, 3, dilation_rate=2, padding="same"),
    layers.Conv2D(3, 3, padding="same", data_format="channels_first"),
]


@pytest.mark.parametrize("index", range(len(CONV_2D)))
def test_conv_2d_variants(index, tmp_path):
    layer = CONV_2D[index]
    shape = (4, 7, 6) if layer.data_format == "channels_first" else (7, 6, 4)
    model = sequential(shape, layer)
    check_export(model, normal((2, *shape)), tmp_path)


@pytest.mark.parametrize("layer", [
    lambda: layers.Conv1D(4, 3, padding="same", strides=2),
    lambda: layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu"),
    lambda: layers.Conv1D(3, 2, padding="valid"),
    lambda: layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same"),
    lambda: layers.SeparableConv1D(4, 3, padding="same"),
    lambda: layers.Conv1DTranspose(3, 3, strides=2, padding="same"),
], ids=["conv-same", "conv-causal", "conv-valid", "depthwise", "separable", "transpose"])
def test_conv_1d_variants(layer, tmp_path):
    check_export(sequential((9, 3), layer()), normal((2, 9, 3)), tmp_path)


def test_conv_3d(tmp_path):
    model = sequential((5, 4, 6, 2), layers.Conv3D(3, 2, strides=(1, 2, 2), padding="same"))
    check_export(model, normal((2, 5, 4, 6, 2)), tmp_path)


def test_conv_chain_stays_channels_first_between_layers(tmp_path):
    model = sequential((9, 9, 3), layers.Conv2D(4, 3, padding="same", activation="relu"),
                       layers.MaxPooling2D(2, padding="same"), layers.BatchNormalization(axis=-1),
                       layers.Conv2D(6, 3, activation="swish"), layers.AveragePooling2D(2),
                       layers.GlobalMaxPooling2D(), layers.Dense(2))
    proto = check_export(model, normal((3, 9, 9, 3)), tmp_path)
    # BatchNormalization works channels_last, so the chain transposes back and in once around it
    assert op_types(proto).count("Transpose") == 3


POOLING = [
    (layers.MaxPooling2D, {"pool_size": 2}),
    (layers.MaxPooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}),
    (layers.AveragePooling2D, {"pool_size": 2, "padding": "valid"}),
    (layers.AveragePooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}),  # padded cells not counted
    (layers.AveragePooling2D, {"pool_size": (2, 3), "strides": 1, "padding": "same"}),
    (layers.MaxPooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}),
    (layers.AveragePooling1D, {"pool_size": 2, "padding": "same"}),
    (layers.AveragePooling1D, {"pool_size": 3, "strides": 1, "padding": "same"}),
    (layers.GlobalAveragePooling1D, {}),
    (layers.GlobalMaxPooling1D, {"keepdims": True}),
    (layers.GlobalAveragePooling2D, {"keepdims": True}),
    (layers.GlobalMaxPooling2D, {}),
    (layers.MaxPooling2D, {"pool_size": 2, "data_format": "channels_first"}),
    (layers.GlobalAveragePooling2D, {"data_format": "channels_first"}),
]


@pytest.mark.parametrize("cls,kwargs", POOLING, ids=lambda v: getattr(v, "__name__", str(v)))
def test_pooling(cls, kwargs, tmp_path):
    shape = (7, 5, 3) if "2D" in cls.__name__ else (7, 3)
    model = sequential(shape, cls(**kwargs))
    check_export(model, normal((2, *shape)), tmp_path)


def test_same_padding_with_unknown_spatial_size(tmp_path):
    model = sequential((None, None, 2), layers.Conv2D(3, 3, strides=2, padding="same"),
                       layers.AveragePooling2D(3, strides=2, padding="same"), layers.GlobalAveragePooling2D())
    path = tmp_path / "m.onnx"
    export_onnx(model, path)
    sess = session(path)
    for size in ((7, 6), (4, 9)):
        x = normal((2, *size, 2))
        got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=ATOL, rtol=0)


# -- recurrent ------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_layers(cls, return_sequences, go_backwards, tmp_path):
    layer = cls(5, return_sequences=return_sequences, go_backwards=go_backwards, bias_initializer="random_normal")
    check_export(sequential((6, 3), layer), normal((3, 6, 3)), tmp_path)


@pytest.mark.parametrize("layer", [
    lambda: layers.GRU(4, reset_after=False, bias_initializer="random_normal"),
    lambda: layers.GRU(4, activation="relu", recurrent_activation="hard_sigmoid", use_bias=False),
    lambda: layers.LSTM(4, activation="softsign", recurrent_activation="hard_sigmoid", unit_forget_bias=False),
    lambda: layers.LSTM(4, activation="linear", dropout=0.3, recurrent_dropout=0.2),
    lambda: layers.SimpleRNN(4, activation="relu", use_bias=False),
    lambda: layers.RNN(layers.LSTMCell(4), return_sequences=True),
], ids=["gru-reset-before", "gru-relu-hard-sigmoid", "lstm-softsign", "lstm-linear-dropout", "rnn-relu", "rnn-cell"])
def test_recurrent_options(layer, tmp_path):
    check_export(sequential((5, 3), layer()), normal((2, 5, 3)), tmp_path)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_return_state_and_initial_state(cls, tmp_path):
    inputs = engine.Input((5, 3))
    decoder_inputs = engine.Input((4, 2))
    encoded = cls(4, return_state=True, go_backwards=True)(inputs)
    # the state goes positionally: the engine's graph does not yet see tensors passed as keyword arguments
    decoded = cls(4, return_sequences=True)(decoder_inputs, list(encoded[1:]))
    model = engine.Model([inputs, decoder_inputs], [decoded, *encoded])
    check_export(model, [normal((3, 5, 3)), normal((3, 4, 2), seed=1)], tmp_path)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional(merge_mode, tmp_path):
    inputs = engine.Input((6, 3))
    out = layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode=merge_mode)(inputs)
    outputs = list(out) if merge_mode is None else [out]
    last = layers.Bidirectional(layers.GRU(3), merge_mode=merge_mode or "concat")(outputs[0])
    check_export(engine.Model(inputs, [*outputs, last]), normal((2, 6, 3)), tmp_path)


def test_bidirectional_with_states(tmp_path):
    inputs = engine.Input((5, 3))
    out, *states = layers.Bidirectional(layers.LSTM(3, return_state=True, return_sequences=True))(inputs)
    check_export(engine.Model(inputs, [out, *states]), normal((2, 5, 3)), tmp_path)


# -- embedding and normalization ------------------------------------------------------------

def test_embedding_with_integer_and_float_indices(tmp_path):
    ids = np.random.default_rng(0).integers(0, 10, size=(4, 6))
    model = sequential((6,), layers.Embedding(10, 3), layers.LSTM(4), layers.Dense(1), dtype="int32")
    check_export(model, ids.astype("int32"), tmp_path, name="int.onnx")
    float_model = sequential((6,), layers.Embedding(10, 3), layers.GlobalAveragePooling1D())
    check_export(float_model, ids.astype("float32"), tmp_path, name="float.onnx")


def test_batch_normalization_uses_moving_statistics(tmp_path):
    bn = layers.BatchNormalization(epsilon=0.01)
    bn_axis1 = layers.BatchNormalization(axis=1, center=False)
    model = sequential((4, 3), bn, bn_axis1, layers.Flatten())
    rng = np.random.default_rng(0)
    bn.set_weights([rng.uniform(0.5, 2, 3), rng.normal(size=3), rng.normal(size=3), rng.uniform(0.1, 3, 3)])
    bn_axis1.set_weights([rng.uniform(0.5, 2, 4), rng.normal(size=4), rng.uniform(0.1, 3, 4)])
    check_export(model, normal((5, 4, 3)), tmp_path)


@pytest.mark.parametrize("kwargs", [{}, {"axis": [1, 2], "epsilon": 1e-5}, {"axis": 1}, {"center": False},
                                    {"scale": False}, {"rms_scaling": True}],
                         ids=["last", "trailing-pair", "middle", "no-center", "no-scale", "rms"])
def test_layer_normalization(kwargs, tmp_path):
    layer = layers.LayerNormalization(**kwargs)
    model = sequential((4, 5), layer)
    rng = np.random.default_rng(1)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.weights])
    proto = check_export(model, normal((3, 4, 5), scale=3.0), tmp_path)
    trailing = kwargs.get("axis", -1) in (-1, [1, 2]) and not kwargs.get("rms_scaling")
    assert ("LayerNormalization" in op_types(proto)) == trailing


def test_normalization_adapted_given_and_inverted(tmp_path):
    data = normal((50, 3), scale=4.0) + 2.0
    adapted = layers.Normalization()
    adapted.adapt(data)
    given = layers.Normalization(mean=[1.0, -2.0, 0.5], variance=[4.0, 0.0, 9.0])
    inverted = layers.Normalization(mean=0.5, variance=2.0, invert=True, axis=None)
    check_export(sequential((3,), adapted, given, inverted), data[:6], tmp_path)


# -- merges and reshapes --------------------------------------------------------------------

def test_merges(tmp_path):
    a, b, c = engine.Input((4,)), engine.Input((4,)), engine.Input((3, 4))
    outputs = [layers.Add()([a, b, a]), layers.Subtract()([a, b]), layers.Multiply()([a, b]),
               layers.Average()([a, b, b]), layers.Maximum()([a, b]), layers.Minimum()([a, b]),
               layers.Concatenate()([a, b]), layers.Concatenate(axis=1)([c, c]), layers.Add()([c, a]),
               layers.Dot(axes=1)([a, b]), layers.Dot(axes=1, normalize=True)([a, b]),
               layers.Dot(axes=(2, 2))([c, c]), layers.Dot(axes=(1, 2))([a, c])]
    model = engine.Model([a, b, c], outputs)
    check_export(model, [normal((3, 4)), normal((3, 4), seed=1), normal((3, 3, 4), seed=2)], tmp_path)


RESHAPING = [
    ((2, 3, 4), [layers.Flatten()]),
    ((2, 3, 4), [layers.Flatten(data_format="channels_first")]),
    ((2, 3, 4), [layers.Reshape((4, 6))]),
    ((2, 3, 4), [layers.Reshape((-1, 2))]),
    ((2, 3, 4), [layers.Permute((3, 1, 2))]),
    ((5,), [layers.RepeatVector(3)]),
    ((3, 4), [layers.ZeroPadding1D((2, 1)), layers.Cropping1D((1, 3))]),
    ((3, 4), [layers.ZeroPadding1D(1, data_format="channels_first")]),
    ((5, 6, 2), [layers.ZeroPadding2D(((1, 0), (2, 1))), layers.Cropping2D(((0, 2), (1, 1)))]),
    ((2, 5, 6), [layers.ZeroPadding2D(1, data_format="channels_first"),
                 layers.Cropping2D(((1, 0), (0, 2)), data_format="channels_first")]),
    ((3, 4), [layers.UpSampling1D(3)]),
    ((3, 4, 2), [layers.UpSampling2D((2, 3))]),
    ((3, 4, 2), [layers.UpSampling2D(2, interpolation="bilinear")]),
    ((2, 3, 4), [layers.UpSampling2D((3, 2), data_format="channels_first", interpolation="bilinear")]),
    ((4, 3), [layers.SpatialDropout1D(0.3), layers.GaussianNoise(1.0), layers.GaussianDropout(0.2),
              layers.ActivityRegularization(l1=0.1)]),
]


@pytest.mark.parametrize("index", range(len(RESHAPING)))
def test_reshaping(index, tmp_path):
    shape, stack = RESHAPING[index]
    check_export(sequential(shape, *stack), normal((2, *shape)), tmp_path)


# -- whole models ---------------------------------------------------------------------------

def test_multi_input_multi_output_functional_model(tmp_path):
    image = engine.Input((8, 8, 2), name="image")
    series = engine.Input((5, 3), name="series")
    tabular = engine.Input((4,), name="tabular")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(image)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    s = layers.LSTM(6)(series)
    shared = layers.Dense(6, activation="tanh", name="shared")
    t = shared(tabular)
    t2 = shared(layers.Dense(4)(tabular))
    tower = engine.Sequential([layers.Dense(6, activation="gelu"), layers.LayerNormalization()], name="tower")
    merged = layers.Concatenate()([layers.Dense(6)(x), s, layers.Add()([t, t2]), tower(s)])
    label = layers.Dense(3, activation="softmax", name="label")(merged)
    value = layers.Dense(1, name="value")(layers.BatchNormalization()(merged))
    model = engine.Model([image, series, tabular], [label, value, s])
    inputs = [normal((3, 8, 8, 2)), normal((3, 5, 3), seed=1), normal((3, 4), seed=2)]
    proto = check_export(model, inputs, tmp_path)
    assert [i.name for i in proto.graph.input] == ["image", "series", "tabular"]
    assert [o.name for o in proto.graph.output] == ["label", "value", s.name]
    shared_kernels = [t for t in proto.graph.initializer if t.name.startswith("shared/")]
    assert len(shared_kernels) == 2  # one kernel and one bias for the two calls of the shared layer


def test_functional_model_nested_in_a_functional_model(tmp_path):
    a, b = engine.Input((4,)), engine.Input((4,))
    inner = engine.Model([a, b], [layers.Add()([layers.Dense(3)(a), layers.Dense(3)(b)]), layers.Dense(2)(a)],
                         name="inner")
    x = engine.Input((4,), name="x")
    summed, projected = inner([x, layers.Dense(4, activation="relu")(x)])
    model = engine.Model(x, [layers.Dense(1)(summed), projected])
    check_export(model, normal((3, 4)), tmp_path)


def test_trained_model_matches_after_fit(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 2)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]
    model = sequential((6, 2), layers.Conv1D(4, 3, padding="same", activation="relu"), layers.GRU(5),
                       layers.BatchNormalization(), layers.Dense(1))
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    check_export(model, x[:5], tmp_path)


def test_other_opset_versions(tmp_path):
    model = sequential((5, 3), layers.Conv1D(2, 2), layers.GlobalAveragePooling1D(), layers.Dense(2))
    check_export(model, normal((2, 5, 3)), tmp_path, opset=18, name="18.onnx")
    with pytest.raises(ValueError, match="opset"):
        export_onnx(model, tmp_path / "old.onnx", opset=13)


def test_sequential_built_without_input(tmp_path):
    model = engine.Sequential([layers.Dense(3), layers.Dense(2)])
    with pytest.raises(ONNXExportError, match="not built"):
        export_onnx(model, tmp_path / "m.onnx")
    model.build((None, 4))
    check_export(model, normal((2, 4)), tmp_path)


# -- what cannot be exported ----------------------------------------------------------------

class Doubling(layers.Layer):
    def call(self, inputs):
        return inputs * 2


def assert_nothing_written(directory, before=()):
    assert sorted(os.listdir(directory)) == sorted(before)


def test_unconvertible_layer_names_layer_and_class(tmp_path):
    model = sequential((3,), layers.Dense(2), Doubling(name="twice"))
    with pytest.raises(ONNXExportError, match=r"'twice' \(Doubling\)"):
        export_onnx(model, tmp_path / "m.onnx")
    assert_nothing_written(tmp_path)


def test_failed_export_keeps_the_existing_file(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous export")
    model = sequential((3,), layers.Dense(2, activation=lambda x: x * 2, name="custom_act"))
    with pytest.raises(ONNXExportError, match=r"'custom_act' \(Dense\).*activation"):
        export_onnx(model, path)
    assert path.read_bytes() == b"previous export"
    assert_nothing_written(tmp_path, ["m.onnx"])
    good = sequential((3,), layers.Dense(2))
    export_onnx(good, path)  # a successful export replaces it
    assert onnx.load(str(path)).graph.node
    assert_nothing_written(tmp_path, ["m.onnx"])


@pytest.mark.parametrize("make,match", [
    (lambda: layers.LSTM(3, stateful=True), "stateful"),
    (lambda: layers.GRU(3, activation="gelu"), "'gelu'"),
    (lambda: layers.Bidirectional(layers.SimpleRNN(3, activation="selu")), r"\(Bidirectional\).*'selu'"),
], ids=["stateful", "gelu-in-gru", "selu-in-bidirectional"])
def test_recurrent_layers_onnx_cannot_express(make, match, tmp_path):
    layer = make()
    model = engine.Sequential([engine.Input((4, 2), batch_size=2 if layer.stateful else None), layer])
    with pytest.raises(ONNXExportError, match=match):
        export_onnx(model, tmp_path / "m.onnx")
    assert_nothing_written(tmp_path)


def test_subclassed_model_and_missing_directory(tmp_path):
    class Custom(engine.Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(ONNXExportError, match="Custom"):
        export_onnx(Custom(), tmp_path / "m.onnx")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export_onnx(sequential((3,), layers.Dense(2)), tmp_path / "missing" / "m.onnx")
    assert_nothing_written(tmp_path)


def test_every_unconvertible_layer_is_listed_at_once(tmp_path):
    inputs = engine.Input((3,))
    model = engine.Model(inputs, [Doubling(name="first")(inputs), Doubling(name="second")(inputs)])
    with pytest.raises(ONNXExportError, match=r"'first' \(Doubling\), 'second' \(Doubling\)"):
        export_onnx(model, tmp_path / "m.onnx")


def test_a_graph_adapter_names_inputs_and_adds_steps_around_the_model():
    from engine.export import GraphAdapter, to_onnx_model

    class PlusOneTwice(GraphAdapter):
        def input_name(self, name):
            return "raw column (cm)"

        def inputs(self, graph, inputs):
            return [graph.binary("Add", x, graph.scalar(1.0, x.dtype)) for x in inputs]

        def outputs(self, graph, outputs):
            return [graph.binary("Mul", y, graph.scalar(2.0, y.dtype)) for y in outputs]

    x = engine.Input((3,), name="features")
    model = engine.Model(x, layers.Dense(2, name="scores")(x))
    proto = to_onnx_model(model, adapter=PlusOneTwice())
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["raw column (cm)"]
    values = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(session.run(None, {"raw column (cm)": values})[0],
                               2 * model.predict(values + 1, verbose=0), rtol=1e-6)
