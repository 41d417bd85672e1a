"""One helper every layer test uses: build, call, shapes, weights, config round-trip, gradients, a training step."""

from __future__ import annotations

import numpy as np
from gradcheck import numeric_gradient

from engine import ops
from engine.autodiff import Tensor, gradients
from engine.layers import Input
from engine.variables import Variable


def run_layer_test(layer_cls, init_kwargs: dict, input_shape=None, input_data=None, expected_output_shape=None,
                   expected_num_trainable_weights: int | None = None,
                   expected_num_non_trainable_weights: int | None = None, check_gradients: bool = True,
                   gradient_rtol: float = 1e-4, gradient_atol: float = 1e-5, seed: int = 0, training: bool = False):
    """Checks the Keras layer contract and returns the layer's output on `input_data`.

    - the layer builds on its first input and the output has `expected_output_shape`;
    - `compute_output_shape` and a symbolic call (`Input`) agree with the real output shape;
    - weight counts as expected; `get_config` -> `from_config` gives a layer with the same output
      once the weights are copied;
    - the gradients of the output (w.r.t. the input and every trainable weight) equal central differences
      in float64;
    - one gradient step on the weights lowers a simple loss.
    """
    rng = np.random.default_rng(seed)
    if input_data is None:
        input_data = rng.normal(size=input_shape).astype("float32")
    inputs = input_data if isinstance(input_data, list) else [input_data]
    input_shapes = [tuple(np.shape(x)) for x in inputs]
    call_arg = inputs if isinstance(input_data, list) else inputs[0]

    layer = layer_cls(**init_kwargs)
    output = layer(call_arg, training=training) if layer._call_has_training_arg else layer(call_arg)
    out_value = np.asarray(output)
    assert layer.built, "the layer must be built after its first call"
    if expected_output_shape is not None:
        assert out_value.shape == tuple(expected_output_shape), f"output shape {out_value.shape}"

    declared = layer.compute_output_shape(input_shapes if isinstance(input_data, list) else input_shapes[0])
    assert tuple(declared) == out_value.shape, f"compute_output_shape {declared} != real {out_value.shape}"

    symbolic_inputs = [Input(batch_shape=(None, *s[1:]), dtype=str(np.asarray(x).dtype))
                       for s, x in zip(input_shapes, inputs)]
    fresh = layer_cls(**init_kwargs)
    symbolic = fresh(symbolic_inputs if isinstance(input_data, list) else symbolic_inputs[0])
    assert tuple(symbolic.shape)[1:] == out_value.shape[1:], f"symbolic shape {symbolic.shape}"

    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    assert layer.count_params() == sum(w.size for w in layer.weights)

    config = layer.get_config()
    clone = layer_cls.from_config(config)
    clone(call_arg)
    clone.set_weights(layer.get_weights())
    assert clone.get_config() == config or _same_except_name(clone.get_config(), config)
    clone_out = clone(call_arg, training=training) if clone._call_has_training_arg else clone(call_arg)
    if not training:
        np.testing.assert_allclose(np.asarray(clone_out), out_value, rtol=1e-6, atol=1e-6)

    if check_gradients and not training:
        _check_layer_gradients(layer, inputs, isinstance(input_data, list), rng, gradient_rtol, gradient_atol)
    if layer.trainable_weights and not training:
        _check_training_step(layer, call_arg)
    return out_value


def _same_except_name(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "name"} == {k: v for k, v in b.items() if k != "name"}


def _check_layer_gradients(layer, inputs, is_list: bool, rng, rtol, atol) -> None:
    """Autodiff vs central differences in float64, for float inputs and every trainable weight."""
    originals = [w.value for w in layer.weights]
    old_dtype = layer.dtype
    for w in layer.weights:
        w.value = w.value.astype(np.float64)
    layer.dtype = "float64"
    try:
        values = [np.asarray(x).astype(np.float64) if np.asarray(x).dtype.kind == "f" else np.asarray(x)
                  for x in inputs]
        probe = layer(values if is_list else values[0])
        projection = rng.normal(size=np.shape(probe))

        def f(*xs):
            return layer(list(xs) if is_list else xs[0])

        variables = [Variable(v, dtype=v.dtype) if v.dtype.kind == "f" else Tensor(v) for v in values]
        out = f(*variables)
        sources = variables + layer.trainable_weights
        grads = gradients(out, sources, output_gradient=projection)
        for i, v in enumerate(values):
            if v.dtype.kind != "f":
                continue
            expected = numeric_gradient(lambda *xs: f(*xs), values, i, projection)
            actual = grads[i] if grads[i] is not None else np.zeros_like(v)
            np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=f"input {i} gradient")
        for j, w in enumerate(layer.trainable_weights):
            expected = numeric_gradient(lambda wv: f(*values), [w.value], 0, projection)
            actual = grads[len(values) + j]
            actual = np.zeros_like(w.value) if actual is None else actual
            np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=f"weight {w.path} gradient")
    finally:
        layer.dtype = old_dtype
        for w, value in zip(layer.weights, originals):
            w.value = value


def _check_training_step(layer, call_arg) -> None:
    """A small step against the gradient of mean(output**2) lowers it."""
    def loss():
        return ops.mean(ops.square(layer(call_arg)))

    before = loss()
    grads = gradients(before, layer.trainable_weights)
    assert all(g is not None for g in grads), "every trainable weight must receive a gradient"
    norm = sum(float(np.sum(g * g)) for g in grads)
    if norm == 0:
        return
    saved = layer.get_weights()
    for w, g in zip(layer.trainable_weights, grads):
        w.value -= (1e-3 / np.sqrt(norm)) * g.astype(w.dtype)
    after = float(np.asarray(loss()))
    layer.set_weights(saved)
    assert after < float(np.asarray(before)) + 1e-7, "a gradient step should lower the loss"
