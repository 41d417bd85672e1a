"""`.keras` and `.weights.h5` files in the engine: round trips for every layer family, the Keras 3 layout,
optimizer state, compile configs, and bad files (each error names the part; nothing half-written).

The model builders take the library (`engine` or `keras`) so test_saving_with_keras.py reuses them.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile

import h5py
import numpy as np
import pytest

import engine
from engine.saving import object_state

# -- one small model per layer family (lib is `engine` or `keras`) ----------------------------------


def dense_mlp(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((6,)), L.Dense(5, activation="relu"), L.Dense(3, activation="softmax")])


def conv2d_family(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((8, 8, 2)), L.Conv2D(3, 3, padding="same", activation="relu"), L.SeparableConv2D(4, 3),
        L.DepthwiseConv2D(3, depth_multiplier=2), L.Conv2DTranspose(2, 3, strides=2), L.MaxPooling2D(2),
        L.AveragePooling2D(2), L.ZeroPadding2D(1), L.Cropping2D(1), L.UpSampling2D(2), L.GlobalMaxPooling2D(),
        L.Dense(2)])


def conv1d_family(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((10, 3)), L.Conv1D(4, 3, activation="relu"), L.SeparableConv1D(4, 3), L.DepthwiseConv1D(3),
        L.Conv1DTranspose(3, 3), L.MaxPooling1D(2), L.AveragePooling1D(2, padding="same"), L.ZeroPadding1D(1),
        L.Cropping1D(1), L.UpSampling1D(2), L.GlobalAveragePooling1D(), L.Dense(2)])


def conv3d_family(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((4, 4, 4, 2)), L.Conv3D(2, 2), L.Flatten(), L.Dense(2)])


def global_pooling(lib):
    L = lib.layers
    image, sequence = lib.Input((6, 6, 2)), lib.Input((8, 3))
    features = L.SpatialDropout2D(0.2)(L.Conv2D(3, 3)(image))
    pooled = [L.GlobalAveragePooling2D()(features), L.GlobalMaxPooling2D()(features),
              L.GlobalAveragePooling1D()(sequence), L.GlobalMaxPooling1D()(sequence)]
    return lib.Model([image, sequence], L.Dense(2)(L.Concatenate()(pooled)))


def recurrent(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((6, 3)), L.SimpleRNN(4, return_sequences=True), L.LSTM(3, return_sequences=True),
        L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="sum"), L.Bidirectional(L.LSTM(2)),
        L.Dense(2)])


def rnn_cells(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((6, 3)), L.RNN(L.LSTMCell(3), return_sequences=True),
                           L.RNN(L.GRUCell(2), return_sequences=True),
                           L.RNN(L.SimpleRNNCell(2)), L.Dense(2)])


def normalizations(lib):
    L = lib.layers
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(1).normal(3.0, 2.0, size=(20, 4)).astype("float32"))
    return lib.Sequential([lib.Input((4,)), norm, L.Dense(6), L.BatchNormalization(), L.LayerNormalization(),
                           L.Dense(2)])


def numeric_preprocessing(lib):
    """Preprocessing on numbers: rescaling, bins, category ids to counts (Keras adapts only with TensorFlow)."""
    L = lib.layers
    bins = L.Discretization(bin_boundaries=[-1.0, 0.0, 0.5], output_mode="one_hot")
    values, ids = lib.Input((3,)), lib.Input((2,), dtype="int32")
    binned = L.Flatten()(bins(L.Rescaling(2.0, offset=-1.0)(values)))
    counts = L.CategoryEncoding(num_tokens=10, output_mode="count")(ids)
    return lib.Model([values, ids], L.Dense(2)(L.Concatenate()([binned, counts, values])))


def dropout_variants(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((6, 3)), L.SpatialDropout1D(0.1), L.GaussianNoise(0.1), L.GaussianDropout(0.1),
        L.ActivityRegularization(0.01), L.Flatten(), L.Dropout(0.2), L.Dense(2)])


def frozen(lib):
    """Frozen layers: no optimizer slots for their weights; BatchNormalization frozen after building."""
    L = lib.layers
    model = lib.Sequential([lib.Input((3,)), L.Dense(4, trainable=False), L.BatchNormalization(), L.Dense(2)])
    model.layers[1].trainable = False
    return model


def embedding(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((5,), dtype="int32"), L.Embedding(10, 3), L.LSTM(2), L.Dense(2)])


def masking(lib):
    """Masks from Masking and Embedding(mask_zero=True) consumed by recurrent layers."""
    L = lib.layers
    steps, tokens = lib.Input((6, 3)), lib.Input((5,), dtype="int32")
    x = L.LSTM(2)(L.Masking(0.0)(steps))
    y = L.GRU(2)(L.Embedding(10, 3, mask_zero=True)(tokens))
    return lib.Model([steps, tokens], L.Dense(2)(L.Concatenate()([x, y])))


def reshapes(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((4, 3)), L.Permute((2, 1)), L.Reshape((12,)), L.RepeatVector(2),
                           L.Flatten(), L.Activation("tanh"), L.Dense(2)])


def merges(lib):
    L = lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    da, db = L.Dense(4)(a), L.Dense(4)(b)
    outs = [L.Add()([da, db]), L.Subtract()([da, db]), L.Multiply()([da, db]), L.Average()([da, db]),
            L.Maximum()([da, db]), L.Minimum()([da, db]), L.Concatenate()([da, db]), L.Dot(axes=1)([da, db])]
    return lib.Model([a, b], L.Dense(2)(L.Concatenate()(outs)))


def multi_io(lib):
    """Two inputs, two named outputs (a dict), and a layer shared by two branches."""
    L = lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
    shared = L.Dense(5, activation="tanh", name="shared")
    x = L.Concatenate()([shared(a), L.Dense(5)(b)])
    y1 = L.Dense(2, name="y1")(x)
    y2 = L.Dense(1, activation="sigmoid", name="y2")(shared(a))
    return lib.Model([a, b], {"y1": y1, "y2": y2})


def nested(lib):
    """A Sequential and a functional model used as layers of a functional model."""
    L = lib.layers
    inner_seq = lib.Sequential([lib.Input((4,)), L.Dense(3, activation="relu"), L.Dense(3)], name="inner_seq")
    fi = lib.Input((3,))
    inner_fn = lib.Model(fi, L.Dense(2)(fi), name="inner_fn")
    a = lib.Input((4,))
    return lib.Model(a, L.Add()([inner_fn(inner_seq(a)), L.Dense(2)(a)]))


def activation_layers(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((4, 3)), L.Dense(4), L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.2),
                           L.LeakyReLU(0.2), L.PReLU(shared_axes=[1], alpha_initializer="glorot_uniform"),
                           L.ELU(0.5), L.Identity(), L.Softmax(axis=[1, 2])])


def attention_layers(lib):
    """MultiHeadAttention (self- and cross-attention with a key, causal), Attention, AdditiveAttention,
    EinsumDense."""
    L = lib.layers
    a, b = lib.Input((5, 4), name="a"), lib.Input((3, 6), name="b")
    x = L.MultiHeadAttention(2, 3)(a, a)
    y = L.MultiHeadAttention(2, 2, value_dim=3, output_shape=5)(a, b, key=b, use_causal_mask=False)
    z = L.MultiHeadAttention(1, 4, use_bias=False)(a, a, use_causal_mask=True)
    u = L.Attention(use_scale=True, score_mode="concat")([a, x])
    v = L.AdditiveAttention()([a, z])
    w = L.EinsumDense("abc,cd->abd", output_shape=[None, 3], bias_axes="d")(b)
    merged = L.GlobalAveragePooling1D()(L.Concatenate()([x, y, z, u, v]))
    return lib.Model([a, b], L.Dense(2)(L.Concatenate()([merged, L.GlobalAveragePooling1D()(w)])))


def wrapped_and_normalized(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((4, 6)), L.TimeDistributed(L.Dense(6)), L.GroupNormalization(groups=3),
                           L.UnitNormalization(), L.TimeDistributed(L.Dense(2))])


def image_layers(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((5, 7, 3)), L.RandomFlip("horizontal"),
                           L.RandomRotation(0.1, fill_mode="constant"),
                           L.RandomZoom(0.2, (-0.1, 0.3)), L.RandomTranslation(0.1, 0.2, interpolation="nearest"),
                           L.RandomContrast(0.3, value_range=(-3, 3)), L.Resizing(4, 6),
                           L.Resizing(3, 3, interpolation="nearest"), L.Flatten(), L.Dense(2)])


# name -> (builder, input specs, stochastic in training); a spec is ("float", shape), ("int", shape, vocabulary)
# (0 included) or ("masked", shape): float steps whose last two (and for the first sample, first two) are 0.
FAMILIES = {
    "dense": (dense_mlp, [("float", (6,))], False),
    "conv2d": (conv2d_family, [("float", (8, 8, 2))], False),
    "conv1d": (conv1d_family, [("float", (10, 3))], False),
    "conv3d": (conv3d_family, [("float", (4, 4, 4, 2))], False),
    "global_pooling": (global_pooling, [("float", (6, 6, 2)), ("float", (8, 3))], True),
    "recurrent": (recurrent, [("float", (6, 3))], False),
    "rnn_cells": (rnn_cells, [("float", (6, 3))], False),
    "normalization": (normalizations, [("float", (4,))], False),
    "numeric_preprocessing": (numeric_preprocessing, [("float", (3,)), ("int", (2,), 10)], False),
    "dropout": (dropout_variants, [("float", (6, 3))], True),
    "frozen": (frozen, [("float", (3,))], False),
    "embedding": (embedding, [("int", (5,), 10)], False),
    "masking": (masking, [("masked", (6, 3)), ("int", (5,), 10)], False),
    "reshaping": (reshapes, [("float", (4, 3))], False),
    "merging": (merges, [("float", (4,)), ("float", (4,))], False),
    "multi_io": (multi_io, [("float", (4,)), ("float", (3,))], False),
    "nested": (nested, [("float", (4,))], False),
    "activations": (activation_layers, [("float", (4, 3))], False),
    "attention": (attention_layers, [("float", (5, 4)), ("float", (3, 6))], False),
    "wrapped_normalized": (wrapped_and_normalized, [("float", (4, 6))], False),
    "image": (image_layers, [("float", (5, 7, 3))], True),
}

#: Layer classes no family holds, and why (each has its own file tests).
NOT_IN_FAMILIES = {"Lambda": "its saved lambda loads only with safe_mode=False (test_wrapper_and_normalization_layers)",
                   "HashedCrossing": "it crosses raw strings or ids, which Keras runs only with TensorFlow; its file "
                                     "is saved and loaded in test_hashed_crossing.py"}


#: Layers of raw strings: Keras runs them only with TensorFlow, so their files are tested both ways in
#: test_preprocessing_saving.py (a Keras-written file is kept there) rather than in FAMILIES.
STRING_LAYERS = ("Hashing", "IntegerLookup", "StringLookup", "TextVectorization")


def test_the_families_cover_every_layer_class():
    """A new layer in `engine.layers` must join a family here, so that its files are tested both ways."""
    classes = {name for name in dir(engine.layers)
               if isinstance(cls := getattr(engine.layers, name), type) and issubclass(cls, engine.Layer)
               and cls.__name__ == name and cls is not engine.Layer}
    used = set()
    for build, _, _ in FAMILIES.values():
        model = build(engine)
        used.update(type(layer).__name__ for layer in [model, *model._flat_layers()])
    missing = classes - used - set(NOT_IN_FAMILIES) - set(STRING_LAYERS)
    assert not missing, f"add {sorted(missing)} to a model family in FAMILIES (tests/engine/test_saving.py)"


def make_inputs(specs, n: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in specs:
        if spec[0] == "int":
            arrays.append(rng.integers(0, spec[2], size=(n, *spec[1])).astype("int32"))
        elif spec[0] == "masked":
            steps = rng.normal(size=(n, *spec[1])).astype("float32")
            steps[:, -2:] = 0.0
            steps[0, :2] = 0.0
            arrays.append(steps)
        else:
            arrays.append(rng.normal(size=(n, *spec[1])).astype("float32"))
    return arrays[0] if len(arrays) == 1 else arrays


def make_targets(model, n: int = 6, seed: int = 1):
    rng = np.random.default_rng(seed)
    shapes = model.output_shape
    if isinstance(model, engine.models.Functional) and isinstance(model._outputs_struct, dict):
        return {name: rng.normal(size=(n, *t.shape[1:])).astype("float32")
                for name, t in model._outputs_struct.items()}
    return rng.normal(size=(n, *shapes[1:])).astype("float32")


def flat(outputs) -> list[np.ndarray]:
    if isinstance(outputs, dict):
        return [np.asarray(outputs[k]) for k in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return [np.asarray(outputs)]


def assert_same_outputs(a, b, atol: float = 0.0) -> None:
    for x, y in zip(flat(a), flat(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=atol)


def h5_layout(h5_bytes: bytes) -> dict[str, object]:
    """Dataset path -> shape, and group path -> its "name" attribute."""
    out = {}
    with h5py.File(io.BytesIO(h5_bytes), "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj.shape
            elif name.endswith("vars"):
                out[name] = obj.attrs.get("name")
        f.visititems(visit)
    return out


def read_member(path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def rewrite_archive(path, drop=(), replace=None) -> None:
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    for name in drop:
        members.pop(name)
    members.update(replace or {})
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def edit_weights(path, edit) -> None:
    buffer = io.BytesIO(read_member(path, "model.weights.h5"))
    with h5py.File(buffer, "r+") as f:
        edit(f)
    rewrite_archive(path, replace={"model.weights.h5": buffer.getvalue()})


def edit_config(path, edit) -> None:
    config = json.loads(read_member(path, "config.json"))
    edit(config)
    rewrite_archive(path, replace={"config.json": json.dumps(config)})


# -- round trips ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", list(FAMILIES))
def test_round_trip_gives_identical_predictions(family, tmp_path):
    build, specs, _ = FAMILIES[family]
    model = build(engine)
    x = make_inputs(specs)
    path = tmp_path / f"{family}.keras"
    model.save(path)
    loaded = engine.saving.load_model(path)
    assert type(loaded) is type(model)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert [layer.trainable for layer in loaded.layers] == [layer.trainable for layer in model.layers]
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    assert_same_outputs(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert engine.models.load_model(path).count_params() == model.count_params()


@pytest.mark.parametrize("family", [f for f, (_, _, stochastic) in FAMILIES.items() if not stochastic])
def test_training_continues_identically_after_reload(family, tmp_path):
    """Optimizer slots and step count travel with the file: one more epoch gives the same weights."""
    build, specs, _ = FAMILIES[family]
    model = build(engine)
    x, y = make_inputs(specs, n=8), make_targets(model, n=8)
    model.compile(engine.optimizers.Adam(learning_rate=0.01), "mse")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = engine.saving.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations.value) == 2
    for m in (model, loaded):
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a.value, b.value)


def test_lazily_built_sequential_round_trip(tmp_path):
    model = engine.Sequential([engine.layers.Dense(4, activation="relu"), engine.layers.Dense(2)])
    x = make_inputs([("float", (3,))])
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "lazy.keras")
    np.testing.assert_array_equal(engine.saving.load_model(tmp_path / "lazy.keras").predict(x, verbose=0), expected)


@engine.saving.register_keras_serializable(package="test_saving")
class ScaledResidual(engine.layers.Layer):
    """A custom layer with a sublayer and a weight of its own."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.projection = engine.layers.Dense(units)

    def build(self, input_shape):
        self.projection.build(input_shape)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, inputs):
        return self.projection(inputs) * self.scale

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_registered_custom_layer_round_trip(tmp_path):
    inputs = engine.Input((3,))
    model = engine.Model(inputs, ScaledResidual(2, name="custom")(inputs))
    model.get_layer("custom").scale.assign(np.float32(1.5))
    model.save(tmp_path / "custom.keras")
    layout = h5_layout(read_member(tmp_path / "custom.keras", "model.weights.h5"))
    assert layout["layers/scaled_residual/vars/0"] == ()
    assert layout["layers/scaled_residual/projection/vars/0"] == (3, 2)
    loaded = engine.saving.load_model(tmp_path / "custom.keras")
    x = make_inputs([("float", (3,))])
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_save_weights_and_load_weights(tmp_path):
    build, specs, _ = FAMILIES["multi_io"]
    source, target = build(engine), build(engine)
    x = make_inputs(specs)
    source.save_weights(tmp_path / "w.weights.h5")
    target.load_weights(tmp_path / "w.weights.h5")
    assert_same_outputs(target.predict(x, verbose=0), source.predict(x, verbose=0))
    source.save(tmp_path / "m.keras")
    fresh = build(engine)
    fresh.load_weights(tmp_path / "m.keras")
    assert_same_outputs(fresh.predict(x, verbose=0), source.predict(x, verbose=0))


# -- the Keras 3 layout -------------------------------------------------------------------------------

# What Keras 3.15.1 writes for `recurrent` plus the optimizer (taken from a file real Keras saved).
KERAS_RECURRENT_LAYOUT = {
    "layers/simple_rnn/cell/vars/0": (3, 4), "layers/simple_rnn/cell/vars/1": (4, 4),
    "layers/simple_rnn/cell/vars/2": (4,),
    "layers/lstm/cell/vars/0": (4, 12), "layers/lstm/cell/vars/1": (3, 12), "layers/lstm/cell/vars/2": (12,),
    "layers/bidirectional/forward_layer/cell/vars/0": (3, 6),
    "layers/bidirectional/forward_layer/cell/vars/1": (2, 6),
    "layers/bidirectional/forward_layer/cell/vars/2": (2, 6),
    "layers/bidirectional/backward_layer/cell/vars/0": (3, 6),
    "layers/bidirectional/backward_layer/cell/vars/1": (2, 6),
    "layers/bidirectional/backward_layer/cell/vars/2": (2, 6),
    "layers/bidirectional_1/forward_layer/cell/vars/0": (2, 8),
    "layers/bidirectional_1/forward_layer/cell/vars/1": (2, 8),
    "layers/bidirectional_1/forward_layer/cell/vars/2": (8,),
    "layers/bidirectional_1/backward_layer/cell/vars/0": (2, 8),
    "layers/bidirectional_1/backward_layer/cell/vars/1": (2, 8),
    "layers/bidirectional_1/backward_layer/cell/vars/2": (8,),
    "layers/dense/vars/0": (4, 2), "layers/dense/vars/1": (2,),
}


def test_weights_file_has_keras_group_layout(tmp_path):
    model = recurrent(engine)
    model.compile("sgd", "mse")
    model.fit(make_inputs([("float", (6, 3))], n=4), np.zeros((4, 2), "float32"), verbose=0)
    model.save(tmp_path / "r.keras")
    layout = h5_layout(read_member(tmp_path / "r.keras", "model.weights.h5"))
    datasets = {k: v for k, v in layout.items() if not k.startswith("optimizer") and isinstance(v, tuple)}
    assert datasets == KERAS_RECURRENT_LAYOUT
    # every object gets a `vars` group carrying its name, even without variables
    assert layout["vars"] == model.name
    assert layout["layers/bidirectional/vars"] == model.layers[2].name
    assert layout["layers/bidirectional/forward_layer/vars"] == model.layers[2].forward_layer.name
    # optimizer state: iterations, learning rate, then one slot per variable (SGD without momentum: none)
    assert layout["optimizer/vars/0"] == () and layout["optimizer/vars/1"] == ()
    with h5py.File(io.BytesIO(read_member(tmp_path / "r.keras", "model.weights.h5")), "r") as f:
        assert int(f["optimizer/vars/0"][()]) == 1


def test_config_and_metadata_follow_keras(tmp_path):
    model = multi_io(engine)
    model.compile(engine.optimizers.SGD(0.05, momentum=0.9),
                  loss={"y1": "mse", "y2": engine.losses.BinaryCrossentropy()}, loss_weights={"y1": 1.0, "y2": 0.5},
                  metrics={"y1": ["mae"], "y2": [engine.metrics.BinaryAccuracy()]})
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert z.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in z.infolist())
    metadata = json.loads(read_member(tmp_path / "m.keras", "metadata.json"))
    assert re.fullmatch(r"3\.\d+\.\d+", metadata["keras_version"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d", metadata["date_saved"])
    config = json.loads(read_member(tmp_path / "m.keras", "config.json"))
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional")
    assert config["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["config"]["output_layers"] == {"y1": ["y1", 0, 0], "y2": ["y2", 0, 0]}
    shared = next(layer for layer in config["config"]["layers"] if layer["name"] == "shared")
    assert len(shared["inbound_nodes"]) == 2 and shared["build_config"] == {"input_shape": [None, 4]}
    assert shared["module"] == "keras.layers" and shared["class_name"] == "Dense"
    compiled = config["compile_config"]
    assert compiled["optimizer"]["class_name"] == "SGD" and compiled["optimizer"]["config"]["momentum"] == 0.9
    assert compiled["loss"]["y1"] == "mse"
    assert compiled["loss"]["y2"]["class_name"] == "BinaryCrossentropy"
    assert compiled["loss_weights"] == {"y1": 1.0, "y2": 0.5}
    assert compiled["metrics"] == {"y1": ["mae"], "y2": [{
        "module": "keras.metrics", "class_name": "BinaryAccuracy",
        "config": {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.5}, "registered_name": None}]}


def test_compile_config_restores_loss_metrics_and_optimizer(tmp_path):
    build, specs, _ = FAMILIES["multi_io"]
    model = build(engine)
    model.compile(engine.optimizers.RMSprop(0.002, rho=0.8),
                  loss={"y1": engine.losses.Huber(delta=0.5), "y2": "binary_crossentropy"},
                  metrics={"y1": ["mae", engine.metrics.RootMeanSquaredError()], "y2": ["accuracy", "auc"]})
    x, y = make_inputs(specs, n=8), make_targets(model, n=8)
    y["y2"] = (y["y2"] > 0).astype("float32")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = engine.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, engine.optimizers.RMSprop) and loaded.optimizer.rho == 0.8
    assert isinstance(loaded.loss["y1"], engine.losses.Huber) and loaded.loss["y1"].get_config()["delta"] == 0.5
    assert loaded.loss["y2"] == "binary_crossentropy"
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == expected
    uncompiled = engine.saving.load_model(tmp_path / "m.keras", compile=False)
    assert not uncompiled.compiled


# -- bad files: clear errors naming the part, and nothing half-done -----------------------------------------


@pytest.fixture
def saved(tmp_path):
    model = dense_mlp(engine)
    path = tmp_path / "model.keras"
    model.save(path)
    return model, path


def test_truncated_archive(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"model\.keras is not a valid \.keras file.*truncated"):
        engine.saving.load_model(path)


def test_corrupted_weights_member(saved):
    _, path = saved
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("model.weights.h5")
    data = bytearray(path.read_bytes())
    middle = info.header_offset + len(info.FileHeader()) + info.file_size // 2
    data[middle: middle + 64] = bytes(b ^ 0xFF for b in data[middle: middle + 64])
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"Cannot read model\.weights\.h5 from .*model\.keras: the archive is "
                                         r"truncated or corrupted"):
        engine.saving.load_model(path)


def test_weights_member_that_is_not_hdf5(saved):
    _, path = saved
    rewrite_archive(path, replace={"model.weights.h5": b"not an HDF5 file"})
    with pytest.raises(ValueError, match=r"model\.keras/model\.weights\.h5: it is not a valid HDF5 file"):
        engine.saving.load_model(path)


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5"])
def test_missing_member(saved, member):
    _, path = saved
    rewrite_archive(path, drop=[member])
    with pytest.raises(ValueError, match=rf"model\.keras is not a valid \.keras file: it has no {re.escape(member)}"):
        engine.saving.load_model(path)


def test_config_that_is_not_json(saved):
    _, path = saved
    rewrite_archive(path, replace={"config.json": b"{not json"})
    with pytest.raises(ValueError, match=r"config\.json in .*model\.keras is not valid JSON"):
        engine.saving.load_model(path)


def test_weights_file_missing_a_weight(saved):
    model, path = saved
    second = model.layers[1].name
    edit_weights(path, lambda f: f.__delitem__("layers/dense_1/vars/1"))
    with pytest.raises(ValueError, match=rf"layer '{second}' \(Dense\) at 'layers/dense_1/vars': Layer '{second}' "
                                         r"expected 2 variables, but received 1"):
        engine.saving.load_model(path)


def test_weights_file_with_a_renamed_weight(saved):
    _, path = saved
    edit_weights(path, lambda f: f.move("layers/dense/vars/1", "layers/dense/vars/bias"))
    with pytest.raises(ValueError, match=r"model\.weights\.h5 has no weight 'layers/dense/vars/1'"):
        engine.saving.load_model(path)


def test_weights_file_with_a_link_is_refused(saved):
    _, path = saved

    def link(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")

    edit_weights(path, link)
    with pytest.raises(ValueError, match=r"Not allowed: .* SoftLink at 'layers/dense/vars/0'"):
        engine.saving.load_model(path)


def test_failed_load_weights_changes_nothing(tmp_path):
    source = engine.Sequential([engine.Input((6,)), engine.layers.Dense(5), engine.layers.Dense(4)])
    source.save_weights(tmp_path / "w.weights.h5")
    target = dense_mlp(engine)  # first layer fits, second does not
    before = target.get_weights()
    with pytest.raises(ValueError, match=r"weight 'kernel' \(vars/0\) has shape \(5, 3\), but the saved value has "
                                         r"shape \(5, 4\)"):
        target.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(before, target.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_unknown_layer_class(saved):
    _, path = saved
    edit_config(path, lambda c: c["config"]["layers"][1].update(class_name="FancyLayer"))
    with pytest.raises(ValueError, match=r"Unknown layer class 'FancyLayer'.*custom_objects"):
        engine.saving.load_model(path)


def test_lambda_layer_is_refused(saved):
    _, path = saved
    edit_config(path, lambda c: c["config"]["layers"][1].update(
        class_name="Lambda", config={"name": "lam", "function": {"class_name": "__lambda__", "config": {}}}))
    with pytest.raises(ValueError, match=r"layer 'lam' \(Lambda\).*Requested the deserialization of a `Lambda`"):
        engine.saving.load_model(path)


def test_lambda_function_in_a_config_is_refused(saved):
    _, path = saved
    code = {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}
    edit_config(path, lambda c: c["config"]["layers"][1]["config"].update(activation=code))
    with pytest.raises(ValueError, match=r"layer 'dense\w*' \(Dense\) contains a Python lambda"):
        engine.saving.load_model(path)


def test_unknown_argument_from_a_newer_keras(saved):
    _, path = saved
    edit_config(path, lambda c: c["config"]["layers"][1]["config"].update(flash_mode="fast"))
    with pytest.raises(ValueError, match=r"layer 'dense\w*' \(Dense\) has argument\(s\) this engine does not know: "
                                         r"'flash_mode'='fast'"):
        engine.saving.load_model(path)


def test_harmless_new_keys_are_ignored(tmp_path):
    """Keys newer Keras versions write with a no-op value load; any other value is an error."""
    model = conv1d_family(engine)
    path = tmp_path / "c.keras"
    model.save(path)

    def add_keys(c):
        conv = c["config"]["layers"][1]["config"]
        conv["quantization_config"] = None
        conv["kernel_initializer"]["config"].update(input_axes=None, output_axes=None)

    edit_config(path, add_keys)
    x = make_inputs([("float", (10, 3))])
    np.testing.assert_array_equal(engine.saving.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))
    edit_config(path, lambda c: c["config"]["layers"][1]["config"].update(quantization_config={"mode": "int8"}))
    with pytest.raises(ValueError, match=r"layer 'conv1d\w*' \(Conv1D\) has argument\(s\) this engine does not "
                                         r"know: 'quantization_config'"):
        engine.saving.load_model(path)
    edit_config(path, lambda c: c["config"]["layers"][1]["config"].update(quantization_config=None))
    edit_config(path, lambda c: c["config"]["layers"][1]["config"]["kernel_initializer"]["config"].update(
        input_axes=[0, 1], output_axes=[2]))
    initializer = engine.saving.load_model(path).layers[0].kernel_initializer
    assert (initializer.input_axes, initializer.output_axes) == ([0, 1], [2])  # Keras's einsum fans are honoured


def test_unsupported_keras_operation_node(tmp_path):
    model = masking(engine)
    path = tmp_path / "m.keras"
    model.save(path)

    def add_operation(config):
        config["config"]["layers"].append({
            "module": "keras.src.ops.math", "class_name": "STFT", "config": {"name": "stft"},
            "registered_name": "STFT", "name": "stft", "inbound_nodes": []})

    edit_config(path, add_operation)
    with pytest.raises(ValueError, match=r"uses the Keras operation 'STFT' \(keras\.src\.ops\.math\) as a graph node "
                                         r"\(layer 'stft' \(STFT\)\); engine.ops has no such operation"):
        engine.saving.load_model(path)


def test_unknown_compile_argument(saved):
    model, path = saved
    model.compile("adam", "mse")
    model.save(path)
    edit_config(path, lambda c: c["compile_config"].update(fused_steps=4))
    with pytest.raises(ValueError, match=r"compile_config has argument\(s\) this engine does not know: "
                                         r"\['fused_steps'\].*compile=False"):
        engine.saving.load_model(path)
    edit_config(path, lambda c: c["compile_config"].pop("fused_steps"))
    edit_config(path, lambda c: c["compile_config"]["optimizer"]["config"].update(fused_steps=4))
    with pytest.raises(ValueError, match=r"Cannot compile .*compile_config: .*fused_steps.*compile=False"):
        engine.saving.load_model(path)
    assert not engine.saving.load_model(path, compile=False).compiled


def test_failed_save_leaves_the_old_file_and_no_temporary(saved, monkeypatch):
    model, path = saved
    before = path.read_bytes()
    model.layers[0].kernel.assign(np.zeros((6, 5), "float32"))

    def disk_full(fd):  # fails once everything is written to the temporary file, before the rename
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        model.save(path)
    with pytest.raises(OSError, match="No space left"):
        model.save_weights(path.with_name("w.weights.h5"))
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["model.keras"]


def test_failed_state_walk_writes_nothing(tmp_path, monkeypatch):
    model = dense_mlp(engine)

    def broken(root, store):
        raise RuntimeError("cannot serialize")

    monkeypatch.setattr(object_state, "save_state", broken)
    with pytest.raises(RuntimeError, match="cannot serialize"):
        model.save(tmp_path / "m.keras")
    assert os.listdir(tmp_path) == []


def test_file_names_and_overwrite(saved, tmp_path):
    model, path = saved
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(tmp_path / "model.h5")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save(path, overwrite=False)
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        engine.saving.load_model(tmp_path / "missing.keras")
    unbuilt = engine.Sequential([engine.layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "u.weights.h5")
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.load_weights(tmp_path / "u.weights.h5")
