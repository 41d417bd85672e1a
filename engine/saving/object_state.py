"""Walking a model the way Keras 3 does, to write or read every object's variables at Keras's h5 paths.

Keras names an object by the attribute that holds it: a model's layers go under `layers/<snake_case class
name>` (`dense`, `dense_1`... in the order of `model.layers`), an RNN's cell under `<rnn>/cell`, a
Bidirectional's halves under `forward_layer` / `backward_layer`, the optimizer under `optimizer`.
Attributes are visited in sorted order (private ones last) and an object is saved once, at the first
path that reaches it. Attributes every plain `Layer` has (`input`, `weights`, `_layers`...) are skipped.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from engine.backend import to_snake_case


def _layer_types():
    from engine.layers.layer import Layer
    from engine.models.functional import Functional
    from engine.models.sequential import Sequential
    from engine.optimizers.base import Optimizer
    return Layer, Functional, Sequential, Optimizer


def is_saveable(obj) -> bool:
    Layer, _, _, Optimizer = _layer_types()
    return isinstance(obj, (Layer, Optimizer))


@functools.cache
def _layer_skipset() -> frozenset[str]:
    Layer = _layer_types()[0]
    reference = Layer(name="saving_reference_layer")
    return frozenset(dir(reference))


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def children(saveable):
    """(attribute name, value) pairs Keras visits below `saveable`, in Keras's order."""
    Layer, Functional, Sequential, Optimizer = _layer_types()
    if isinstance(saveable, Optimizer):
        return  # an optimizer's slots are its own variables; it holds no saveable objects
    skip = set(_layer_skipset())
    if isinstance(saveable, Functional):
        skip.update(("operations", "_operations"))
    if isinstance(saveable, Sequential):
        skip.add("_functional")
    if isinstance(saveable, (Functional, Sequential)):  # Keras's `layers` leave out operation nodes
        yield "layers", [layer for layer in saveable.layers if not getattr(layer, "is_keras_operation", False)]
    for attr in sorted(dir(saveable), key=_name_key):
        if attr.startswith("__") or attr in skip:
            continue
        try:
            value = getattr(saveable, attr)
        except Exception:  # a property that cannot be computed now holds nothing to save
            continue
        yield attr, value


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _walk(saveable, path: str, visit, visited: set[int]) -> None:
    """Call `visit(obj, path)` on `saveable` and every saveable reachable from it, each once."""
    if id(saveable) in visited:
        return
    visited.add(id(saveable))
    visit(saveable, path)
    for attr, value in children(saveable):
        if is_saveable(value):
            _walk(value, _join(path, attr), visit, visited)
        elif isinstance(value, (list, tuple, dict)):
            _walk_container(value, _join(path, attr), visit, visited, set())


def _walk_container(container, path: str, visit, visited: set[int], seen_containers: set[int]) -> None:
    if id(container) in seen_containers:
        return
    seen_containers.add(id(container))
    used: dict[str, int] = {}
    items = list(container.values()) if isinstance(container, dict) else container
    for item in items:
        if is_saveable(item):
            _walk(item, _join(path, _unique(to_snake_case(type(item).__name__), used)), visit, visited)
        elif isinstance(item, (list, tuple, dict)):
            _walk_container(item, _join(path, _unique("container", used)), visit, visited, seen_containers)


def saveable_paths(root) -> list[tuple[str, object]]:
    """Every saveable object below `root` (included) with its Keras path, in visiting order."""
    found: list[tuple[str, object]] = []
    _walk(root, "", lambda obj, path: found.append((path, obj)), set())
    return found


def save_state(root, store) -> None:
    """Write the variables of `root` and everything below it into an `H5Store` opened for writing."""
    for path, obj in saveable_paths(root):
        name = getattr(obj, "name", None)
        obj.save_own_variables(store.make(path, metadata={"name": name} if isinstance(name, str) else None))


def _describe(obj) -> str:
    Optimizer = _layer_types()[3]
    kind = "optimizer" if isinstance(obj, Optimizer) else "layer"
    return f"{kind} '{getattr(obj, 'name', type(obj).__name__)}' ({type(obj).__name__})"


def own_variables(obj) -> list:
    """The variables `obj.save_own_variables` writes, in their order in the file (`vars/0`, `vars/1`...)."""
    Optimizer = _layer_types()[3]
    if isinstance(obj, Optimizer):
        return list(obj._variables)
    return list(getattr(obj, "_trainable_variables", [])) + list(getattr(obj, "_non_trainable_variables", []))


def _warn_non_finite(root, source: str) -> None:
    """A loaded weight holding NaN or inf is named (the model would predict NaN), as the studio needs."""
    Layer = _layer_types()[0]
    for _, obj in saveable_paths(root):
        if not isinstance(obj, Layer):
            continue
        counts = []
        for variable in own_variables(obj):
            value = variable.value
            if value.dtype.kind in "fc" and not np.isfinite(value).all():
                bad = int(value.size - np.count_nonzero(np.isfinite(value)))
                counts.append(f"weight '{variable.name}' has {bad} of {value.size}")
        if counts:
            warnings.warn(f"Layer '{obj.name}' loaded from {source} holds non-finite values (NaN or inf): "
                          f"{', '.join(counts)}; its outputs will not be finite.", RuntimeWarning, stacklevel=4)


def _snapshot(root) -> list[tuple[object, np.ndarray]]:
    """Copies of every variable below `root`, to restore if a load fails half-way."""
    out, seen = [], set()
    for _, obj in saveable_paths(root):
        for variable in list(getattr(obj, "weights", [])) + list(getattr(obj, "variables", [])):
            if id(variable) not in seen and hasattr(variable, "value"):
                seen.add(id(variable))
                out.append((variable, np.array(variable.value)))
    return out


def load_state(root, store, skip_mismatch: bool = False) -> None:
    """Read every object's variables from an `H5Store` opened for reading.

    Either everything loads, or nothing changes: on an error the variables get their old values back
    and one ValueError lists each object that failed, with its path in the file.
    """
    snapshot = _snapshot(root)
    errors: list[str] = []
    for path, obj in saveable_paths(root):
        entry = store.get(path)
        entry.expect(_describe(obj), [(v.name, tuple(v.shape)) for v in own_variables(obj)])
        try:
            obj.load_own_variables(entry)
        except Exception as err:  # noqa: BLE001 - each failure is reported with its place in the file
            where = f"{path}/vars" if path else "vars"
            errors.append(f"{_describe(obj)} at '{where}': {err}")
    if not errors:
        _warn_non_finite(root, store.source)
        return
    message = (f"Could not load {len(errors)} object(s) from the weights file {store.source}:\n  - "
               + "\n  - ".join(errors))
    if skip_mismatch:
        warnings.warn(message, stacklevel=3)
        return
    for variable, value in snapshot:
        variable.value[...] = value
    raise ValueError(message)
