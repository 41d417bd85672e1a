"""ONNX converters, one module per layer family; importing this package registers them all."""

from engine.export.layers import (  # noqa: F401
    activation_layers,
    attention,
    convolution,
    core,
    hashing,
    image,
    merging,
    models,
    normalization,
    pooling,
    preprocessing,
    recurrent,
    reshaping,
    text,
    wrappers,
)
