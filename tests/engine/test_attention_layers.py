"""MultiHeadAttention, EinsumDense, Attention, AdditiveAttention and the fused attention op: finite-difference
gradients, the layer contract, and outputs, scores, masks, weight layout and configs against Keras 3."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from gradcheck import check_gradients
from layer_test_utils import run_layer_test

import engine
from engine import layers, ops

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def normal(shape, seed=0, scale=1.0):
    return (scale * np.random.default_rng(seed).normal(size=shape)).astype("float32")


def plain(config: dict) -> dict:
    return json.loads(json.dumps({k: v for k, v in config.items() if k != "name"}))


def numpy_of(x):
    import keras
    return keras.ops.convert_to_numpy(x)


class SelfAttention(layers.MultiHeadAttention):
    """Called on one tensor (self-attention) or a list [query, value(, key)], so the shared contract applies."""

    def __call__(self, inputs, **kwargs):
        args = inputs if isinstance(inputs, list) else [inputs, inputs]
        return super().__call__(*args, **kwargs)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, list):
            return super().compute_output_shape(*query_shape)
        return super().compute_output_shape(query_shape, value_shape, key_shape)


# -- the fused op ---------------------------------------------------------------------------------

@pytest.mark.parametrize("masked,causal,groups", [(False, False, 1), (True, False, 1), (False, True, 1),
                                                  (True, True, 2)])
def test_dot_product_attention_gradients(masked, causal, groups):
    rng = np.random.default_rng(3)
    mask = rng.random((2, 1, 3, 4)) > 0.3 if masked else None
    kv_heads = 2 // groups
    check_gradients(lambda q, k, v, b: ops.dot_product_attention(q, k, v, bias=b, mask=mask, is_causal=causal,
                                                                 scale=0.7),
                    normal((2, 3, 2, 5)), normal((2, 4, kv_heads, 5), 1), normal((2, 4, kv_heads, 5), 2),
                    normal((1, 2, 3, 4), 3))


def test_dot_product_attention_as_keras(keras):
    q, k, v = normal((2, 3, 2, 5)), normal((2, 4, 2, 5), 1), normal((2, 4, 2, 5), 2)
    mask = np.random.default_rng(4).random((2, 2, 3, 4)) > 0.3
    for kwargs in ({}, {"mask": mask}, {"is_causal": True}, {"scale": 0.3, "bias": normal((2, 2, 3, 4), 5)}):
        ours = ops.dot_product_attention(q, k, v, **kwargs)
        theirs = keras.ops.dot_product_attention(q, k, v, **kwargs)
        np.testing.assert_allclose(np.asarray(ours), numpy_of(theirs), rtol=1e-5, atol=1e-6)


# -- EinsumDense ----------------------------------------------------------------------------------

EINSUM_CASES = [
    ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, (3, 5), (3, 4)),
    ({"equation": "abc,cde->abde", "output_shape": [None, 2, 3], "bias_axes": "de"}, (2, 4, 5), (2, 4, 2, 3)),
    ({"equation": "abcd,cde->abe", "output_shape": [None, 6], "bias_axes": "e"}, (2, 4, 2, 3), (2, 4, 6)),
    ({"equation": "abc,cd->abd", "output_shape": [None, 4], "bias_axes": None, "activation": "tanh"}, (2, 3, 5),
     (2, 3, 4)),
    ({"equation": "abc,bcd->ad", "output_shape": [4]}, (2, 3, 5), (2, 4)),  # a general einsum
    ({"equation": "...b,bc->...c", "output_shape": 4, "bias_axes": "c"}, (2, 3, 5), (2, 3, 4)),
]


@pytest.mark.parametrize("kwargs,in_shape,out_shape", EINSUM_CASES)
def test_einsum_dense_contract_and_keras(kwargs, in_shape, out_shape, keras):
    x = normal(in_shape)
    weights = 2 if kwargs.get("bias_axes") else 1
    run_layer_test(layers.EinsumDense, {**kwargs, "dtype": "float64"}, input_data=x.astype("float64"),
                   expected_output_shape=out_shape, expected_num_trainable_weights=weights)
    ours, theirs = layers.EinsumDense(**kwargs), keras.layers.EinsumDense(**kwargs)
    ours(x), theirs(x)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights([numpy_of(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(np.asarray(ours(x)), numpy_of(theirs(x)), rtol=1e-5, atol=1e-5)
    mine, keras_config = plain(ours.get_config()), plain(theirs.get_config())
    assert mine == keras_config


def test_einsum_dense_rejects_a_bad_equation():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        layers.EinsumDense("ab->c", output_shape=3)


# -- MultiHeadAttention ---------------------------------------------------------------------------

MHA_CASES = [
    {"num_heads": 2, "key_dim": 3},
    {"num_heads": 3, "key_dim": 2, "value_dim": 4, "use_bias": False},
    {"num_heads": 2, "key_dim": 3, "output_shape": [5]},
    {"num_heads": 2, "key_dim": 2, "use_gate": True},
]


@pytest.mark.parametrize("kwargs", MHA_CASES)
def test_multi_head_attention_contract(kwargs):
    x = normal((2, 3, 4), scale=0.5)
    out = run_layer_test(SelfAttention, {**kwargs, "dtype": "float64"}, input_data=x.astype("float64"),
                         gradient_rtol=1e-4, gradient_atol=1e-6)
    assert out.shape == (2, 3, kwargs.get("output_shape", [4])[0])


def test_multi_head_attention_contract_cross_attention_with_key():
    inputs = [normal((2, 3, 4), 1).astype("float64"), normal((2, 5, 6), 2).astype("float64"),
              normal((2, 5, 3), 3).astype("float64")]
    run_layer_test(SelfAttention, {"num_heads": 2, "key_dim": 3, "dtype": "float64"}, input_data=inputs,
                   expected_output_shape=(2, 3, 4), expected_num_trainable_weights=8)


def _pair(keras, seed=0, **kwargs):
    """An engine and a Keras MultiHeadAttention with the same (Keras's) weights."""
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    ours = layers.MultiHeadAttention(**kwargs)
    return ours, theirs


def _same(ours, theirs, *args, atol=2e-6, **kwargs):
    theirs_out = theirs(*args, **kwargs)
    ours(*args, **kwargs)
    ours.set_weights([numpy_of(w) for w in theirs.get_weights()])
    mine = ours(*args, **kwargs)
    for a, b in zip(mine if isinstance(mine, tuple) else [mine], theirs_out if isinstance(theirs_out, tuple)
                    else [theirs_out]):
        np.testing.assert_allclose(np.asarray(a), numpy_of(b), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("kwargs", MHA_CASES)
def test_multi_head_attention_as_keras(kwargs, keras):
    x = normal((2, 3, 4))
    ours, theirs = _pair(keras, **kwargs)
    _same(ours, theirs, x, x)
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    mine, keras_config = plain(ours.get_config()), plain(theirs.get_config())
    assert mine == keras_config


@pytest.mark.parametrize("call_kwargs", [{"use_causal_mask": True}, {"return_attention_scores": True},
                                         {"use_causal_mask": True, "return_attention_scores": True}])
def test_multi_head_attention_masks_and_scores_as_keras(call_kwargs, keras):
    q, v = normal((2, 4, 6)), normal((2, 4, 5), 1)
    mask = np.random.default_rng(5).random((2, 4, 4)) > 0.3
    mask[:, :, 0] = True  # every query attends to something
    ours, theirs = _pair(keras, num_heads=2, key_dim=3)
    _same(ours, theirs, q, v, **call_kwargs)
    _same(ours, theirs, q, v, attention_mask=mask, **call_kwargs)


def test_multi_head_attention_key_and_attention_axes_as_keras(keras):
    q, v, k = normal((2, 3, 4)), normal((2, 5, 6), 1), normal((2, 5, 2), 2)
    ours, theirs = _pair(keras, num_heads=2, key_dim=3)
    _same(ours, theirs, q, v, key=k)
    image = normal((2, 3, 2, 4), 3)  # attention over two axes of a (batch, h, w, channels) input
    ours, theirs = _pair(keras, num_heads=2, key_dim=2, attention_axes=(1, 2))
    _same(ours, theirs, image, image, return_attention_scores=True)


def test_multi_head_attention_padding_mask_from_embedding_as_keras(keras):
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 0]], "int32")
    table = normal((10, 4), 6)

    def model(lib):
        inputs = lib.Input((5,), dtype="int32")
        x = lib.layers.Embedding(10, 4, mask_zero=True)(inputs)
        y = lib.layers.MultiHeadAttention(2, 3, name="mha")(x, x)
        return lib.Model(inputs, lib.layers.GlobalAveragePooling1D()(y))

    theirs, ours = model(keras), model(engine)
    ours.set_weights([numpy_of(w) for w in theirs.get_weights()])
    ours.layers[1].set_weights([table])
    theirs.layers[1].set_weights([table])
    np.testing.assert_allclose(ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), atol=2e-6)


def test_multi_head_attention_in_a_functional_model_gives_scores_shape():
    x = engine.Input((5, 8))
    out, scores = layers.MultiHeadAttention(2, 4)(x, x, return_attention_scores=True)
    assert tuple(out.shape) == (None, 5, 8) and tuple(scores.shape) == (None, 2, 5, 5)
    model = engine.Model(x, [out, scores])
    got = model.predict(normal((3, 5, 8)), verbose=0)
    assert got[0].shape == (3, 5, 8) and got[1].shape == (3, 2, 5, 5)
    np.testing.assert_allclose(got[1].sum(-1), 1.0, rtol=1e-5)


def test_multi_head_attention_dropout_only_in_training():
    layer = layers.MultiHeadAttention(2, 3, dropout=0.5, seed=1)
    x = normal((2, 4, 6))
    np.testing.assert_array_equal(np.asarray(layer(x, x)), np.asarray(layer(x, x, training=False)))
    assert not np.allclose(np.asarray(layer(x, x, training=True)), np.asarray(layer(x, x)))


def test_multi_head_attention_errors_name_the_problem():
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(0, 2)
    with pytest.raises(ValueError, match="needs a `value`"):
        layers.MultiHeadAttention(2, 2)(normal((2, 3, 4)))
    with pytest.raises(ValueError, match="except the last one"):
        layers.MultiHeadAttention(2, 2)(normal((2, 3, 4)), normal((2, 5, 4)), key=normal((2, 6, 4)))


# -- Attention and AdditiveAttention ----------------------------------------------------------------

ATTENTION_CASES = [
    (layers.Attention, {}),
    (layers.Attention, {"use_scale": True}),
    (layers.Attention, {"score_mode": "concat", "use_scale": True}),
    (layers.AdditiveAttention, {}),
    (layers.AdditiveAttention, {"use_scale": False}),
]


@pytest.mark.parametrize("cls,kwargs", ATTENTION_CASES)
def test_attention_contract(cls, kwargs):
    q, v, k = normal((2, 3, 4), 1), normal((2, 5, 4), 2), normal((2, 5, 4), 3)
    run_layer_test(cls, kwargs, input_data=[q, v], expected_output_shape=(2, 3, 4))
    run_layer_test(cls, kwargs, input_data=[q, v, k], expected_output_shape=(2, 3, 4))


@pytest.mark.parametrize("cls,kwargs", ATTENTION_CASES)
def test_attention_as_keras(cls, kwargs, keras):
    q, v = normal((2, 3, 4), 1), normal((2, 5, 4), 2)
    q_mask, v_mask = np.array([[1, 1, 0], [1, 1, 1]], bool), np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    ours = cls(**kwargs)
    theirs([q, v]), ours([q, v])
    ours.set_weights([numpy_of(w) for w in theirs.get_weights()])
    for call in ({}, {"use_causal_mask": True}, {"mask": [q_mask, v_mask]}, {"return_attention_scores": True}):
        a, b = ours([q, v], **call), theirs([q, v], **call)
        for x, y in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
            np.testing.assert_allclose(np.asarray(x), numpy_of(y), rtol=1e-5, atol=1e-6)
    assert plain(ours.get_config()) == plain(theirs.get_config())


def test_attention_needs_a_list():
    with pytest.raises(ValueError, match="must be called on a list of inputs"):
        layers.Attention()(normal((2, 3, 4)))
