"""`.keras` files (a zip of `metadata.json`, `config.json`, `model.weights.h5`) and `.weights.h5` files.

The layout is Keras 3's, so files go both ways between the engine and real Keras. Writing goes to a
temporary file in the target's directory that replaces the target only once complete; reading builds
the model from `config.json` (no code is executed) and loads every weight or changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import warnings
import zipfile

from engine.saving import limits, object_state
from engine.saving.assets import asset_member_names, collect_assets, restore_assets
from engine.saving.h5_store import H5Store, WeightsFileError, memory_file
from engine.saving.safe_mode import SafeModeScope
from engine.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from engine.utils.file_utils import atomic_path

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
# The Keras release whose file layout we write (Keras reads `keras_version` but does not check it).
KERAS_FORMAT_VERSION = "3.15.1"
# A zip member declaring far more bytes than it stores is a decompression bomb (Keras's guard).
_ZIP_BOMB_FLOOR_BYTES = 1 << 32
_ZIP_MAX_EXPANSION = 100


# -- writing ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_write(filepath: str, overwrite: bool = True):
    """Yield a temporary path beside `filepath`; on success it replaces `filepath`, on error it vanishes."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists; pass overwrite=True to replace it.")
    with atomic_path(filepath) as tmp_path:
        yield tmp_path


def _metadata() -> dict:
    import engine
    return {"keras_version": KERAS_FORMAT_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "saved_by": f"LayerStudio engine {engine.__version__}"}


def _weights_bytes(model) -> bytes:
    buffer = memory_file()
    store = H5Store(buffer, "w", WEIGHTS_FILENAME)
    try:
        object_state.save_state(model, store)
    finally:
        store.close()
    return buffer.getvalue()


def save_model(model, filepath, overwrite: bool = True, zipped: bool | None = None, **kwargs) -> None:
    """Write `model` to a `.keras` file: architecture, compile arguments, weights and optimizer state."""
    if kwargs:
        raise ValueError(f"Unknown argument(s) to save_model: {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    if zipped is False:
        raise ValueError("Only zipped `.keras` files are supported (zipped=True).")
    if not filepath.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving. Please add the `.keras` extension to the "
                         f"filepath. Received: filepath={filepath}")
    if not model.built:
        warnings.warn("You are saving a model that has not yet been built. It might not contain any weights yet. "
                      "Consider building the model first by calling it on some data.", stacklevel=2)
    config_json = json.dumps(serialize_keras_object(model))
    metadata_json = json.dumps(_metadata())
    weights = _weights_bytes(model)
    assets = collect_assets(model)
    with atomic_write(filepath, overwrite) as tmp_path:
        with zipfile.ZipFile(tmp_path, "w") as zf:  # stored, not compressed, as Keras writes it
            zf.writestr(METADATA_FILENAME, metadata_json)
            zf.writestr(CONFIG_FILENAME, config_json)
            zf.writestr(WEIGHTS_FILENAME, weights)
            for name, data in assets.items():
                zf.writestr(name, data)


def save_weights(model, filepath, overwrite: bool = True, max_shard_size=None) -> None:
    """Write only the weights (and optimizer state) to a `.weights.h5` file, in Keras's layout."""
    filepath = os.fspath(filepath)
    if max_shard_size is not None:
        raise ValueError("Sharded weights files (max_shard_size) are not supported.")
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
    if not model.built:
        raise ValueError("You are saving a model that has not yet been built. Try building the model first by "
                         "calling it on some data or by using `build()`.")
    weights = _weights_bytes(model)
    with atomic_write(filepath, overwrite) as tmp_path:
        with open(tmp_path, "wb") as f:
            f.write(weights)


# -- reading ----------------------------------------------------------------------------------------
def _open_archive(filepath: str) -> zipfile.ZipFile:
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {filepath}")
    try:
        return zipfile.ZipFile(filepath, "r")
    except zipfile.BadZipFile as err:
        raise ValueError(f"{filepath} is not a valid .keras file: it is not a complete zip archive "
                         f"(truncated or corrupted?). ({err})") from err


def _read_member(archive: zipfile.ZipFile, name: str, filepath: str, max_bytes: int | None = None,
                 why: str = "") -> bytes:
    """One member's bytes, refused before inflating when it declares more than `max_bytes` (or looks like
    a decompression bomb)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ValueError(f"{filepath} is not a valid .keras file: it has no {name} "
                         f"(found {archive.namelist()}).") from None
    if info.file_size > _ZIP_BOMB_FLOOR_BYTES and info.file_size > _ZIP_MAX_EXPANSION * info.compress_size:
        raise limits.FileTooLargeError(f"Not allowed: {name} in {filepath} declares {info.file_size} bytes but "
                                       f"stores {info.compress_size}; refusing to load a potential decompression "
                                       "bomb.")
    if max_bytes is not None:
        limits.check_declared_size(info.file_size, max_bytes, f"{name} in {filepath}", why)
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"Cannot read {name} from {filepath}: the archive is truncated or corrupted. "
                         f"({err})") from err


def _read_weights_member(archive: zipfile.ZipFile, filepath: str, model) -> bytes:
    allowed = limits.weights_file_allowance(model)
    return _read_member(archive, WEIGHTS_FILENAME, filepath, allowed,
                        f"the weights (and optimizer state) of the model its {CONFIG_FILENAME} describes take")


def _parse_json(data: bytes, name: str, filepath: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{name} in {filepath} is not valid JSON: {err}") from err
    except RecursionError:
        raise ValueError(f"{name} in {filepath} nests its JSON deeper than any model config does: it is not a "
                         "file Keras or LayerStudio writes.") from None
    if not isinstance(value, dict):
        raise ValueError(f"{name} in {filepath} should hold a JSON object, found {type(value).__name__}.")
    return value


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True):
    """A model from a `.keras` file written by the engine or by Keras 3.

    With `safe_mode` (the default) a `Lambda` layer's Python lambda is refused with Keras's message; with
    `safe_mode=False` it is loaded, which runs code from the file: only for files you trust.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"File format not supported: filepath={filepath}. Only `.keras` files can be loaded "
                         "as models (use `model.load_weights` for `.weights.h5` files).")
    config_cap = "a config file may take"
    with _open_archive(filepath) as archive:
        config = _parse_json(_read_member(archive, CONFIG_FILENAME, filepath, limits.MAX_CONFIG_BYTES, config_cap),
                             CONFIG_FILENAME, filepath)
        metadata = {}
        if METADATA_FILENAME in archive.namelist():
            metadata = _parse_json(_read_member(archive, METADATA_FILENAME, filepath, limits.MAX_CONFIG_BYTES,
                                                config_cap), METADATA_FILENAME, filepath)
        if not compile:
            config = {**config, "compile_config": None}
        try:
            with limits.variable_budget(limits.MAX_MODEL_WEIGHT_BYTES, f"{filepath} ({CONFIG_FILENAME})"):
                with SafeModeScope(safe_mode):
                    model = deserialize_keras_object(config, custom_objects=custom_objects)
        except (ValueError, TypeError) as err:
            writer = metadata.get("saved_by") or (f"Keras {metadata['keras_version']}"
                                                    if "keras_version" in metadata else None)
            written = f" (written by {writer})" if writer else ""
            raise ValueError(f"Cannot rebuild the model in {filepath}{written} from {CONFIG_FILENAME}: {err}") \
                from err
        weights = _read_weights_member(archive, filepath, model)
        assets = {name: _read_member(archive, name, filepath, limits.MAX_CONFIG_BYTES, "an asset file may take")
                  for name in asset_member_names(archive.namelist(), filepath)}
    store = H5Store(memory_file(weights), "r", f"{filepath}/{WEIGHTS_FILENAME}")
    try:
        object_state.load_state(model, store)
    finally:
        store.close()
    restore_assets(model, assets)
    return model


def load_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Load weights (and optimizer state, if the model is compiled) from `.weights.h5` or `.keras`."""
    filepath = os.fspath(filepath)
    if not model.built:
        raise ValueError("You are loading weights into a model that has not yet been built. Try building the "
                         "model first by calling it on some data or by using `build()`.")
    if filepath.endswith(".keras"):
        with _open_archive(filepath) as archive:
            data = _read_weights_member(archive, filepath, model)
        source, file = f"{filepath}/{WEIGHTS_FILENAME}", memory_file(data)
    elif filepath.endswith(".weights.h5"):
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"No such file: {filepath}")
        source, file = filepath, filepath
    else:
        raise ValueError(f"File format not supported: filepath={filepath}. Keras 3 weights files end in "
                         "`.weights.h5` (or pass a `.keras` file).")
    store = H5Store(file, "r", source)
    try:
        object_state.load_state(model, store, skip_mismatch=skip_mismatch)
    finally:
        store.close()


__all__ = ["WeightsFileError", "load_model", "load_weights", "save_model", "save_weights"]
