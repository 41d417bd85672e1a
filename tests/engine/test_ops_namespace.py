"""`engine.ops` lists its ops and nothing else (no NumPy, no `math`, no autodiff helpers), and where a name is also
in `keras.ops` it is the same kind of thing there."""

import types

import pytest

import engine.ops

# Ops of the engine that `keras.ops` does not have: the fused layer paths and their building blocks.
ENGINE_ONLY = {"dense", "dropout", "masked_softmax", "mish", "normalize_batch"}
NAMESPACES = {"image", "linalg", "nn"}  # as in keras.ops


def test_dir_lists_ops_and_keras_s_namespaces_only():
    names = dir(engine.ops)
    assert not {"np", "math", "make", "Tensor", "annotations", "backend", "value_of", "can_fuse"} & set(names)
    modules = {n for n in names if isinstance(getattr(engine.ops, n), types.ModuleType)}
    assert modules == NAMESPACES
    assert all(callable(getattr(engine.ops, n)) for n in set(names) - NAMESPACES)
    assert engine.ops.math.__name__ == "engine.ops.math"  # the op module, not Python's math
    star: dict = {}
    exec("from engine.ops import *", star)
    assert set(star) - {"__builtins__"} == set(names)


def test_names_shared_with_keras_ops_are_the_same_kind_and_the_rest_are_known():
    keras = pytest.importorskip("keras")
    ours = set(dir(engine.ops))
    theirs = {n for n in dir(keras.ops) if not n.startswith("_")}
    for name in ours & theirs:
        mine, keras_one = getattr(engine.ops, name), getattr(keras.ops, name)
        assert isinstance(mine, types.ModuleType) == isinstance(keras_one, types.ModuleType), name
        assert callable(mine) == callable(keras_one), name
    assert ours - theirs == ENGINE_ONLY
