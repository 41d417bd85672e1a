"""The `Hashing` and `HashedCrossing` converters for integers: Keras's FarmHash in uint64 arithmetic in the graph.

Keras hashes an integer (a float is first truncated) as the text of its decimal digits with FarmHash's
`Fingerprint64` (`engine/layers/preprocessing/hash_functions.py`). That text is at most 20 bytes ("-" and 19
digits), so only FarmHash's short-input branches are needed (0-16 and 17-32 bytes); the graph builds the text's
bytes from the digits, reads them as little-endian words (`GatherElements`) and runs the branches in uint64
arithmetic (wrapping Mul/Add, BitShift, BitwiseXor/Or: opset 18), selecting each value's branch by its length.
Strings cannot be hashed (ONNX has no operator that reads a string's bytes), nor salted values (SipHash64).
`HashedCrossing` folds each integer's 64 bits into its key with FarmHash's `FingerprintCat64`.
"""

from __future__ import annotations

import numpy as np

from engine.export.graph import GraphBuilder, Value
from engine.export.layers.preprocessing import encode
from engine.export.registry import converts, unsupported
from engine.layers import HashedCrossing, Hashing

K0, K1, K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F
CAT_MUL, CROSS_KEY = 0xC6A4A7935BD1E995, 0xDECAFCAFFE  # FingerprintCat64's multiplier, tf.sparse.cross_hashed's key
MAX_TEXT = 20  # bytes of the longest int64 text, "-9223372036854775808"
U64 = np.dtype(np.uint64)


@converts(Hashing)
def hashing(graph: GraphBuilder, layer: Hashing, x: Value) -> Value:
    if x.dtype.kind in "OUS":
        raise unsupported(layer, "Keras hashes strings with FarmHash64 of their bytes, and ONNX has no operator that "
                                 "reads a string's bytes; hash the column before the model, or use a StringLookup "
                                 "with a vocabulary instead (integer inputs export).")
    if layer.salt is not None:
        raise unsupported(layer, "a salted Hashing uses SipHash64, which is not exported; only unsalted integer "
                                 "hashing (FarmHash64) is.")
    if graph.opset < 18:
        raise unsupported(layer, f"hashing integers needs ONNX's bitwise operators (opset 18); export with opset=18 "
                                 f"or later (this export uses opset {graph.opset}).")
    values = x
    if layer.output_mode == "one_hot" and x.rank and x.shape[-1] == 1:
        values = graph.squeeze(x, [-1])
    bins = layer.num_bins
    masked = layer.mask_value is not None and bins > 1
    if masked:
        bins -= 1
    buckets = graph.cast(graph.binary("Mod", fingerprint(graph, graph.cast(values, np.int64)), _u64(graph, bins)),
                         np.int64)
    if masked:
        is_mask = graph.op("Equal", [values, graph.scalar(layer.mask_value, values.dtype)], values.shape, np.bool_)
        buckets = graph.op("Where", [is_mask, graph.scalar(0, np.int64),
                                     graph.binary("Add", buckets, graph.scalar(1, np.int64))], values.shape, np.int64)
    return encode(graph, buckets, layer.output_mode, layer.num_bins, layer.dtype)


@converts(HashedCrossing)
def hashed_crossing(graph: GraphBuilder, layer: HashedCrossing, inputs) -> Value:
    """Integers crossed as Keras does: from the key, each value's 64 bits folded in with FarmHash's
    FingerprintCat64, modulo `num_bins`."""
    values = list(inputs)
    if any(v.dtype.kind in "OUS" for v in values):
        raise unsupported(layer, "crossing strings needs FarmHash64 of their bytes, and ONNX has no operator that "
                                 "reads a string's bytes; cross integer codes instead (integer inputs export).")
    if graph.opset < 18:
        raise unsupported(layer, f"crossing needs ONNX's bitwise operators (opset 18); export with opset=18 or later "
                                 f"(this export uses opset {graph.opset}).")
    h = _Words(graph, values[0].shape)
    hashed = _u64(graph, CROSS_KEY)
    for v in values:
        hashed = _fingerprint_cat64(h, hashed, graph.cast(graph.cast(v, np.int64), U64))
    buckets = graph.cast(graph.binary("Mod", hashed, _u64(graph, layer.num_bins)), np.int64)
    return encode(graph, buckets, layer.output_mode, layer.num_bins, layer.dtype)


def _fingerprint_cat64(h: _Words, first, second: Value) -> Value:
    mul = _u64(h.graph, CAT_MUL)
    result = h.xor(first, mul)
    result = h.xor(result, h.mul(h.shift_mix(h.mul(second, mul)), mul))
    result = h.mul(h.shift_mix(h.mul(result, mul)), mul)
    return h.shift_mix(result)


def fingerprint(graph: GraphBuilder, v: Value) -> Value:
    """FarmHash Fingerprint64 (uint64) of the decimal text of each int64 in `v`."""
    h = _Words(graph, v.shape)
    negative = graph.op("Less", [v, graph.scalar(0, np.int64)], v.shape, np.bool_)
    as_bits = graph.cast(v, U64)
    magnitude = h.select(negative, h.sub(_u64(graph, 0), as_bits), as_bits)  # |int64 min| = 2**63 fits
    digits, longer = [], []
    for k in range(MAX_TEXT - 1):  # digit k counted from the right; the text has more than k + 1 digits
        digits.append(graph.binary("Mod", graph.binary("Div", magnitude, _u64(graph, 10 ** k)), _u64(graph, 10)))
        if k:
            longer.append(graph.cast(graph.op("GreaterOrEqual", [magnitude, _u64(graph, 10 ** k)], v.shape,
                                              np.bool_), np.int64))
    n_digits = longer[0]
    for more in longer[1:]:
        n_digits = graph.binary("Add", n_digits, more)
    n_digits = graph.binary("Add", n_digits, graph.scalar(1, np.int64))
    sign = graph.cast(negative, np.int64)
    n = graph.binary("Add", n_digits, sign)  # the text's length in bytes
    text = _text_bytes(graph, digits, n_digits, sign, n)
    short = _len0to16(graph, h, text, n)
    medium = _len17to32(graph, h, text, n)
    return h.select(graph.op("Greater", [n, graph.scalar(16, np.int64)], n.shape, np.bool_), medium, short)


def _text_bytes(graph: GraphBuilder, digits, n_digits: Value, sign: Value, n: Value) -> Value:
    """(..., MAX_TEXT + 8) uint64: byte p of each text ("-" then the digits, most significant first), 0 after it."""
    shape = (*n.shape, MAX_TEXT + 8)
    stacked = graph.op("Concat", [graph.unsqueeze(d, [-1]) for d in digits], (*n.shape, len(digits)), U64, axis=-1)
    position = graph.const(np.arange(MAX_TEXT + 8, dtype=np.int64), "positions")
    last = graph.unsqueeze(graph.binary("Sub", graph.binary("Add", n_digits, sign), graph.scalar(1, np.int64)), [-1])
    digit_index = graph.op("Sub", [last, position], shape, np.int64)  # digit (from the right) at position p
    safe = graph.op("Clip", [digit_index, graph.scalar(0, np.int64), graph.scalar(len(digits) - 1, np.int64)], shape)
    digit = graph.op("GatherElements", [stacked, safe], shape, U64, axis=-1)
    is_digit = graph.op("And", [graph.op("GreaterOrEqual", [position, graph.unsqueeze(sign, [-1])], shape, np.bool_),
                                graph.op("Less", [position, graph.unsqueeze(n, [-1])], shape, np.bool_)], shape)
    is_sign = graph.op("And", [graph.op("Equal", [position, graph.scalar(0, np.int64)], (MAX_TEXT + 8,), np.bool_),
                               graph.cast(graph.unsqueeze(sign, [-1]), np.bool_)], shape)
    h = _Words(graph, shape)
    text = h.mul(h.add(digit, _u64(graph, ord("0"))), h.flag(is_digit))
    return h.add(text, h.mul(_u64(graph, ord("-")), h.flag(is_sign)))


def _fetch(graph: GraphBuilder, text: Value, offset: Value, width: int) -> Value:
    """The little-endian `width`-byte word of each text at `offset` (offsets out of range are clipped: their
    branch is not the one selected)."""
    shape = (*offset.shape, width)
    index = graph.op("Add", [graph.unsqueeze(offset, [-1]), graph.const(np.arange(width, dtype=np.int64), "bytes")],
                     shape, np.int64)
    index = graph.op("Clip", [index, graph.scalar(0, np.int64), graph.scalar(MAX_TEXT + 7, np.int64)], shape)
    gathered = graph.op("GatherElements", [text, index], shape, U64, axis=-1)
    h = _Words(graph, offset.shape)
    word = None
    for k in range(width):
        byte = graph.squeeze(graph.slice(gathered, -1, k, k + 1), [-1])
        part = h.shl(byte, 8 * k)
        word = part if word is None else h.add(word, part)
    return word


def _len0to16(graph: GraphBuilder, h: _Words, text: Value, n: Value) -> Value:
    length = graph.cast(n, U64)
    mul = h.add(_u64(graph, K2), h.mul(length, _u64(graph, 2)))
    minus = lambda k: graph.binary("Sub", n, graph.scalar(k, np.int64))  # noqa: E731
    zero = graph.op("Mul", [n, graph.scalar(0, np.int64)], n.shape, np.int64)
    # 8 to 16 bytes
    a = h.add(_fetch(graph, text, zero, 8), _u64(graph, K2))
    b = _fetch(graph, text, minus(8), 8)
    c = h.add(h.mul(h.rotate(b, 37), mul), a)
    d = h.mul(h.add(h.rotate(a, 25), b), mul)
    eight = _hash_len16(h, c, d, mul)
    # 4 to 7 bytes
    a = _fetch(graph, text, zero, 4)
    four = _hash_len16(h, h.add(length, h.shl(a, 3)), _fetch(graph, text, minus(4), 4), mul)
    # 1 to 3 bytes
    first, middle = _fetch(graph, text, zero, 1), _fetch(graph, text, graph.binary("Div", n, graph.scalar(
        2, np.int64)), 1)
    y = h.add(first, h.shl(middle, 8))
    z = h.add(length, h.shl(_fetch(graph, text, minus(1), 1), 2))
    one = h.mul(h.shift_mix(h.xor(h.mul(y, _u64(graph, K2)), h.mul(z, _u64(graph, K0)))), _u64(graph, K2))
    at_least = lambda k: graph.op("GreaterOrEqual", [n, graph.scalar(k, np.int64)], n.shape, np.bool_)  # noqa: E731
    return h.select(at_least(8), eight, h.select(at_least(4), four, one))


def _len17to32(graph: GraphBuilder, h: _Words, text: Value, n: Value) -> Value:
    mul = h.add(_u64(graph, K2), h.mul(graph.cast(n, U64), _u64(graph, 2)))
    zero = graph.op("Mul", [n, graph.scalar(0, np.int64)], n.shape, np.int64)
    from_end = lambda k: graph.binary("Sub", n, graph.scalar(k, np.int64))  # noqa: E731
    a = h.mul(_fetch(graph, text, zero, 8), _u64(graph, K1))
    b = _fetch(graph, text, graph.binary("Add", zero, graph.scalar(8, np.int64)), 8)
    c = h.mul(_fetch(graph, text, from_end(8), 8), mul)
    d = h.mul(_fetch(graph, text, from_end(16), 8), _u64(graph, K2))
    return _hash_len16(h, h.add(h.add(h.rotate(h.add(a, b), 43), h.rotate(c, 30)), d),
                       h.add(h.add(a, h.rotate(h.add(b, _u64(graph, K2)), 18)), c), mul)


def _hash_len16(h: _Words, u: Value, v: Value, mul: Value) -> Value:
    a = h.shift_mix(h.mul(h.xor(u, v), mul))
    b = h.shift_mix(h.mul(h.xor(v, a), mul))
    return h.mul(b, mul)


def _u64(graph: GraphBuilder, number: int) -> str:
    """A shared 0-D uint64 constant (exact: not through a float key)."""
    return graph.const(np.array(number, dtype=np.uint64), "u64", key=("u64", int(number)))


class _Words:
    """Wrapping uint64 arithmetic on tensors of one shape (onnxruntime has no uint64 Where: selection multiplies)."""

    def __init__(self, graph: GraphBuilder, shape):
        self.graph, self.shape = graph, tuple(shape)

    def _op(self, op_type: str, a, b, **attributes) -> Value:
        return self.graph.op(op_type, [a, b], self.shape, U64, **attributes)

    def add(self, a, b) -> Value:
        return self._op("Add", a, b)

    def sub(self, a, b) -> Value:
        return self._op("Sub", a, b)

    def mul(self, a, b) -> Value:
        return self._op("Mul", a, b)

    def xor(self, a, b) -> Value:
        return self._op("BitwiseXor", a, b)

    def shl(self, a, bits: int) -> Value:
        return self._op("BitShift", a, _u64(self.graph, bits), direction="LEFT")

    def shr(self, a, bits: int) -> Value:
        return self._op("BitShift", a, _u64(self.graph, bits), direction="RIGHT")

    def rotate(self, a, bits: int) -> Value:
        return self._op("BitwiseOr", self.shr(a, bits), self.shl(a, 64 - bits))

    def shift_mix(self, a) -> Value:
        return self.xor(a, self.shr(a, 47))

    def flag(self, condition: Value) -> Value:
        return self.graph.cast(condition, U64)

    def select(self, condition: Value, a, b) -> Value:
        """`a` where `condition`, else `b` (exact: each is multiplied by 1 or 0)."""
        yes = self.flag(condition)
        no = self.sub(_u64(self.graph, 1), yes)
        return self.add(self.mul(a, yes), self.mul(b, no))
