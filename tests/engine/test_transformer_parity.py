"""A Transformer encoder as in Keras's "Text classification with Transformer" example (token and position
embeddings, MultiHeadAttention, residual links, LayerNormalization, a Dense feed-forward), written once and run
on the engine and on Keras 3: same weights give the same predictions and the same 3-epoch history; the
functional form exports to ONNX and onnxruntime gives the same outputs."""

from __future__ import annotations

import os

import numpy as np
import pytest

import engine

os.environ.setdefault("KERAS_BACKEND", "torch")

VOCAB, MAXLEN, EMBED, HEADS, FF = 20, 8, 8, 2, 16


def example_model(lib, rate: float = 0.0):
    """The Keras example's classes, unchanged but for the sizes (and `rate`: dropout, 0 to compare runs)."""
    layers, ops = lib.layers, lib.ops

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = lib.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    inputs = layers.Input(shape=(MAXLEN,))
    x = TokenAndPositionEmbedding(MAXLEN, VOCAB, EMBED)(inputs)
    x = TransformerBlock(EMBED, HEADS, FF, rate)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(rate)(x)
    x = layers.Dense(12, activation="relu")(x)
    x = layers.Dropout(rate)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return lib.Model(inputs=inputs, outputs=outputs)


def encoder_block(lib):
    """The same encoder as plain functional layers (what the studio's canvas builds)."""
    layers = lib.layers
    inputs = layers.Input(shape=(MAXLEN, EMBED))
    attended = layers.MultiHeadAttention(num_heads=HEADS, key_dim=EMBED)(inputs, inputs)
    out1 = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([inputs, attended]))
    ffn = layers.Dense(EMBED)(layers.Dense(FF, activation="relu")(out1))
    out2 = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([out1, ffn]))
    pooled = layers.GlobalAveragePooling1D()(out2)
    return lib.Model(inputs, layers.Dense(2, activation="softmax")(pooled))


def data(seed: int = 0, n: int = 96):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCAB, size=(n, MAXLEN))
    labels = (np.sum(tokens < VOCAB // 2, axis=1) > MAXLEN // 2).astype("int64")
    return tokens.astype("float32"), labels


def to_numpy(weights) -> list[np.ndarray]:
    import keras
    return [keras.ops.convert_to_numpy(w) for w in weights]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("build", [example_model, encoder_block], ids=["keras_example", "functional"])
def test_same_weights_same_outputs_and_history_as_keras(build, keras):
    keras.utils.set_random_seed(0)
    theirs, ours = build(keras), build(engine)
    weights = to_numpy(theirs.get_weights())
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    x, y = data()
    if build is encoder_block:
        x = np.random.default_rng(1).normal(size=(len(y), MAXLEN, EMBED)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=2e-6)
    if build is encoder_block:
        return  # the same layers as the example: one training comparison is enough (Keras's fit is slow here)

    for model, lib in ((theirs, keras), (ours, engine)):
        model.compile(optimizer=lib.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    kwargs = {"epochs": 3, "batch_size": 16, "shuffle": False, "verbose": 0, "validation_split": 0.25}
    theirs_history = theirs.fit(x, y, **kwargs).history
    ours_history = ours.fit(x, y, **kwargs).history
    assert set(ours_history) == set(theirs_history)
    for name, values in theirs_history.items():
        np.testing.assert_allclose(ours_history[name], values, rtol=2e-4, atol=2e-5, err_msg=name)
    for a, b in zip(ours.get_weights(), to_numpy(theirs.get_weights())):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_encoder_block_exports_to_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from engine.export import export_onnx

    model = encoder_block(engine)
    x = np.random.default_rng(2).normal(size=(5, MAXLEN, EMBED)).astype("float32")
    export_onnx(model, tmp_path / "encoder.onnx")
    session = ort.InferenceSession(str(tmp_path / "encoder.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_dropout_in_the_example_trains():
    """With the example's dropout (0.1) the engine trains the model as written (no comparison: random)."""
    model = example_model(engine, rate=0.1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data()
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))
