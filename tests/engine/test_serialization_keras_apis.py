"""Keras's serialization APIs: to_json / model_from_json, non-layer objects, layers inside a custom layer's
config, configs without a name, registered functions inside configs."""

import json
import os

import numpy as np
import pytest

import engine

os.environ.setdefault("KERAS_BACKEND", "torch")


class Wrapper(engine.layers.Layer):
    """A custom layer holding another layer, as Keras's guide writes it (explicit from_config)."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, x):
        return self.inner(x)

    def get_config(self):
        return {**super().get_config(), "inner": self.inner}

    @classmethod
    def from_config(cls, config):
        config["inner"] = engine.saving.deserialize_keras_object(config["inner"])
        return cls(**config)


def test_a_layer_inside_a_custom_layers_config_round_trips_through_json():
    layer = Wrapper(engine.layers.Dense(2, activation="tanh"), name="wrapper")
    config = json.loads(json.dumps(engine.saving.serialize_keras_object(layer)))
    assert config["config"]["inner"]["class_name"] == "Dense"
    rebuilt = engine.saving.deserialize_keras_object(config, custom_objects={"Wrapper": Wrapper})
    assert isinstance(rebuilt.inner, engine.layers.Dense) and rebuilt.inner.units == 2 and rebuilt.name == "wrapper"


def test_a_custom_config_without_a_name_gets_one():
    class Scale(engine.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    rebuilt = engine.saving.deserialize_keras_object(engine.saving.serialize_keras_object(Scale(3.0)),
                                                     custom_objects={"Scale": Scale})
    assert rebuilt.factor == 3.0 and rebuilt.name.startswith("scale")


@pytest.mark.parametrize("make", [
    lambda: engine.optimizers.Adam(learning_rate=0.003, beta_1=0.8),
    lambda: engine.losses.Huber(delta=2.0),
    lambda: engine.metrics.AUC(num_thresholds=50),
    lambda: engine.initializers.HeNormal(seed=1),
    lambda: engine.regularizers.L2(0.1),
    lambda: engine.constraints.MaxNorm(2.0),
])
def test_non_layer_objects_deserialize(make):
    original = make()
    config = json.loads(json.dumps(engine.saving.serialize_keras_object(original)))
    rebuilt = engine.saving.deserialize_keras_object(config)
    assert type(rebuilt) is type(original) and rebuilt.get_config() == original.get_config()
    keras = pytest.importorskip("keras")
    theirs = keras.saving.deserialize_keras_object(config)
    assert type(theirs).__name__ == type(original).__name__


def test_a_function_config_deserializes():
    relu = engine.saving.deserialize_keras_object(
        {"module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"})
    assert relu is engine.activations.relu


def test_to_json_and_model_from_json_both_ways_with_keras():
    model = engine.Sequential([engine.Input((3,)), engine.layers.Dense(4, activation="relu"), engine.layers.Dense(1)])
    rebuilt = engine.models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in rebuilt.layers] == ["Dense", "Dense"]
    with pytest.raises(ValueError, match="not valid JSON"):
        engine.models.model_from_json("{broken")
    keras = pytest.importorskip("keras")
    theirs = keras.models.model_from_json(model.to_json())
    theirs.set_weights(model.get_weights())
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    back = engine.models.model_from_json(theirs.to_json())
    back.set_weights(model.get_weights())
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_a_registered_function_inside_a_config_survives_a_keras_round_trip(tmp_path):
    @engine.saving.register_keras_serializable(package="guide", name="squash")
    def squash(x):
        return x / (1.0 + engine.ops.abs(x))

    model = engine.Sequential([engine.Input((3,)), engine.layers.Dense(2, activation=squash)])
    assert model.layers[0].get_config()["activation"] == {"module": "builtins", "class_name": "function",
                                                           "config": "guide>squash", "registered_name": "function"}
    path = tmp_path / "squash.keras"
    model.save(path)
    assert engine.saving.load_model(path).layers[0].activation is squash
    keras = pytest.importorskip("keras")

    @keras.saving.register_keras_serializable(package="guide", name="squash")
    def keras_squash(x):
        return x / (1.0 + keras.ops.abs(x))

    x = np.linspace(-2, 2, 9, dtype="float32").reshape(3, 3)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
