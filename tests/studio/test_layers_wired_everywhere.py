"""Every public engine layer is wired everywhere: exported in `engine.layers.__all__`, offered in the palette (or
listed as deliberately absent, with the reason), exportable to ONNX (or refused with a stated reason), covered by
a layer test, and its config round-trips. A new layer file that misses one of these fails here, by name."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

import engine
from engine import layers
from engine.export.registry import converter_for, refusal_for
from studio.document.catalog import NOT_IN_PALETTE, NOT_ON_CANVAS, layer_types

TESTS = Path(__file__).resolve().parents[1]

#: Public layer classes that are not layers a model calls on its own: checked for export, nothing else.
NOT_CALLED_ALONE = {"Layer": "the base class", "InputLayer": "a model input, written as the ONNX graph's input"}

#: Configs for layers the palette does not build (required arguments), to check their round trip.
EXAMPLES = {
    "Lambda": lambda: layers.Lambda(lambda x: x, output_shape=(3,)),
    "RNN": lambda: layers.RNN(layers.SimpleRNNCell(3)),
    "SimpleRNNCell": lambda: layers.SimpleRNNCell(3),
    "LSTMCell": lambda: layers.LSTMCell(3),
    "GRUCell": lambda: layers.GRUCell(3),
    "TimeDistributed": lambda: layers.TimeDistributed(layers.Dense(3)),
    "StringLookup": lambda: layers.StringLookup(vocabulary=["a", "b"]),
    "IntegerLookup": lambda: layers.IntegerLookup(vocabulary=[1, 2]),
    "TextVectorization": lambda: layers.TextVectorization(max_tokens=10),
    "Hashing": lambda: layers.Hashing(num_bins=4),
    "HashedCrossing": lambda: layers.HashedCrossing(num_bins=4),
}


def public_layer_classes() -> dict[str, type]:
    """Every public Layer subclass defined in a module under engine/layers (exported or not)."""
    found = {}
    root = Path(layers.__file__).parent
    for path in sorted(root.rglob("*.py")):
        module = importlib.import_module(".".join(("engine", "layers", *path.relative_to(root).with_suffix("").parts)))
        for name, cls in vars(module).items():
            if (inspect.isclass(cls) and issubclass(cls, layers.Layer) and cls.__module__ == module.__name__
                    and not name.startswith("_") and not name.startswith("Base") and not inspect.isabstract(cls)):
                found[name] = cls
    return found


CLASSES = public_layer_classes()


def test_every_public_layer_class_is_exported():
    assert "Dense" in CLASSES and "MultiHeadAttention" in CLASSES  # the walk itself works
    exported = set(layers.__all__)
    missing = sorted(name for name in CLASSES if name not in exported and not _internal(CLASSES[name]))
    assert not missing, f"add {missing} to engine/layers/__init__.py (import and __all__)"
    for name in CLASSES:
        if name in exported:
            assert getattr(layers, name) is CLASSES[name]


#: Public classes a layer family shares between its layers (not layers a user makes), and why.
FAMILY_MACHINERY = {
    "ConvLayerBase": "the arguments and call every convolution layer shares",
    "FusedCell": "the base of the built-in recurrent cells",
    "Merge": "the base of the merge layers",
    "PreprocessingLayer": "the base of the preprocessing layers (raw inputs, no gradients)",
    "IndexLookup": "the base of StringLookup and IntegerLookup, as in Keras",
    "FeatureSpace": "Keras's keras.utils.FeatureSpace, exported from engine.utils",
    "TFDConcat": "Keras's private piece of a FeatureSpace",
    "TFDIdentity": "Keras's private piece of a FeatureSpace",
}


def _internal(cls) -> bool:
    return cls.__name__ in FAMILY_MACHINERY


EXPORTED = sorted(n for n in layers.__all__ if inspect.isclass(getattr(layers, n)) and
                  issubclass(getattr(layers, n), layers.Layer) and getattr(layers, n).__name__ == n)


@pytest.mark.parametrize("name", EXPORTED)
def test_in_the_palette_or_absent_for_a_reason(name):
    palette = layer_types()
    if name in palette:
        assert palette[name].summary, f"{name} needs a one-line docstring for the palette"
        return
    reason = NOT_IN_PALETTE.get(name) or NOT_ON_CANVAS.get(name)
    assert reason, (f"{name} is not in the palette (its starting config fails?) and not listed in "
                    "studio/document/catalog.py NOT_IN_PALETTE with the reason")


def _example(name: str):
    if name in layer_types():
        return layer_types()[name].create(layer_types()[name].default_config(), f"probe_{name.lower()}")
    return EXAMPLES[name]()


@pytest.mark.parametrize("name", EXPORTED)
def test_onnx_converter_or_a_stated_reason(name):
    if name in NOT_CALLED_ALONE:
        return
    layer = _example(name)
    assert converter_for(layer) is not None or refusal_for(layer), (
        f"{name} has no ONNX converter (engine/export/layers/) and no `refuses({name}, reason)`")


def _test_sources(contract_only: bool) -> str:
    texts = []
    for path in sorted((TESTS / "engine").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if "run_layer_test" in text or not contract_only:
            texts.append(text)
    return "\n".join(texts)


CONTRACT_TESTS, ALL_TESTS = _test_sources(True), _test_sources(False)


@pytest.mark.parametrize("name", EXPORTED)
def test_has_a_layer_test(name):
    """Layers with float outputs go through run_layer_test (gradients included); preprocessing layers (lookups,
    hashing: no gradients) need a test file of their own."""
    if name in NOT_CALLED_ALONE:
        return
    preprocessing = ".preprocessing." in getattr(layers, name).__module__
    sources = ALL_TESTS if preprocessing else CONTRACT_TESTS
    assert re.search(rf"\b{name}\b", sources), (
        f"{name} is named in no test file under tests/engine" + ("" if preprocessing else " that uses run_layer_test"))


def _plain(config: dict) -> dict:
    return json.loads(json.dumps({k: v for k, v in config.items() if k != "name"}, default=str))


@pytest.mark.parametrize("name", EXPORTED)
def test_config_round_trips(name):
    if name in NOT_CALLED_ALONE:
        return
    layer = _example(name)
    config = layer.get_config()
    again = type(layer).from_config(json.loads(json.dumps(config))) if name != "Lambda" else \
        type(layer).from_config(config, safe_mode=False)
    if name == "Lambda":  # the function is a new object made from the same code: it computes the same
        assert again.function(3.0) == layer.function(3.0)
        config, again_config = dict(config), again.get_config()
        config.pop("function"), again_config.pop("function")
        assert _plain(again_config) == _plain(config)
        return
    assert _plain(again.get_config()) == _plain(config)


def test_the_engine_version_is_there():
    assert engine.__version__
