"""`FeatureSpace`: one preprocessing recipe for a dict of columns, as Keras's `keras.utils.FeatureSpace`.

Each named feature gets a type (`float_normalized`, `string_categorical`, ...) and so a preprocessing
layer; `adapt` fits them all on a dict of columns (in batches of 32 rows, as Keras's tf.data pipeline
feeds them, so streamed statistics match Keras's). `get_inputs()` and `get_encoded_features()` give the
symbolic inputs and encoded features to build a model that takes raw columns; calling the feature space
on a dict of arrays encodes them eagerly. Categorical features are encoded with a multi-hot
`CategoryEncoding` of their vocabulary size, features are ordered by name, then the crosses by name (each a
`HashedCrossing` of its features' preprocessed values, named `a_X_b`), then concatenated or kept in a dict.
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor
from engine.layers.core.input_layer import Input
from engine.layers.layer import Layer
from engine.layers.merging.concatenate import Concatenate
from engine.layers.normalization.normalization import Normalization
from engine.layers.preprocessing.base import value_of
from engine.layers.preprocessing.category_encoding import CategoryEncoding
from engine.layers.preprocessing.discretization import Discretization
from engine.layers.preprocessing.hashed_crossing import HashedCrossing
from engine.layers.preprocessing.hashing import Hashing
from engine.layers.preprocessing.index_lookup import IndexLookup
from engine.layers.preprocessing.integer_lookup import IntegerLookup
from engine.layers.preprocessing.rescaling import Rescaling
from engine.layers.preprocessing.string_lookup import StringLookup

_ADAPT_BATCH = 32  # Keras batches unbatched feature columns by 32 before adapting
_KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"


class TFDConcat(Concatenate):
    """Keras's private concatenation of a FeatureSpace's features (same name, module and config as Keras's)."""

    _keras_private_module = _KERAS_MODULE

    def get_config(self) -> dict:
        return {"name": self.name, "axis": self.axis, "trainable": self.trainable,
                "dtype": super().get_config()["dtype"]}


class TFDIdentity(Layer):
    """Keras's private pass-through preprocessor of `float` features."""

    _keras_private_module = _KERAS_MODULE

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _output_dtype(self, inputs) -> str:
        return getattr(inputs, "dtype", self.dtype)


class Cross:
    """A feature cross: the features it combines, the size of its hashed space and its output mode."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                             f"Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict:
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config: dict) -> Cross:
        return cls(**config)


class Feature:
    """One feature's input dtype, preprocessing layer and output mode (`int`, `one_hot` or `float`)."""

    def __init__(self, dtype: str, preprocessor: Layer | None, output_mode: str):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot', 'float'}. "
                             f"Received: output_mode={output_mode}")
        if isinstance(preprocessor, dict):
            from engine.saving.serialization_lib import deserialize_keras_object
            preprocessor = deserialize_keras_object(preprocessor)
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict:
        from engine.saving.serialization_lib import serialize_keras_object
        return {"dtype": self.dtype, "preprocessor": serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config: dict) -> Feature:
        return cls(**config)


class FeatureSpace(Layer):
    """Preprocessing for a dict of columns: `FeatureSpace(features={"age": "float_normalized", ...})`."""

    # -- feature types ---------------------------------------------------------------------------
    @classmethod
    def feature(cls, dtype: str, preprocessor, output_mode: str) -> Feature:
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name: str | None = None) -> Feature:
        name = name or backend.unique_name("float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name: str | None = None) -> Feature:
        name = name or backend.unique_name("float_rescaled")
        return Feature("float32", Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name: str | None = None) -> Feature:
        name = name or backend.unique_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None) -> Feature:
        name = name or backend.unique_name("float_discretized")
        return Feature("float32", Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                                 name=f"{name}_preprocessor"), output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None) -> Feature:
        name = name or backend.unique_name("integer_categorical")
        return Feature("int32", IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                              num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None) -> Feature:
        name = name or backend.unique_name("string_categorical")
        return Feature("string", StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                              num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None) -> Feature:
        name = name or backend.unique_name("string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None) -> Feature:
        name = name or backend.unique_name("integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot") -> Cross:
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    # -- building --------------------------------------------------------------------------------
    def __init__(self, features: dict, output_mode: str = "concat", crosses=None, crossing_dim: int = 32,
                 hashing_dim: int = 32, num_discretization_bins: int = 32, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if output_mode not in {"dict", "concat"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                             f"Received: output_mode={output_mode}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {name: self._standardize_feature(name, value) for name, value in features.items()}
        self.preprocessors = {name: f.preprocessor for name, f in self.features.items()}
        self.crosses = [self._standardize_cross(cross, crossing_dim) for cross in crosses or []]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.crossers = {cross.name: HashedCrossing(cross.crossing_dim, name=cross.name) for cross in self.crosses}
        self.one_hot_encoders: dict[str, CategoryEncoding] = {}
        self.concat = TFDConcat(axis=-1) if output_mode == "concat" else None
        self.inputs = None
        self.encoded_features = None
        self._is_adapted = False

    def _standardize_feature(self, name: str, feature) -> Feature:
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature.get("config", feature))
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(name=name, num_bins=self.num_discretization_bins),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if feature not in makers:
            raise ValueError(f"Invalid feature type: {feature} (feature '{name}'). Expected one of {sorted(makers)}.")
        return makers[feature]()

    def _standardize_cross(self, cross, crossing_dim) -> Cross:
        if isinstance(cross, dict):
            return Cross.from_config(cross.get("config", cross))
        if isinstance(cross, Cross):
            return cross
        if not crossing_dim:
            raise ValueError("When specifying `crosses`, the argument `crossing_dim` (dimensionality of the crossing "
                             f"space) should be specified and be an int. Received: crossing_dim={crossing_dim}")
        unknown = [name for name in cross if name not in self.features]
        if unknown:
            raise ValueError("All features referenced in the `crosses` argument should be present in the `features` "
                             f"dict. Received unknown features: {cross}")
        return Cross(cross, crossing_dim=crossing_dim)

    def _adaptable(self) -> list[str]:
        names = []
        for name, preprocessor in self.preprocessors.items():
            if isinstance(preprocessor, Normalization) and preprocessor.input_mean is not None:
                continue
            if isinstance(preprocessor, IndexLookup) and preprocessor._has_input_vocabulary:
                continue
            if isinstance(preprocessor, Discretization) and preprocessor.num_bins is None:
                continue
            if hasattr(preprocessor, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset: dict) -> None:
        """Fit every feature's preprocessing on a dict of columns (arrays or lists, one value per row)."""
        if not isinstance(dataset, dict):
            raise ValueError("`adapt()` can only be called on a dict of arrays/lists. Received instead: "
                             f"{type(dataset).__name__}")
        missing = [name for name in self._adaptable() if name not in dataset]
        if missing:
            raise ValueError(f"`adapt()` needs a column for every feature; missing {missing} "
                             f"(received {sorted(dataset)}).")
        for name in self._adaptable():
            column = np.asarray(value_of(dataset[name]))
            if column.ndim <= 1:
                column = column.reshape(-1, 1)
            batches = (column[i:i + _ADAPT_BATCH] for i in range(0, len(column), _ADAPT_BATCH))
            self.preprocessors[name].adapt(batches)
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True

    def _check_if_adapted(self) -> None:
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
                                 "using it.")
            self._is_adapted = True

    def get_inputs(self) -> dict:
        """One `Input(shape=(1,))` per feature, named after it, with the feature's dtype."""
        self._check_if_adapted()
        if self.inputs is None:
            self.inputs = {name: Input(shape=(1,), dtype=f.dtype, name=name) for name, f in self.features.items()}
        return self.inputs

    def get_encoded_features(self):
        """The symbolic encoded features of `get_inputs()`: one tensor (concat) or a dict."""
        if self.encoded_features is None:
            self.encoded_features = self._encode(self.get_inputs())
        return self.encoded_features

    def _encoder(self, name: str) -> CategoryEncoding | None:
        feature = self.features.get(name) or self.crosses_by_name[name]
        if feature.output_mode != "one_hot":
            return None
        if name not in self.one_hot_encoders:
            preprocessor = self.preprocessors.get(name) or self.crossers[name]
            if isinstance(preprocessor, IndexLookup):
                cardinality = preprocessor.vocabulary_size()
            elif isinstance(preprocessor, (Discretization, Hashing, HashedCrossing)):
                cardinality = preprocessor.num_bins
            elif isinstance(preprocessor, CategoryEncoding):
                cardinality = preprocessor.num_tokens
            else:
                raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature "
                                 "and the dimensionality of its output space is not known, thus it cannot be one-hot "
                                 "encoded. Try using `output_mode='int'`.")
            self.one_hot_encoders[name] = CategoryEncoding(num_tokens=cardinality, output_mode="multi_hot")
        return self.one_hot_encoders[name]

    def _encode(self, columns: dict):
        preprocessed = {name: self.preprocessors[name](columns[name]) for name in sorted(self.features)}
        crossed = {cross.name: self.crossers[cross.name]([preprocessed[n] for n in cross.feature_names])
                   for cross in sorted(self.crosses, key=lambda c: c.name)}
        encoded = {}
        for name, value in [*preprocessed.items(), *crossed.items()]:
            encoder = self._encoder(name)
            encoded[name] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        return self.concat(list(encoded.values()))

    def __call__(self, data: dict):
        """Encode a dict of columns (arrays or lists; 1-D columns are one value per row)."""
        self._check_if_adapted()
        self.get_encoded_features()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict. Received: data of type "
                             f"{type(data).__name__}")
        columns = {}
        single_row = False
        for name in self.features:
            if name not in data:
                raise ValueError(f"The FeatureSpace needs a column '{name}'; received {sorted(data)}.")
            column = np.asarray(value_of(data[name]))
            if column.ndim == 0:
                column, single_row = column.reshape(1, 1), True
            elif column.ndim == 1:
                column = column.reshape(-1, 1)
            if self.features[name].dtype == "float32" and column.dtype.kind in "iuf":
                column = column.astype("float32")
            columns[name] = Tensor(column)
        out = self._encode(columns)
        if single_row:
            if isinstance(out, dict):
                return {k: Tensor(v.value[0]) if v.ndim == 2 else v for k, v in out.items()}
            return Tensor(out.value[0])
        return out

    def get_config(self) -> dict:
        return {"features": {name: {"module": "keras.src.layers.preprocessing.feature_space", "class_name": "Feature",
                                    "config": f.get_config(), "registered_name": "Feature"}
                             for name, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [{"module": _KERAS_MODULE, "class_name": "Cross", "config": c.get_config(),
                             "registered_name": "Cross"} for c in self.crosses],
                "crossing_dim": self.crossing_dim,
                "hashing_dim": self.hashing_dim, "num_discretization_bins": self.num_discretization_bins}

    def get_build_config(self) -> dict | None:
        return None
