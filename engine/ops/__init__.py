"""`engine.ops`: the differentiable operations, named as in `keras.ops`."""

from importlib import import_module as _import

from engine.ops import image  # noqa: F401  (keras.ops.image: affine_transform)
from engine.ops.arrangement import *  # noqa: F401,F403
from engine.ops.array import *  # noqa: F401,F403
from engine.ops.attention import *  # noqa: F401,F403
from engine.ops.construction import *  # noqa: F401,F403
from engine.ops.control_flow import *  # noqa: F401,F403
from engine.ops.conv import *  # noqa: F401,F403
from engine.ops.core import *  # noqa: F401,F403
from engine.ops.core import value_of  # noqa: F401
from engine.ops.einops import *  # noqa: F401,F403
from engine.ops.elementwise import *  # noqa: F401,F403
from engine.ops.linalg import *  # noqa: F401,F403
from engine.ops.math import *  # noqa: F401,F403
from engine.ops.nn import *  # noqa: F401,F403
from engine.ops.nn import can_fuse  # noqa: F401  (a helper of the layers, not an op)
from engine.ops.nn_more import *  # noqa: F401,F403
from engine.ops.normalization import *  # noqa: F401,F403
from engine.ops.patches import *  # noqa: F401,F403
from engine.ops.pooling import *  # noqa: F401,F403
from engine.ops.products import *  # noqa: F401,F403
from engine.ops.signal import *  # noqa: F401,F403
from engine.ops.statistics import *  # noqa: F401,F403
from engine.ops.symbolic_calls import install as _install_symbolic_calls  # noqa: E402
from engine.ops.transposed_conv import *  # noqa: F401,F403
from engine.ops.updates import *  # noqa: F401,F403

_OP_MODULES = ("arrangement", "array", "attention", "construction", "control_flow", "conv", "core", "einops",
               "elementwise", "linalg", "math", "nn", "nn_more", "normalization", "patches", "pooling", "products",
               "signal", "statistics", "transposed_conv", "updates")
# The ops, and the namespaces `keras.ops` has too (image, linalg, nn): what `dir(engine.ops)` and a star import give.
__all__ = sorted({name for module in _OP_MODULES for name in _import(f"engine.ops.{module}").__all__} |
                 {"image", "linalg", "nn"})


def __dir__() -> list[str]:
    """The ops only: not the op modules, nor the helpers and modules they import (PEP 562)."""
    return list(__all__)


_install_symbolic_calls(globals())  # ops on `engine.Input` tensors build into the functional graph, as Keras's
