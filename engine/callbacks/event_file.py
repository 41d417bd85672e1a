"""TensorBoard event files, written and read without TensorFlow.

An event file is a sequence of TFRecords (length, masked CRC-32C of the length, data, masked CRC-32C of the
data), each holding one `tensorflow.Event` protocol buffer. The few messages needed (Event, Summary, its
Value with plugin metadata and a TensorProto) are encoded by hand here, as TensorFlow 2's `tf.summary`
writes them: scalars as float32 tensors of the "scalars" plugin, histograms as float64 (buckets, 3) tensors
of the "histograms" plugin, images as [width, height, PNG...] string tensors of the "images" plugin, the model
config as a string tensor of the "graph_keras_model" plugin.
"""

from __future__ import annotations

import itertools
import os
import socket
import struct
import time
import zlib
from dataclasses import dataclass

import numpy as np

# -- CRC-32C (Castagnoli), masked as TFRecord does -------------------------------------------------------


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """One TFRecord: the framing TensorBoard checks before it reads the data."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


# -- protocol buffer encoding (only what events need) ---------------------------------------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 as two's complement, as protobuf does
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (string, bytes, message)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _double_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", value)


_DTYPES = {np.dtype("float32"): 1, np.dtype("float64"): 2}  # TensorFlow's DataType enum
DT_STRING = 7


def tensor_proto(value) -> bytes:
    """A TensorProto of a float32/float64 array (raw little-endian content), a string, or a list of byte strings
    (a vector of strings)."""
    if isinstance(value, (str, bytes)):
        text = value.encode("utf-8") if isinstance(value, str) else value
        return _int_field(1, DT_STRING) + _field(2, b"") + _field(8, text)
    if isinstance(value, list):
        return (_int_field(1, DT_STRING) + _field(2, _field(2, _int_field(1, len(value))))
                + b"".join(_field(8, v) for v in value))
    array = np.asarray(value)
    shape = b"".join(_field(2, _int_field(1, size)) for size in array.shape)
    content = array.astype(array.dtype.newbyteorder("<")).tobytes()
    return _int_field(1, _DTYPES[array.dtype]) + _field(2, shape) + _field(4, content)


def summary_value(tag: str, plugin: str, tensor, content: bytes = b"") -> bytes:
    """A Summary.Value: the tag, the plugin that shows it, and its tensor."""
    plugin_data = _field(1, plugin.encode("utf-8")) + (_field(2, content) if content else b"")
    return _field(1, tag.encode("utf-8")) + _field(9, _field(1, plugin_data)) + _field(8, tensor_proto(tensor))


def event(step: int, wall_time: float, values: list[bytes] | None = None, file_version: str | None = None) -> bytes:
    """An Event holding a Summary of `values` (or the file-version header)."""
    out = _double_field(1, wall_time) + _int_field(2, step)
    if file_version is not None:
        out += _field(3, file_version.encode("utf-8"))
    if values:
        out += _field(5, b"".join(_field(1, v) for v in values))
    return out


def histogram_buckets(values, bucket_count: int = 30) -> np.ndarray:
    """(bucket_count, 3) rows of [left edge, right edge, count], as `tf.summary.histogram` makes them."""
    data = np.asarray(values, dtype=np.float64).ravel()
    if data.size == 0 or bucket_count <= 0:
        return np.zeros((max(bucket_count, 0), 3))
    low, high = data.min(), data.max()
    if low == high:
        counts = np.zeros(bucket_count)
        counts[-1] = data.size
        return np.stack([np.full(bucket_count, high), np.full(bucket_count, high), counts], axis=1)
    width = (high - low) / bucket_count
    index = np.minimum(np.floor((data - low) / width).astype(np.int64), bucket_count - 1)
    counts = np.bincount(index, minlength=bucket_count).astype(np.float64)
    edges = np.linspace(low, high, bucket_count + 1)
    edges[-1] = high
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def png(image: np.ndarray) -> bytes:
    """A PNG file of a (height, width, channels) uint8 image with 1 (grey), 3 (RGB) or 4 (RGBA) channels."""
    height, width, channels = image.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, width * channels)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, {1: 0, 3: 2, 4: 6}[channels], 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes())) + \
        chunk(b"IEND", b"")


def image_strings(images, max_outputs: int = 3) -> list[bytes]:
    """`tf.summary.image`'s tensor: width, height, then up to `max_outputs` PNGs of the (k, h, w, c) images
    (floats in [0, 1] scaled to 0..255 as `tf.image.convert_image_dtype` does, saturating)."""
    data = np.asarray(images)
    if data.dtype != np.uint8:
        data = np.clip(data.astype(np.float64) * 255.5, 0, 255).astype(np.uint8)
    return [str(data.shape[2]).encode(), str(data.shape[1]).encode(), *(png(image) for image in data[:max_outputs])]


# -- writing --------------------------------------------------------------------------------------------

_FILE_IDS = itertools.count(1)


class EventFileWriter:
    """Appends summaries to a new event file in `directory` (made on the first write, as TensorFlow's
    `create_file_writer` does), flushed after every event so TensorBoard sees them while training runs."""

    def __init__(self, directory: str):
        self.directory = os.fspath(directory)
        self.path: str | None = None
        self._file = None

    def _open(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.{next(_FILE_IDS)}.v2"
        self.path = os.path.join(self.directory, name)
        self._file = open(self.path, "wb")  # noqa: SIM115 - kept open across epochs, closed by close()
        self._file.write(tfrecord(event(0, time.time(), file_version="brain.Event:2")))

    def write(self, step: int, values: list[bytes]) -> None:
        if self._file is None:
            self._open()
        self._file.write(tfrecord(event(int(step), time.time(), values)))
        self._file.flush()

    def scalar(self, tag: str, value, step: int) -> None:
        self.write(step, [summary_value(tag, "scalars", np.float32(value))])

    def histogram(self, tag: str, values, step: int) -> None:
        self.write(step, [summary_value(tag, "histograms", histogram_buckets(values))])

    def image(self, tag: str, images, step: int) -> None:
        self.write(step, [summary_value(tag, "images", image_strings(images))])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# -- reading (for tests and tools; checks every CRC) ----------------------------------------------------


class EventFileError(ValueError):
    """An event file that is cut short or whose checksums do not match."""


@dataclass
class Summary:
    """One summary value read back: its step, tag, plugin and value (a float, an array or a string)."""

    step: int
    wall_time: float
    tag: str
    plugin: str
    value: object


def read_records(path) -> list[bytes]:
    """The data of every TFRecord in `path`; EventFileError naming the file and offset on a bad record."""
    with open(path, "rb") as f:
        blob = f.read()
    records, offset = [], 0
    while offset < len(blob):
        if offset + 12 > len(blob):
            raise EventFileError(f"{path}: record at byte {offset} is cut short (no length header)")
        header = blob[offset:offset + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", blob[offset + 8:offset + 12])
        if header_crc != masked_crc32c(header):
            raise EventFileError(f"{path}: record at byte {offset} has a corrupt length (CRC mismatch)")
        end = offset + 12 + length
        if end + 4 > len(blob):
            raise EventFileError(f"{path}: record at byte {offset} is cut short ({length} bytes expected)")
        data = blob[offset + 12:end]
        (data_crc,) = struct.unpack("<I", blob[end:end + 4])
        if data_crc != masked_crc32c(data):
            raise EventFileError(f"{path}: record at byte {offset} has corrupt data (CRC mismatch)")
        records.append(data)
        offset = end + 4
    return records


def _fields(data: bytes) -> dict[int, list]:
    """Field number -> values (ints for varints, bytes for length-delimited, raw bytes for fixed widths)."""
    out: dict[int, list] = {}
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 2:
            size, i = _read_varint(data, i)
            value, i = data[i:i + size], i + size
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise EventFileError(f"unsupported protobuf wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def _tensor_value(data: bytes):
    fields = _fields(data)
    dtype = fields.get(1, [0])[0]
    shape = [_fields(dim).get(1, [0])[0] for dim in _fields(fields.get(2, [b""])[0]).get(2, [])]
    if dtype == DT_STRING:
        return fields.get(8, [b""])[0].decode("utf-8") if not shape else list(fields.get(8, []))
    numpy_dtype = {1: "<f4", 2: "<f8"}[dtype]
    array = np.frombuffer(fields[4][0], dtype=numpy_dtype).reshape(shape)
    return float(array) if array.ndim == 0 else array


def read_event_file(path) -> list[Summary]:
    """Every summary value in an event file, in order (the file-version header aside)."""
    summaries = []
    for record in read_records(path):
        fields = _fields(record)
        wall_time = struct.unpack("<d", fields[1][0])[0] if 1 in fields else 0.0
        step = fields.get(2, [0])[0]
        for summary in fields.get(5, []):
            for value in _fields(summary).get(1, []):
                v = _fields(value)
                metadata = _fields(v.get(9, [b""])[0])
                plugin = _fields(metadata.get(1, [b""])[0]).get(1, [b""])[0].decode("utf-8")
                summaries.append(Summary(step, wall_time, v[1][0].decode("utf-8"), plugin,
                                         _tensor_value(v[8][0]) if 8 in v else None))
    return summaries
