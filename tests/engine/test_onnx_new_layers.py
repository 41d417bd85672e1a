"""ONNX export of the activation layers, Identity, EinsumDense and the attention layers: onnx.checker passes and
onnxruntime matches `predict`; what cannot be exported (padding masks, causal masks over unknown lengths)
fails before anything is written, naming the layer."""

from __future__ import annotations

import numpy as np
import pytest
from test_onnx_export import check_export, normal, sequential

import engine
from engine import layers
from engine.export import ONNXExportError, export_onnx

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("layer", [
    layers.ReLU(), layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.3), layers.LeakyReLU(),
    layers.ELU(alpha=0.7), layers.Softmax(), layers.Softmax(axis=1), layers.Softmax(axis=[1, 2]), layers.Identity(),
    layers.PReLU(alpha_initializer="glorot_uniform"), layers.PReLU(shared_axes=[1], alpha_initializer="ones"),
], ids=lambda layer: type(layer).__name__)
def test_activation_layers(layer, tmp_path):
    check_export(sequential((3, 4), layers.Dense(4), layer), normal((5, 3, 4), scale=2.0), tmp_path)


@pytest.mark.parametrize("kwargs,shape", [
    ({"equation": "abc,cde->abde", "output_shape": [None, 2, 3], "bias_axes": "de"}, (3, 4)),
    ({"equation": "...b,bc->...c", "output_shape": 5, "bias_axes": "c", "activation": "tanh"}, (3, 4)),
    ({"equation": "abc,bcd->ad", "output_shape": [6]}, (3, 4)),
])
def test_einsum_dense(kwargs, shape, tmp_path):
    check_export(sequential(shape, layers.EinsumDense(**kwargs)), normal((5, *shape)), tmp_path)


def attention_model(call_kwargs=None, layer_kwargs=None, with_key=False, scores=False):
    q, v = engine.Input((5, 4)), engine.Input((6, 3))
    inputs = [q, v]
    kwargs = dict(call_kwargs or {})
    if with_key:
        k = engine.Input((6, 2))
        inputs.append(k)
        kwargs["key"] = k
    out = layers.MultiHeadAttention(2, 3, **(layer_kwargs or {}))(q, v, return_attention_scores=scores, **kwargs)
    return engine.Model(inputs, list(out) if scores else out)


@pytest.mark.parametrize("case", ["plain", "key", "causal", "scores", "gate_no_bias", "output_shape"])
def test_multi_head_attention(case, tmp_path):
    model = attention_model(
        call_kwargs={"use_causal_mask": True} if case == "causal" else None,
        layer_kwargs={"gate_no_bias": {"use_gate": True, "use_bias": False},
                      "output_shape": {"output_shape": 7, "value_dim": 2}}.get(case),
        with_key=case == "key", scores=case == "scores")
    data = [normal((4, 5, 4), 1), normal((4, 6, 3), 2)] + ([normal((4, 6, 2), 3)] if case == "key" else [])
    check_export(model, data, tmp_path)


def test_multi_head_attention_with_an_attention_mask_input(tmp_path):
    q, mask = engine.Input((5, 4)), engine.Input((5, 5), dtype="bool")
    model = engine.Model([q, mask], layers.MultiHeadAttention(2, 3)(q, q, attention_mask=mask))
    keep = np.random.default_rng(0).random((4, 5, 5)) > 0.3
    keep[..., 0] = True
    check_export(model, [normal((4, 5, 4)), keep], tmp_path)


@pytest.mark.parametrize("layer", [layers.Attention(), layers.Attention(use_scale=True, score_mode="concat"),
                                   layers.AdditiveAttention(), layers.AdditiveAttention(use_scale=False)],
                         ids=["dot", "concat", "additive", "additive_unscaled"])
@pytest.mark.parametrize("causal", [False, True])
def test_attention(layer, causal, tmp_path):
    q, v = engine.Input((5, 4)), engine.Input((5, 4))
    model = engine.Model([q, v], layer([q, v], use_causal_mask=causal))
    check_export(model, [normal((3, 5, 4), 1), normal((3, 5, 4), 2)], tmp_path)


def test_padding_masks_are_refused_by_name(tmp_path):
    tokens = engine.Input((5,), dtype="int32")
    x = layers.Embedding(10, 4, mask_zero=True)(tokens)
    model = engine.Model(tokens, layers.Attention(name="att")([x, x]))
    with pytest.raises(ONNXExportError, match="mask_zero=True makes a padding mask"):
        export_onnx(model, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_a_causal_mask_needs_known_lengths(tmp_path):
    x = engine.Input((None, 4))
    model = engine.Model(x, layers.MultiHeadAttention(2, 3, name="mha")(x, x, use_causal_mask=True))
    with pytest.raises(ONNXExportError, match="'mha'.*known sequence lengths"):
        export_onnx(model, tmp_path / "m.onnx")


@pytest.mark.parametrize("layer", [
    layers.GroupNormalization(groups=2, gamma_initializer="glorot_uniform", beta_initializer="glorot_uniform"),
    layers.GroupNormalization(groups=-1, axis=1), layers.UnitNormalization(), layers.UnitNormalization(axis=[1, 2]),
    layers.TimeDistributed(layers.Dense(3, activation="relu")),
], ids=lambda layer: type(layer).__name__)
def test_normalization_and_wrappers(layer, tmp_path):
    check_export(sequential((3, 4), layers.Dense(4), layer), normal((5, 3, 4), scale=2.0), tmp_path)


def test_lambda_is_named_as_not_exportable(tmp_path):
    model = sequential((3,), layers.Lambda(lambda x: x * 2, name="doubler"))
    with pytest.raises(ONNXExportError, match="'doubler' \\(Lambda: it runs a Python function"):
        export_onnx(model, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())
