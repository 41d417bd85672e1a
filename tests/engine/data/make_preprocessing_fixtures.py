"""Writes preprocessing_keras_cases.json: Keras's own configs, vocabularies and outputs of its preprocessing layers.

Run with real Keras 3 on TensorFlow (the lookups, hashing and text vectorization need TensorFlow):
    KERAS_BACKEND=tensorflow python tests/engine/data/make_preprocessing_fixtures.py
The engine's tests compare against the file, so they run where TensorFlow is not installed.
"""

import json
import os

import numpy as np

try:
    import keras
except ImportError:  # the engine's tests import the shared inputs below without Keras; only writing needs it
    keras = None

TEXTS = ["The cat sat on the mat.", "the DOG ran, the cat ran!", "A dog; a CAT? Über-café naïve", "",
         "tabs\tand\nnewlines  and   spaces"]
COLORS = ["red", "blue", "red", "green", "blue", "red", "violet", "", "green", "amber"]
INTS = [3, 1, 3, 7, 1, 9, 3, 12, 0, 7]

CASES = [
    ("StringLookup", {}, COLORS, [["red"], ["pink"], ["amber"], [""]]),
    ("StringLookup", {"mask_token": "", "num_oov_indices": 2}, COLORS, [["red", "pink"], ["", "zzz"], ["x", "y"]]),
    ("StringLookup", {"output_mode": "one_hot"}, COLORS, [["red"], ["pink"], ["blue"]]),
    ("StringLookup", {"output_mode": "one_hot", "mask_token": ""}, COLORS, [["red"], [""], ["blue"]]),
    ("StringLookup", {"output_mode": "multi_hot", "num_oov_indices": 0}, COLORS, [["red", "blue"], ["green", "green"]]),
    ("StringLookup", {"output_mode": "count", "max_tokens": 4}, COLORS,
     [["red", "red", "x"], ["green", "blue", "red"]]),
    ("StringLookup", {"output_mode": "tf_idf"}, [["red", "blue", "red"], ["green", "blue", ""], ["red", "x", "y"]],
     [["red", "red", "x"], ["green", "blue", "amber"]]),
    ("StringLookup", {"output_mode": "multi_hot", "pad_to_max_tokens": True, "max_tokens": 8}, COLORS,
     [["red", "blue"], ["violet", "q"]]),
    ("StringLookup", {"vocabulary": ["x", "y", "z"]}, None, [["z"], ["a"], ["x"]]),
    ("StringLookup", {"vocabulary": ["[UNK]", "x", "y"], "output_mode": "one_hot"}, None, [["y"], ["a"]]),
    ("StringLookup", {"vocabulary": ["x", "y"], "invert": True}, None, [[0, 1, 2, 5]]),
    ("StringLookup", {"vocabulary": ["x", "y"], "invert": True, "mask_token": "[MASK]"}, None, [[0, 1, 2, 3, 7]]),
    ("StringLookup", {"vocabulary": ["a", "b"], "output_mode": "tf_idf", "idf_weights": [0.5, 0.25]}, None,
     [["a", "b", "a"], ["c", "b", "b"]]),
    ("StringLookup", {"num_oov_indices": 3}, ["a", "b", "a"],
     [["a"], ["pink"], ["orange"], ["amber"], ["zebra"], ["q"], ["b"]]),
    ("StringLookup", {"num_oov_indices": 3, "salt": [7, 11]}, ["a", "b", "a"],
     [["a"], ["pink"], ["orange"], ["amber"], ["zebra"], ["q"]]),
    ("IntegerLookup", {}, INTS, [[3], [4], [12], [-1]]),
    ("IntegerLookup", {"mask_token": 0, "num_oov_indices": 2}, INTS, [[3, 0], [5, 8], [7, 9]]),
    ("IntegerLookup", {"output_mode": "multi_hot", "max_tokens": 5}, INTS, [[3, 1], [12, 9]]),
    ("IntegerLookup", {"num_oov_indices": 2, "oov_method": "farmhash"}, INTS, [[100], [101], [102], [3]]),
    ("IntegerLookup", {"vocabulary": [12, 36, 1138, 42], "invert": True}, None, [[0, 1, 4, 9]]),
    ("TextVectorization", {}, TEXTS, ["the cat ran on a mat", "Über café, dog!"]),
    ("TextVectorization", {"output_sequence_length": 4, "ngrams": 2}, TEXTS, ["the cat ran on a mat", "dog"]),
    ("TextVectorization", {"output_mode": "multi_hot", "max_tokens": 6}, TEXTS, ["the cat ran on a mat", "zzz"]),
    ("TextVectorization", {"output_mode": "count", "standardize": "lower"}, TEXTS, ["the cat, the cat", "DOG"]),
    ("TextVectorization", {"output_mode": "tf_idf", "ngrams": (1, 3)}, TEXTS, ["the cat sat on the mat", "a dog"]),
    ("TextVectorization", {"split": "character", "standardize": None}, ["abba", "cab"], ["abc", "dd"]),
    ("TextVectorization", {"split": None}, ["Red", "blue", "red"], [["RED"], ["green"]]),
    ("TextVectorization", {"vocabulary": ["cat", "dog"], "output_sequence_length": 3}, None, ["dog cat mouse cat"]),
    ("Hashing", {"num_bins": 3}, None, [["A"], ["B"], ["C"], ["D"], ["E"]]),
    ("Hashing", {"num_bins": 3, "mask_value": ""}, None, [["A"], ["B"], [""], ["C"], ["D"]]),
    ("Hashing", {"num_bins": 3, "salt": [133, 137]}, None, [["A"], ["B"], ["C"], ["D"], ["E"]]),
    ("Hashing", {"num_bins": 3, "salt": 133}, None, [["A"], ["B"], ["C"], ["D"], ["E"]]),
    ("Hashing", {"num_bins": 5, "output_mode": "one_hot"}, None, [[12], [-3], [40000000000]]),
    ("Hashing", {"num_bins": 4, "output_mode": "multi_hot"}, None, [["a", "b"], ["c", "a"]]),
    ("Hashing", {"num_bins": 7, "output_mode": "count"}, None, [[1.7, 2.2, -1.5]]),
    ("Discretization", {"num_bins": 4}, list(np.linspace(-3.0, 5.0, 37)), [[-4.0, 0.0, 1.0], [2.5, 4.9, 9.0]]),
    ("Discretization", {"num_bins": 5, "epsilon": 0.001}, list(np.random.default_rng(0).normal(size=500)),
     [[-1.0, 0.0, 0.3, 2.0]]),
    ("Discretization", {"bin_boundaries": [0.0, 1.0, 2.0], "output_mode": "one_hot"}, None, [[-0.5], [0.5], [2.0]]),
    ("Discretization", {"bin_boundaries": [0.0, 1.0, 2.0], "output_mode": "count"}, None, [[0.5, 0.6, 3.0]]),
    ("CategoryEncoding", {"num_tokens": 4, "output_mode": "one_hot"}, None, [3, 2, 0, 1]),
    ("CategoryEncoding", {"num_tokens": 4}, None, [[0, 1], [0, 0], [1, 2], [3, 1]]),
    ("CategoryEncoding", {"num_tokens": 4, "output_mode": "count"}, None, [[0, 1], [0, 0], [1, 2], [3, 1]]),
    ("Rescaling", {"scale": 1 / 255.0}, None, [[0, 128, 255]]),
    ("Rescaling", {"scale": 2.0, "offset": -1.0}, None, [[0.25, 0.5]]),
]


def jsonable(value):
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def run_case(class_name, kwargs, adapt_data, call_input):
    layer = getattr(keras.layers, class_name)(**kwargs)
    if adapt_data is not None:
        layer.adapt(np.array(adapt_data) if class_name != "TextVectorization" else adapt_data)
    output = layer(np.array(call_input))
    output = np.asarray(output if not isinstance(output, list) else np.array(output))
    record = {"class_name": class_name, "kwargs": jsonable(kwargs), "adapt": jsonable(adapt_data),
              "input": jsonable(call_input), "config": jsonable(layer.get_config()),
              "output": jsonable(output), "output_dtype": str(output.dtype)}
    if hasattr(layer, "get_vocabulary"):
        record["vocabulary"] = jsonable(layer.get_vocabulary())
        record["vocabulary_size"] = int(layer.vocabulary_size())
    if class_name == "Discretization":
        record["bin_boundaries"] = jsonable(layer.bin_boundaries)
    return record


def write_hash_reference() -> None:
    """hash_reference.json: TensorFlow's FarmHash64 and SipHash64 (key 133, 137) buckets of strings of every length
    branch (0-16, 17-32, 33-64, over 64 bytes), in 2**62 + 12345 buckets so nearly all 64 bits count."""
    import random

    import tensorflow as tf
    rng = random.Random(0)
    texts = ["", "a", "A", "abcd", "12345678", "x" * 16, "y" * 17, "z" * 32, "w" * 33, "q" * 64, "r" * 65, "s" * 129,
             "é漢字", "the quick brown fox jumps over the lazy dog" * 3]
    texts += ["".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(0, 120))) for _ in range(40)]
    big = 2 ** 62 + 12345
    values = [[t, int(tf.strings.to_hash_bucket_fast([t], big).numpy()[0]),
               int(tf.strings.to_hash_bucket_strong([t], big, key=[133, 137]).numpy()[0])] for t in texts]
    path = os.path.join(os.path.dirname(__file__), "hash_reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"buckets": big, "values": values}, f, ensure_ascii=False)


def write_keras_model() -> None:
    """keras_mixed_preprocessing.keras (raw strings and numbers in, probabilities out) and its predictions."""
    import tensorflow as tf
    from mixed_preprocessing_model import build, raw_columns
    model = build(keras)
    folder = os.path.dirname(__file__)
    model.save(os.path.join(folder, "keras_mixed_preprocessing.keras"))
    x = {k: tf.constant(v) for k, v in raw_columns().items()}
    with open(os.path.join(folder, "keras_mixed_preprocessing.json"), "w", encoding="utf-8") as f:
        json.dump({"predictions": np.asarray(model.predict(x, verbose=0)).tolist()}, f)


def feature_space_columns(n: int = 80) -> dict:
    rng = np.random.default_rng(3)
    return {
        "age": rng.normal(40.0, 12.0, size=n).astype("float32"),
        "fare": rng.exponential(30.0, size=n).astype("float32"),
        "height": rng.normal(170.0, 9.0, size=n).astype("float32"),
        "raw": rng.normal(size=n).astype("float32"),
        "city": rng.choice(["paris", "rome", "oslo", "lima", "kyiv"], size=n, p=[0.4, 0.25, 0.2, 0.1, 0.05]),
        "code": rng.choice([3, 7, 11, 42], size=n).astype("int32"),
        "street": np.array([f"street {i % 13}" for i in range(n)]),
        "zone": rng.integers(0, 500, size=n).astype("int32"),
    }


FEATURE_TYPES = {"age": "float_normalized", "fare": "float_discretized", "height": "float_rescaled", "raw": "float",
                 "city": "string_categorical", "code": "integer_categorical", "street": "string_hashed",
                 "zone": "integer_hashed"}


def write_feature_space() -> None:
    """feature_space_keras.json: FeatureSpace(...).adapt(columns) and its encoding of a few rows (concat and dict),
    and keras_feature_space_model.keras: an inference model on its inputs and encoded features."""
    import tensorflow as tf
    columns = feature_space_columns()
    rows = {k: v[:6] for k, v in feature_space_columns(6 + 80).items()}
    record = {}
    for output_mode in ("concat", "dict"):
        space = keras.utils.FeatureSpace(FEATURE_TYPES, output_mode=output_mode, hashing_dim=8,
                                         num_discretization_bins=4)
        space.adapt(columns)
        encoded = space({k: tf.constant(v) for k, v in rows.items()})
        record[output_mode] = jsonable(tree_numpy(encoded))
    record["city_vocabulary"] = jsonable(space.preprocessors["city"].get_vocabulary())
    record["code_vocabulary"] = jsonable(space.preprocessors["code"].get_vocabulary())
    record["fare_boundaries"] = jsonable(space.preprocessors["fare"].bin_boundaries)
    record["rows"] = jsonable(rows)
    folder = os.path.dirname(__file__)
    keras.utils.set_random_seed(0)
    no_identity = {k: v for k, v in FEATURE_TYPES.items() if v != "float"}  # Keras's TFDIdentity is private
    space = keras.utils.FeatureSpace(no_identity, hashing_dim=8, num_discretization_bins=4)
    space.adapt({k: columns[k] for k in no_identity})
    probabilities = keras.layers.Dense(3, activation="softmax")(space.get_encoded_features())
    model = keras.Model(space.get_inputs(), probabilities)
    model.save(os.path.join(folder, "keras_feature_space_model.keras"))
    record["model_predictions"] = jsonable(model.predict(
        {k: tf.constant(v.reshape(-1, 1)) for k, v in rows.items() if k in no_identity}, verbose=0))
    with open(os.path.join(folder, "feature_space_keras.json"), "w", encoding="utf-8") as f:
        json.dump(record, f)


#: The crosses of feature_space_crosses_keras.json: one-hot crosses for concat, an int cross in the dict.
CROSSES = {"concat": [("city", "code"), ("fare", "zone")],
           "dict": [("city", "code"), {"feature_names": ["fare", "zone"], "crossing_dim": 16, "output_mode": "int"}]}


def write_feature_space_crosses() -> None:
    """feature_space_crosses_keras.json: the FeatureSpace of write_feature_space with crosses (HashedCrossing of
    the preprocessed values, crossing_dim 8), its encoding of the same rows and its crosses' config."""
    import tensorflow as tf
    columns = feature_space_columns()
    rows = {k: v[:6] for k, v in feature_space_columns(6 + 80).items()}
    record = {}
    for output_mode in ("concat", "dict"):
        crosses = [c if isinstance(c, tuple) else keras.utils.FeatureSpace.cross(**c) for c in CROSSES[output_mode]]
        space = keras.utils.FeatureSpace(FEATURE_TYPES, output_mode=output_mode, hashing_dim=8,
                                         num_discretization_bins=4, crossing_dim=8, crosses=crosses)
        space.adapt(tf.data.Dataset.from_tensor_slices(columns))
        record[output_mode] = jsonable(tree_numpy(space({k: tf.constant(v) for k, v in rows.items()})))
        record[f"{output_mode}_config_crosses"] = json.loads(json.dumps(space.get_config()["crosses"], default=list))
    with open(os.path.join(os.path.dirname(__file__), "feature_space_crosses_keras.json"), "w",
              encoding="utf-8") as f:
        json.dump(record, f)


def tree_numpy(value):
    if isinstance(value, dict):
        return {k: np.asarray(v) for k, v in value.items()}
    return np.asarray(value)


if __name__ == "__main__":
    records = [run_case(*case) for case in CASES]
    path = os.path.join(os.path.dirname(__file__), "preprocessing_keras_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"keras_version": keras.__version__, "cases": records}, f, indent=1, ensure_ascii=False)
    print(f"wrote {len(records)} cases to {path}")
    write_hash_reference()
    write_keras_model()
    write_feature_space()
    write_feature_space_crosses()
