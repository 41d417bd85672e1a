"""The preprocessing layers against Keras's own numbers: configs, `adapt` vocabularies and outputs.

Keras's values come from tests/engine/data/preprocessing_keras_cases.json (written by real Keras 3 on
TensorFlow with make_preprocessing_fixtures.py beside it), so these run without TensorFlow; where
TensorFlow is installed, `test_cases_match_live_keras` recomputes them with Keras itself.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from engine import layers

DATA = os.path.join(os.path.dirname(__file__), "data")
with open(os.path.join(DATA, "preprocessing_keras_cases.json"), encoding="utf-8") as _f:
    CASES = json.load(_f)["cases"]


def case_id(case: dict) -> str:
    args = ",".join(f"{k}={v}" for k, v in case["kwargs"].items())
    return f"{case['class_name']}({args})"[:80]


def run_engine(case: dict):
    layer = getattr(layers, case["class_name"])(**case["kwargs"])
    if case["adapt"] is not None:
        data = case["adapt"] if case["class_name"] == "TextVectorization" else np.array(case["adapt"])
        layer.adapt(data)
    return layer, layer(np.array(case["input"]))


def assert_same_output(actual, case: dict) -> None:
    expected = np.array(case["output"])
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"shape {actual.shape} != Keras's {expected.shape}"
    if expected.dtype.kind in "US":
        assert actual.tolist() == expected.tolist()
    else:
        np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_output_config_and_vocabulary_match_keras(case):
    layer, output = run_engine(case)
    assert_same_output(output, case)
    config = layer.get_config()
    expected = dict(case["config"])
    for key in ("name",):
        config.pop(key), expected.pop(key)
    if case["class_name"] == "Discretization":
        np.testing.assert_allclose(config.pop("bin_boundaries"), expected.pop("bin_boundaries"), rtol=1e-6)
    assert config == expected
    if "vocabulary" in case:
        assert layer.get_vocabulary() == case["vocabulary"]
        assert layer.vocabulary_size() == case["vocabulary_size"]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_config_round_trip_gives_the_same_layer(case):
    layer, output = run_engine(case)
    clone = type(layer).from_config(layer.get_config())
    if hasattr(layer, "get_vocabulary") and layer.get_config().get("vocabulary") is None:
        # an adapted vocabulary travels as an asset (see the saving tests), so it is set here by hand
        clone.set_vocabulary(layer.get_vocabulary(),
                             idf_weights=getattr(getattr(layer, "_lookup_layer", layer), "idf_weights", None))
    np.testing.assert_array_equal(np.asarray(clone(np.array(case["input"]))), np.asarray(output))


def test_cases_match_live_keras():
    """Regenerates every case with real Keras on TensorFlow (its lookups, hashing and text vectorization need
    TensorFlow on every backend), in a subprocess, and checks the fixture is still Keras's."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("keras") is None:
        pytest.skip("needs Keras and TensorFlow")
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); "
            "from data.make_preprocessing_fixtures import CASES, run_case, keras; "
            "print(json.dumps({'version': keras.__version__, 'cases': [run_case(*spec) for spec in CASES]}))")
    here = os.path.dirname(os.path.abspath(__file__))
    done = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    live = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(live["cases"]) == len(CASES)
    for fresh, stored in zip(live["cases"], CASES):
        assert fresh["output"] == stored["output"], (live["version"], case_id(stored))
        assert fresh.get("vocabulary") == stored.get("vocabulary")


def test_string_lookup_adapt_orders_by_count_then_token_descending():
    layer = layers.StringLookup()
    layer.adapt(np.array(["b", "a", "b", "c", "a", "d", "é", "é"]))
    assert layer.get_vocabulary() == ["[UNK]", "é", "b", "a", "d", "c"]
    assert layer(np.array([["a"], ["zz"]])).numpy().tolist() == [[3], [0]]


def test_lookup_accepts_bytes_and_object_arrays():
    layer = layers.StringLookup(vocabulary=["x", "y"])
    assert layer(np.array([b"y", b"q"])).numpy().tolist() == [2, 0]
    assert layer(np.array(["x", "y"], dtype=object)).numpy().tolist() == [1, 2]


def test_integer_lookup_rejects_fractional_values_by_name():
    layer = layers.IntegerLookup(vocabulary=[1, 2], name="codes")
    with pytest.raises(ValueError, match="'codes'.*integer"):
        layer(np.array([1.5]))


def test_num_oov_indices_zero_names_the_unknown_values():
    layer = layers.StringLookup(vocabulary=["x"], num_oov_indices=0)
    with pytest.raises(ValueError, match="OOV values.*'q'"):
        layer(np.array(["x", "q"]))


def test_vocabulary_file_paths_are_refused():
    with pytest.raises(ValueError, match="never reads files"):
        layers.StringLookup(vocabulary="/etc/passwd")


def test_hashing_of_long_strings_covers_every_farmhash_branch():
    """Lengths 0-16, 17-32, 33-64 and the 64-byte loop each take their own code path."""
    from engine.layers.preprocessing.hash_functions import fingerprint64, siphash64
    with open(os.path.join(DATA, "hash_reference.json"), encoding="utf-8") as f:
        expected = json.load(f)
    big = expected["buckets"]
    for text, fast, strong in expected["values"]:
        data = text.encode("utf-8")
        assert fingerprint64(data) % big == fast, len(data)
        assert siphash64(data, (133, 137)) % big == strong, len(data)


def test_integer_outputs_feed_dense_in_float32_as_keras():
    """Discretization and lookups give integers; a Dense after them computes in float32 (NumPy alone: float64)."""
    bins = layers.Discretization(bin_boundaries=[0.0, 1.0])
    out = layers.Dense(2)(bins(np.array([[-1.0, 0.5, 2.0]], dtype="float32")))
    assert out.dtype == np.float32
    assert layers.Dense(2)(np.array([[1, 2]], dtype="int64")).dtype == np.float32
