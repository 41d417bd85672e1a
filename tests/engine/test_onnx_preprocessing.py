"""ONNX export of the preprocessing layers, run in onnxruntime and compared with the engine's predict.

String lookups go through ONNX-ML's LabelEncoder, text vectorization through onnxruntime's Tokenizer, hashing of
integers through FarmHash64 in uint64 arithmetic; hashing strings is refused with the reason.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest

import engine
from engine import layers
from engine.export import export_onnx
from engine.export.registry import ONNXExportError

ort = pytest.importorskip("onnxruntime")

COLORS = np.array(["red", "blue", "green", "red", "amber", "blue", "", "violet"])


def run_both(model, inputs: dict, tmp_path, opset: int = 17):
    path = tmp_path / "model.onnx"
    export_onnx(model, path, opset=opset)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: (inputs[i.name].astype(object) if inputs[i.name].dtype.kind == "U" else inputs[i.name])
             for i in session.get_inputs()}
    got = session.run(None, feeds)[0]
    expected = model.predict(inputs if len(inputs) > 1 else next(iter(inputs.values())), verbose=0)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    return got


@pytest.mark.parametrize("kwargs", [{}, {"output_mode": "one_hot"}, {"output_mode": "multi_hot"},
                                    {"output_mode": "count", "mask_token": ""}, {"output_mode": "tf_idf"},
                                    {"mask_token": ""}, {"output_mode": "multi_hot", "max_tokens": 4,
                                                         "pad_to_max_tokens": True}])
def test_string_lookup_modes(kwargs, tmp_path):
    lookup = layers.StringLookup(**kwargs)
    lookup.adapt(COLORS)
    x = engine.Input(shape=(2,), dtype="string", name="colors")
    model = engine.Model(x, lookup(x))
    run_both(model, {"colors": np.array([["red", "pink"], ["", "blue"], ["violet", "violet"]])}, tmp_path)


def test_integer_lookup_and_category_encoding(tmp_path):
    lookup = layers.IntegerLookup(output_mode="one_hot", mask_token=0)
    lookup.adapt(np.array([3, 1, 3, 7, 0, 9]))
    x = engine.Input(shape=(1,), dtype="int64", name="codes")
    counted = layers.CategoryEncoding(num_tokens=6, output_mode="count")(layers.IntegerLookup(vocabulary=[3, 7])(x))
    model = engine.Model(x, layers.Concatenate()([lookup(x), counted]))
    run_both(model, {"codes": np.array([[3], [4], [0], [9], [7]])}, tmp_path)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_and_rescaling(mode, tmp_path):
    bins = layers.Discretization(num_bins=4, output_mode=mode)
    bins.adapt(np.linspace(-2, 2, 50).astype("float32"))
    x = engine.Input(shape=(3,), name="x")
    model = engine.Model(x, bins(layers.Rescaling(2.0, offset=-0.5)(x)))
    run_both(model, {"x": np.array([[-1.0, 0.0, 0.26], [0.5, 1.0, 3.0]], dtype="float32")}, tmp_path)


def test_raw_columns_to_probabilities(tmp_path):
    color = engine.Input(shape=(1,), dtype="string", name="color")
    size = engine.Input(shape=(1,), name="size")
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(COLORS)
    norm = layers.Normalization()
    norm.adapt(np.array([[1.0], [2.0], [4.0]]))
    features = layers.Concatenate()([lookup(color), norm(size)])
    model = engine.Model({"color": color, "size": size}, layers.Dense(3, activation="softmax")(features))
    got = run_both(model, {"color": np.array([["red"], ["pink"], ["blue"]]),
                           "size": np.array([[1.0], [3.0], [2.0]], dtype="float32")}, tmp_path)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)


def test_integer_oov_buckets_by_floormod(tmp_path):
    x = engine.Input(shape=(2,), dtype="int64", name="codes")
    model = engine.Model(x, layers.IntegerLookup(vocabulary=[3, 7], num_oov_indices=3, mask_token=0)(x))
    run_both(model, {"codes": np.array([[3, 4], [0, -5], [7, 11], [-1, 2**40]])}, tmp_path)


def test_a_lookup_without_oov_index_gives_zeros_for_unknown_tokens(tmp_path):
    x = engine.Input(shape=(1,), dtype="string", name="letters")
    model = engine.Model(x, layers.StringLookup(vocabulary=["a", "b"], num_oov_indices=0, output_mode="one_hot")(x))
    run_both(model, {"letters": np.array([["b"], ["a"]])}, tmp_path)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"letters": np.array([["zz"]], dtype=object)})
    np.testing.assert_array_equal(got, [[0.0, 0.0]])  # Keras raises on an unknown token here; ONNX cannot


TEXTS = np.array([["Hello, World! don't"], [""], ["  a - b  "], ["Éclair CAFÉ\tx\ny"], ["hello hello?? WORLD"],
                  ["..."], ["a\u00a0b c\x0bd\x0c\re"], ["NA"], ["x" * 300 + " tail"], ["[UNK] 'quoted' `ticks`"],
                  ["emoji \U0001F98A\U0001F98A \u03a9mega \u4e2d\u6587"]])


@pytest.mark.parametrize("kwargs", [{}, {"output_sequence_length": 6}, {"standardize": None,
                                                                        "output_sequence_length": 3},
                                    {"standardize": "strip_punctuation", "max_tokens": 6},
                                    {"split": "character", "output_sequence_length": 12},
                                    {"output_mode": "multi_hot"}, {"output_mode": "count", "standardize": "lower"},
                                    {"output_mode": "tf_idf"}, {"split": None}])
def test_text_vectorization_matches_the_engine_on_any_text(kwargs, tmp_path):
    vectorize = layers.TextVectorization(**kwargs)
    vectorize.adapt(TEXTS[:5])  # the others hold unseen words, punctuation only, other whitespace, a long word
    x = engine.Input(shape=(1,), dtype="string", name="text")
    run_both(engine.Model(x, vectorize(x)), {"text": TEXTS}, tmp_path, opset=20)


def test_text_vectorization_of_empty_texts_and_a_batch_of_one(tmp_path):
    vectorize = layers.TextVectorization(output_mode="multi_hot", vocabulary=["a", "b"])
    x = engine.Input(shape=(1,), dtype="string", name="text")
    run_both(engine.Model(x, vectorize(x)), {"text": np.array([[""], ["?!"]])}, tmp_path, opset=20)
    ints = layers.TextVectorization(vocabulary=["a", "b"], output_sequence_length=3)
    run_both(engine.Model(x, ints(x)), {"text": np.array([["b A c"]])}, tmp_path, opset=20)


INTEGERS = np.concatenate([[0, 1, -1, 9, 10, 99, 100, 9999, 12345, -12345, 1234567, 12345678, 10**15, 10**16 - 1,
                            10**16, -10**15, 10**18, 2**63 - 1, -2**63, -2**63 + 1],
                           np.random.default_rng(0).integers(-2**63, 2**63 - 1, 100, dtype=np.int64),
                           np.random.default_rng(1).integers(-10**5, 10**5, 100)]).reshape(-1, 1)


@pytest.mark.parametrize("kwargs", [{"num_bins": 7}, {"num_bins": 1000003}, {"num_bins": 5, "mask_value": 0},
                                    {"num_bins": 4, "output_mode": "one_hot"},
                                    {"num_bins": 3, "output_mode": "multi_hot"}])
def test_hashing_integers_gives_keras_farmhash_buckets(kwargs, tmp_path):
    """Every text length FarmHash distinguishes (1 to 20 bytes, signs, int64's ends) lands in the engine's bucket."""
    x = engine.Input(shape=(1,), dtype="int64", name="v")
    run_both(engine.Model(x, layers.Hashing(**kwargs)(x)), {"v": INTEGERS}, tmp_path, opset=18)


def test_hashing_floats_truncates_them_first(tmp_path):
    x = engine.Input(shape=(2,), name="v")
    values = np.array([[3.7, -2.5], [0.2, 1e6], [-0.9, 123456.75]], dtype="float32")
    run_both(engine.Model(x, layers.Hashing(num_bins=11)(x)), {"v": values}, tmp_path, opset=18)


@pytest.mark.parametrize("mode", ["int", "one_hot"])
def test_hashed_crossing_of_integers_gives_keras_buckets(mode, tmp_path):
    a, b, c = (engine.Input(shape=(1,), dtype="int64", name=n) for n in "abc")
    cross = layers.HashedCrossing(num_bins=7, output_mode=mode)
    model = engine.Model({"a": a, "b": b, "c": c}, [cross([a, b]), layers.HashedCrossing(num_bins=10**9)([a, b, c])])
    rng = np.random.default_rng(2)
    values = {n: np.concatenate([[[0], [-1], [2**63 - 1], [-2**63]], rng.integers(-2**63, 2**63 - 1, (20, 1))])
              for n in "abc"}
    path = tmp_path / "cross.onnx"
    export_onnx(model, path, opset=18)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for got, expected in zip(session.run(None, values), model.predict(values, verbose=0)):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("layer, opset, reason", [
    (layers.Hashing(num_bins=3), 18, "reads a string's bytes"),
    (layers.Hashing(num_bins=3, salt=7), 18, "SipHash64"),
    (layers.HashedCrossing(num_bins=3), 18, "crossing strings"),
    (layers.TextVectorization(vocabulary=["a"]), 17, "opset=20"),
    (layers.TextVectorization(vocabulary=["a"], ngrams=2), 20, "ngrams=2"),
    (layers.StringLookup(vocabulary=["a"], num_oov_indices=2), 17, "num_oov_indices=2"),
])
def test_layers_onnx_cannot_express_are_refused_with_the_reason(layer, opset, reason, tmp_path):
    x = engine.Input(shape=(1,), dtype="int64" if getattr(layer, "salt", None) else "string")
    model = engine.Model(x, layer([x, x]) if isinstance(layer, layers.HashedCrossing) else layer(x))
    with pytest.raises(ONNXExportError, match=reason):
        export_onnx(model, tmp_path / "m.onnx", opset=opset)
    assert not (tmp_path / "m.onnx").exists()


def test_discretization_puts_nan_in_the_last_bucket(tmp_path):
    """As NumPy's digitize and TensorFlow's Bucketize: NaN is below no boundary (a drop-rows flag relies on it)."""
    x = engine.Input(shape=(1,), name="x")
    model = engine.Model(x, layers.Discretization(bin_boundaries=[0.0, 3.4e38], output_mode="one_hot")(x))
    got = run_both(model, {"x": np.array([[np.nan], [-1.0], [1.0], [np.inf]], dtype="float32")}, tmp_path)
    np.testing.assert_array_equal(got[0], [0.0, 0.0, 1.0])


def test_masked_global_average_leaves_masked_steps_out(tmp_path):
    x = engine.Input(shape=(3, 2), name="x")
    mask = engine.Input(shape=(3,), name="mask")
    model = engine.Model({"x": x, "mask": mask}, layers.GlobalAveragePooling1D()(x, mask=mask))
    values = np.arange(12, dtype="float32").reshape(2, 3, 2)
    keep = np.array([[1, 0, 1], [0, 1, 0]], dtype="float32")
    got = run_both(model, {"x": values, "mask": keep}, tmp_path)
    np.testing.assert_allclose(got, [[2.0, 3.0], [8.0, 9.0]])
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    values[0, 1] = values[1, 2] = np.nan  # a NaN in a masked step is left out, not multiplied by 0
    np.testing.assert_allclose(session.run(None, {"x": values, "mask": keep})[0], got)
