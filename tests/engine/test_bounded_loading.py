"""Hostile `.keras` and `.weights.h5` files are refused before anything large is allocated; shapes that
disagree with the model are refused as Keras refuses them; non-finite weights load with a warning."""

from __future__ import annotations

import json
import re
import struct
import tracemalloc
import warnings
import zipfile
import zlib

import h5py
import numpy as np
import pytest

import engine
from engine.saving import limits

_MB = 2**20


def _small_model():
    return engine.Sequential([engine.Input((4,)), engine.layers.Dense(3, name="dense")])


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _deflated_zeros(total_bytes: int) -> tuple[bytes, int, int]:
    """A raw deflate stream inflating to `total_bytes` zeros (~1000:1), built from one compressed chunk
    repeated (each ends with a full flush, so the copies are independent). Returns (data, crc32, size)."""
    chunk = bytes(16 * _MB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    copies = total_bytes // len(chunk)
    crc = 0
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    return piece * copies + b"\x03\x00", crc, copies * len(chunk)  # b"\x03\x00": an empty final block


def _write_zip(path, stored: dict[str, bytes], deflated: dict[str, tuple[bytes, int, int]]) -> None:
    """A zip written field by field, so a member can carry a pre-compressed stream."""
    entries = [(name, data, zlib.crc32(data), len(data), 0) for name, data in stored.items()]
    entries += [(name, data, crc, size, zipfile.ZIP_DEFLATED) for name, (data, crc, size) in deflated.items()]
    body, central = bytearray(), bytearray()
    for name, data, crc, size, method in entries:
        offset, encoded = len(body), name.encode()
        body += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, method, 0, 0x21, crc, len(data), size,
                            len(encoded), 0) + encoded + data
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, method, 0, 0x21, crc, len(data),
                               size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))


def _peak_while(call) -> tuple[Exception | None, int]:
    tracemalloc.start()
    error = None
    try:
        call()
    except Exception as err:  # noqa: BLE001 - the caller checks which error it was
        error = err
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return error, peak


def test_a_zip_bomb_weights_member_is_refused_before_inflating(tmp_path):
    honest = tmp_path / "honest.keras"
    _small_model().save(honest)
    members = _members(honest)
    bomb = _deflated_zeros(1500 * 10**6)
    path = tmp_path / "bomb.keras"
    _write_zip(path, {"metadata.json": members["metadata.json"], "config.json": members["config.json"]},
               {"model.weights.h5": bomb})
    assert path.stat().st_size < 2 * _MB
    assert zipfile.ZipFile(path).getinfo("model.weights.h5").file_size > 1.4e9
    error, peak = _peak_while(lambda: engine.saving.load_model(path))
    assert isinstance(error, limits.FileTooLargeError), error
    assert re.search(r"model\.weights\.h5 in .*bomb\.keras declares 1\.5 GB", str(error)), str(error)
    assert "the model its config.json describes" in str(error)
    assert peak < 20 * _MB
    # load_weights from the same archive is bounded the same way
    error, peak = _peak_while(lambda: _small_model().load_weights(path))
    assert isinstance(error, limits.FileTooLargeError) and peak < 20 * _MB


def test_a_weights_member_larger_than_the_model_implies_is_refused(tmp_path):
    path = tmp_path / "padded.keras"
    _small_model().save(path)
    members = _members(path)
    members["model.weights.h5"] += bytes(8 * _MB)  # an honest header, then megabytes a 15-weight model never needs
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(limits.FileTooLargeError, match=r"model\.weights\.h5 in .*padded\.keras declares 8\.4 MB"):
        engine.saving.load_model(path)


def test_an_oversized_config_member_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "model.keras"
    _small_model().save(path)
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 100)
    with pytest.raises(limits.FileTooLargeError, match=r"config\.json in .*model\.keras declares .* a config file"):
        engine.saving.load_model(path)


def _weights_file_with(path, dataset_path: str, **create) -> None:
    with h5py.File(path, "w") as f:
        f.create_dataset(dataset_path, **create)
        f.create_dataset(dataset_path.rsplit("/", 1)[0] + "/1", data=np.zeros(3, "float32"))


def test_a_fill_value_dataset_of_2_gb_is_refused_before_reading(tmp_path):
    path = tmp_path / "fill.weights.h5"
    _weights_file_with(path, "layers/dense/vars/0", shape=(500_000_000,), dtype="float32", fillvalue=1.0)
    assert path.stat().st_size < 64 * 1024
    model = _small_model()
    before = model.get_weights()
    error, peak = _peak_while(lambda: model.load_weights(path))
    assert isinstance(error, ValueError), error
    assert re.search(r"layer 'dense' \(Dense\) at 'layers/dense/vars': weight 'kernel' \(vars/0\) has shape "
                     r"\(4, 3\), but the saved value has shape \(500000000,\)", str(error)), str(error)
    assert peak < 20 * _MB
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_a_dataset_of_the_right_shape_but_a_huge_dtype_is_refused(tmp_path):
    path = tmp_path / "wide.weights.h5"
    _weights_file_with(path, "layers/dense/vars/0", shape=(4, 3), dtype="S100000000")
    error, peak = _peak_while(lambda: _small_model().load_weights(path))
    assert isinstance(error, ValueError)
    assert re.search(r"dataset 'layers/dense/vars/0' in .*wide\.weights\.h5 declares 1\.2 GB.*"
                     r"layer 'dense' \(Dense\)'s weight of shape \(4, 3\) holds at most 96 bytes", str(error)), \
        str(error)
    assert peak < 20 * _MB


def test_a_config_asking_for_huge_weights_is_refused_before_allocating(tmp_path, monkeypatch):
    path = tmp_path / "model.keras"
    _small_model().save(path)
    members = _members(path)
    config = json.loads(members["config.json"])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, 100_000]
    dense = config["config"]["layers"][1]
    dense["config"]["units"] = 1_000_000
    dense["build_config"] = {"input_shape": [None, 100_000]}
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    error, peak = _peak_while(lambda: engine.saving.load_model(path))
    assert isinstance(error, ValueError)
    assert re.search(r"Cannot rebuild the model in .*model\.keras .*weight 'kernel' of shape \(100000, 1000000\) "
                     r"\(400\.0 GB .*past the limit of", str(error)), str(error)
    assert peak < 20 * _MB


@pytest.mark.parametrize("builder", ["sequential", "functional"])
def test_an_input_layer_shape_that_disagrees_with_the_model_is_refused_as_keras_does(tmp_path, builder):
    if builder == "sequential":
        model = _small_model()
    else:
        inputs = engine.Input((4,))
        model = engine.Model(inputs, engine.layers.Dense(3, name="dense")(inputs))
    path = tmp_path / "model.keras"
    model.save(path)
    members = _members(path)
    members["config.json"] = members["config.json"].replace(b'"batch_shape": [null, 4]', b'"batch_shape": [null, 5]')
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    # Keras 3.15: "Input 0 ... of layer 'dense' is incompatible with the layer: expected axis -1 of input shape
    # to have value 4, but received input with shape (None, 5)"
    with pytest.raises(ValueError, match=r"model\.keras .*Input 0 of layer \"dense\" is incompatible with the "
                                         r"layer: expected axis -1 of input shape to have value 4, but received "
                                         r"input with shape \(None, 5\)"):
        engine.saving.load_model(path)


def test_a_fixed_batch_size_in_the_input_layer_is_kept_as_keras_keeps_it(tmp_path):
    path = tmp_path / "model.keras"
    _small_model().save(path)
    members = _members(path)
    members["config.json"] = members["config.json"].replace(b'"batch_shape": [null, 4]', b'"batch_shape": [7, 4]')
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert tuple(engine.saving.load_model(path).inputs[0].shape) == (7, 4)


def test_non_finite_weights_load_with_a_warning_naming_the_layer(tmp_path):
    model = _small_model()
    kernel, bias = model.get_weights()
    kernel[1, 2] = np.nan
    bias[0] = np.inf
    model.set_weights([kernel, bias])
    path = tmp_path / "nan.keras"
    model.save(path)
    with pytest.warns(RuntimeWarning, match=r"Layer 'dense' loaded from .*nan\.keras/model\.weights\.h5 holds "
                                            r"non-finite values \(NaN or inf\): weight 'kernel' has 1 of 12, "
                                            r"weight 'bias' has 1 of 3"):
        loaded = engine.saving.load_model(path)
    assert np.isnan(loaded.get_weights()[0][1, 2])
    clean = tmp_path / "clean.keras"
    _small_model().save(clean)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine.saving.load_model(clean)
