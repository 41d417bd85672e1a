"""One model that takes raw columns (a category, a free text, two numbers) and returns class probabilities.

Built the same way with `engine` or with real Keras (the module is passed in), so saved files can be
compared both ways: lookups and text vectorization with adapted vocabularies (saved as assets), a fixed
vocabulary (saved in the config), hashing, discretization, rescaling, normalization and category encoding.
"""

import numpy as np

COLORS = np.array(["red", "blue", "green", "red", "amber", "blue"] * 5)
TEXTS = np.array(["the cat sat", "a dog ran", "cats and dogs", "the end", "dog", "sat cat"] * 5)
NUMBERS = np.random.default_rng(0).normal(size=(30, 2)).astype("float32")


def raw_columns() -> dict:
    return {"color": COLORS.reshape(-1, 1), "text": TEXTS, "num": NUMBERS}


def build(keras, seed: int = 0):
    layers = keras.layers
    keras.utils.set_random_seed(seed)
    color_in = keras.Input(shape=(1,), dtype="string", name="color")
    text_in = keras.Input(shape=(), dtype="string", name="text")
    num_in = keras.Input(shape=(2,), name="num")
    lookup = layers.StringLookup(output_mode="one_hot", name="color_lookup")
    lookup.adapt(COLORS)
    words = layers.TextVectorization(output_mode="multi_hot", max_tokens=8, name="words")
    words.adapt(TEXTS)
    norm = layers.Normalization(name="norm")
    norm.adapt(NUMBERS)
    bins = layers.Discretization(num_bins=3, output_mode="multi_hot", name="bins")
    bins.adapt(NUMBERS[:, :1])
    fixed = layers.StringLookup(vocabulary=["red", "blue"], name="fixed")(color_in)
    features = layers.Concatenate(name="all")([
        lookup(color_in), words(text_in), norm(num_in),
        layers.Hashing(num_bins=4, output_mode="one_hot", name="hashed")(color_in),
        bins(layers.Rescaling(0.5, offset=0.1, name="half")(num_in)),
        layers.CategoryEncoding(num_tokens=3, output_mode="one_hot", name="fixed_onehot")(fixed),
    ])
    hidden = layers.Dense(8, activation="relu", name="hidden")(features)
    probabilities = layers.Dense(3, activation="softmax", name="probs")(hidden)
    return keras.Model({"color": color_in, "text": text_in, "num": num_in}, probabilities)
