"""`engine.ops.X(args)` against `keras.ops.X(args)`: same values (to 1e-6) and the same kind of dtype.

Each case is a function of the ops module, so the very same call runs on both. Skips without Keras.
"""

import numpy as np
import pytest

from engine import ops as engine_ops

rng = np.random.default_rng(7)
X = rng.normal(size=(3, 4)).astype("float32")
Y = rng.normal(size=(3, 4)).astype("float32")
SQ = (rng.normal(size=(3, 3)) + 3 * np.eye(3)).astype("float32")
SPD = (SQ @ SQ.T).astype("float32")
V = rng.normal(size=(5,)).astype("float32")
UNIT = rng.uniform(-0.9, 0.9, size=(3, 4)).astype("float32")
POS = rng.uniform(0.5, 2.0, size=(3, 4)).astype("float32")
BIG = rng.uniform(1.1, 3.0, size=(3, 4)).astype("float32")
INTS = np.array([[3, 1, 2], [0, 5, 4]], dtype="int32")
NANS = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, -1.0]], dtype="float32")
IMG = rng.normal(size=(2, 4, 4, 8)).astype("float32")

CASES = {
    # elementwise
    "tan": lambda o: o.tan(UNIT), "sinh": lambda o: o.sinh(X), "cosh": lambda o: o.cosh(X),
    "arcsin": lambda o: o.arcsin(UNIT), "arccos": lambda o: o.arccos(UNIT), "arctan": lambda o: o.arctan(X),
    "arcsinh": lambda o: o.arcsinh(X), "arccosh": lambda o: o.arccosh(BIG), "arctanh": lambda o: o.arctanh(UNIT),
    "arctan2": lambda o: o.arctan2(X, Y), "hypot": lambda o: o.hypot(X, Y), "deg2rad": lambda o: o.deg2rad(X),
    "rad2deg": lambda o: o.rad2deg(X), "sinc": lambda o: o.sinc(X), "log2": lambda o: o.log2(POS),
    "log10": lambda o: o.log10(POS), "exp2": lambda o: o.exp2(X), "cbrt": lambda o: o.cbrt(X),
    "reciprocal": lambda o: o.reciprocal(POS), "rsqrt": lambda o: o.rsqrt(POS),
    "logaddexp": lambda o: o.logaddexp(X, Y), "logaddexp2": lambda o: o.logaddexp2(X, Y),
    "fabs": lambda o: o.fabs(X), "trunc": lambda o: o.trunc(X * 3), "fmod": lambda o: o.fmod(X * 3, POS),
    "fmax": lambda o: o.fmax(NANS, 0.5), "fmin": lambda o: o.fmin(NANS, 0.5),
    "divide_no_nan": lambda o: o.divide_no_nan(X, np.where(Y > 0, Y, 0).astype("float32")),
    "erf": lambda o: o.erf(X), "erfc": lambda o: o.erfc(X), "erfinv": lambda o: o.erfinv(UNIT),
    "sin_of_ints": lambda o: o.sin(INTS), "gcd": lambda o: o.gcd(INTS, 2), "lcm": lambda o: o.lcm(INTS, 4),
    "heaviside": lambda o: o.heaviside(np.array([-1.0, 0, 2], "float32"), np.float32(0.5)),
    "isclose": lambda o: o.isclose(X, X + 1e-7), "allclose": lambda o: o.allclose(X, Y),
    "isinf": lambda o: o.isinf(np.array([np.inf, -np.inf, 1], "float32")),
    "isposinf": lambda o: o.isposinf(np.array([np.inf, -np.inf, 1], "float32")),
    "isneginf": lambda o: o.isneginf(np.array([np.inf, -np.inf, 1], "float32")),
    "signbit": lambda o: o.signbit(X), "nan_to_num": lambda o: o.nan_to_num(NANS, nan=-7.0),
    "logical_xor": lambda o: o.logical_xor(X > 0, Y > 0), "bitwise_and": lambda o: o.bitwise_and(INTS, 6),
    "bitwise_or": lambda o: o.bitwise_or(INTS, 6), "bitwise_xor": lambda o: o.bitwise_xor(INTS, 6),
    "bitwise_invert": lambda o: o.bitwise_invert(INTS), "left_shift": lambda o: o.left_shift(INTS, 2),
    "right_shift": lambda o: o.right_shift(INTS, 1), "real": lambda o: o.real(X),
    # arrangement
    "tril": lambda o: o.tril(X), "triu_k1": lambda o: o.triu(X, 1),
    "tril_batched": lambda o: o.tril(IMG[0, :, :, :3], -1),
    "diagonal": lambda o: o.diagonal(X, 1), "trace": lambda o: o.trace(X), "trace_int": lambda o: o.trace(INTS),
    "roll": lambda o: o.roll(X, 2, axis=1), "roll_flat": lambda o: o.roll(X, -3), "rot90": lambda o: o.rot90(X),
    "rot90_k3": lambda o: o.rot90(X, k=3), "fliplr": lambda o: o.fliplr(X), "flipud": lambda o: o.flipud(X),
    "hstack": lambda o: o.hstack([X, Y]), "vstack": lambda o: o.vstack([V, V]), "dstack": lambda o: o.dstack([X, Y]),
    "array_split": lambda o: o.array_split(V, 2), "hsplit": lambda o: o.hsplit(X, 2),
    "vsplit": lambda o: o.vsplit(SQ, 3),
    "append": lambda o: o.append(X, Y), "append_axis": lambda o: o.append(X, Y, axis=0), "ravel": lambda o: o.ravel(X),
    "diff": lambda o: o.diff(X), "diff_2_axis0": lambda o: o.diff(X, n=2, axis=0),
    "take_along_axis": lambda o: o.take_along_axis(X, np.argsort(X, axis=1), axis=1),
    "take_along_none": lambda o: o.take_along_axis(X, np.array([0, 5, 11]), axis=None),
    "select": lambda o: o.select([X > 0.5, X < -0.5], [X, Y], 0.0), "nonzero": lambda o: o.nonzero(INTS),
    "isin": lambda o: o.isin(INTS, np.array([1, 4])), "identity": lambda o: o.identity(3), "copy": lambda o: o.copy(X),
    "where_1arg": lambda o: o.where(X > 0),
    # construction
    "tri": lambda o: o.tri(3, 4, 1), "diag_vector": lambda o: o.diag(V, 1), "diag_matrix": lambda o: o.diag(X, -1),
    "diagflat": lambda o: o.diagflat(SQ), "linspace": lambda o: o.linspace(0, 1, 5),
    "linspace_noend": lambda o: o.linspace(-2.0, 3.0, 4, endpoint=False), "logspace": lambda o: o.logspace(0, 2, 3),
    "geomspace": lambda o: o.geomspace(1, 100, 3), "meshgrid_xy": lambda o: o.meshgrid(V[:2], V[:3]),
    "meshgrid_ij": lambda o: o.meshgrid(V[:2], V[:3], indexing="ij"), "vander": lambda o: o.vander(V[:3]),
    "hamming": lambda o: o.hamming(5), "hanning": lambda o: o.hanning(5), "bartlett": lambda o: o.bartlett(5),
    "blackman": lambda o: o.blackman(5), "kaiser": lambda o: o.kaiser(5, 2.0),
    "saturate_cast": lambda o: o.saturate_cast(np.array([-300.0, 5.5, 300.0], "float32"), "uint8"),
    # products
    "einsum_ellipsis": lambda o: o.einsum("...ij,...jk->...ik", IMG[..., :4], IMG[..., :4]),
    "einsum_implicit": lambda o: o.einsum("ij,jk", X, X.T),
    "einsum_trace": lambda o: o.einsum("ii->", SQ), "einsum_three": lambda o: o.einsum("ij,jk,kl->il", X, X.T, X),
    "outer": lambda o: o.outer(V, V[:3]), "inner": lambda o: o.inner(X, Y), "vdot": lambda o: o.vdot(V, V),
    "kron": lambda o: o.kron(SQ[:2, :2], X), "cross": lambda o: o.cross(X[:2, :3], Y[:2, :3]),
    "tensordot": lambda o: o.tensordot(X, Y, axes=([1], [1])), "tensordot_int": lambda o: o.tensordot(X, Y.T, 1),
    "trapezoid": lambda o: o.trapezoid(X), "correlate": lambda o: o.correlate(V, V[:3], mode="same"),
    # statistics
    "argsort": lambda o: o.argsort(X), "sort": lambda o: o.sort(X, axis=0), "top_k": lambda o: o.top_k(X, 2),
    "in_top_k": lambda o: o.in_top_k(np.array([0, 1, 3]), X, 2),
    "unique": lambda o: o.unique(INTS), "searchsorted": lambda o: o.searchsorted(np.sort(V), X.ravel()),
    "digitize": lambda o: o.digitize(X, np.array([-1.0, 0.0, 1.0], "float32")),
    "bincount": lambda o: o.bincount(np.array([0, 1, 1, 4])), "count_nonzero": lambda o: o.count_nonzero(INTS, axis=0),
    "median": lambda o: o.median(X, axis=1), "quantile": lambda o: o.quantile(X, 0.3, axis=0),
    "quantile_many": lambda o: o.quantile(X, np.array([0.1, 0.9], "float32")),
    "percentile": lambda o: o.percentile(X, 75),
    "quantile_keepdims": lambda o: o.quantile(X, 0.5, axis=1, keepdims=True),
    "average": lambda o: o.average(X, axis=1, weights=np.array([1, 2, 3, 4], "float32")),
    "ptp": lambda o: o.ptp(X, axis=0), "corrcoef": lambda o: o.corrcoef(X), "cumprod": lambda o: o.cumprod(X, axis=1),
    "cumprod_flat": lambda o: o.cumprod(X), "nansum": lambda o: o.nansum(NANS, axis=1),
    "nanmean": lambda o: o.nanmean(NANS),
    "nanmax": lambda o: o.nanmax(NANS, axis=0), "nanmin": lambda o: o.nanmin(NANS),
    "nanprod": lambda o: o.nanprod(NANS, 1),
    "nanstd": lambda o: o.nanstd(NANS, axis=1), "nanvar": lambda o: o.nanvar(NANS),
    "nanargmax": lambda o: o.nanargmax(NANS, axis=1), "nanargmin": lambda o: o.nanargmin(NANS, axis=1),
    "nancumsum": lambda o: o.nancumsum(NANS, axis=1), "nancumprod": lambda o: o.nancumprod(NANS, axis=1),
    "nanmedian": lambda o: o.nanmedian(NANS, axis=1),
    # updates and segments
    "slice": lambda o: o.slice(X, (1, 1), (2, 2)), "slice_update": lambda o: o.slice_update(X, (1, 2), SQ[:2, :2]),
    "scatter": lambda o: o.scatter(np.array([[0, 1], [2, 3], [0, 1]]), np.array([1.0, 2.0, 3.0], "float32"), (3, 4)),
    "scatter_update": lambda o: o.scatter_update(X, np.array([[0, 1], [2, 3]]), np.array([9.0, 8.0], "float32")),
    "scatter_update_add": lambda o: o.scatter_update(X, np.array([[0, 1], [0, 1]]), np.array([9.0, 8.0], "float32"),
                                                     reduction="add"),
    "segment_sum": lambda o: o.segment_sum(X, np.array([0, 0, 2]), num_segments=3),
    "segment_max": lambda o: o.segment_max(X, np.array([0, 0, 2]), num_segments=3),
    "segment_min": lambda o: o.segment_min(X, np.array([1, 0, 1])),
    "segment_prod": lambda o: o.segment_prod(X, np.array([0, 0, 2]), num_segments=3),
    # linalg
    "norm": lambda o: o.norm(X), "norm_axis": lambda o: o.norm(X, axis=1), "norm_l1": lambda o: o.norm(V, ord=1),
    "norm_inf_matrix": lambda o: o.norm(X, ord=np.inf), "norm_fro_keep": lambda o: o.norm(X, ord="fro", keepdims=True),
    "norm_2_matrix": lambda o: o.norm(SQ, ord=2), "norm_nuc": lambda o: o.norm(SQ, ord="nuc"),
    "norm_3": lambda o: o.norm(X, ord=3, axis=0), "inv": lambda o: o.inv(SQ), "det": lambda o: o.det(SQ),
    "slogdet": lambda o: o.slogdet(SQ), "logdet": lambda o: o.logdet(SPD), "solve": lambda o: o.solve(SQ, X[:, :2]),
    "solve_triangular": lambda o: o.solve_triangular(SQ, X[:, :2], lower=True), "cholesky": lambda o: o.cholesky(SPD),
    "cholesky_upper": lambda o: o.cholesky(SPD, upper=True),
    "cholesky_inverse": lambda o: o.cholesky_inverse(np.linalg.cholesky(SPD).astype("float32")),
    "pinv": lambda o: o.pinv(X), "lstsq": lambda o: o.lstsq(X.T, V[:4].reshape(4, 1)),
    "matrix_rank": lambda o: o.matrix_rank(X), "svd_values": lambda o: o.svd(X, compute_uv=False),
    "eigh_values": lambda o: o.eigh(SPD)[0], "qr_r_abs": lambda o: o.abs(o.qr(X)[1]),
    # nn
    "celu": lambda o: o.celu(X, 0.7), "glu": lambda o: o.glu(X), "hard_shrink": lambda o: o.hard_shrink(X),
    "soft_shrink": lambda o: o.soft_shrink(X), "hard_tanh": lambda o: o.hard_tanh(X * 2),
    "tanh_shrink": lambda o: o.tanh_shrink(X), "log_sigmoid": lambda o: o.log_sigmoid(X * 5),
    "sparse_plus": lambda o: o.sparse_plus(X * 2), "sparse_sigmoid": lambda o: o.sparse_sigmoid(X * 2),
    "squareplus": lambda o: o.squareplus(X), "threshold": lambda o: o.threshold(X, 0.1, -1.0),
    "multi_hot": lambda o: o.multi_hot(INTS, 6), "multi_hot_1d": lambda o: o.multi_hot(np.array([0, 4]), 5),
    "normalize": lambda o: o.normalize(X), "normalize_l1": lambda o: o.normalize(X, axis=0, order=1),
    "rms_normalization": lambda o: o.rms_normalization(X, scale=np.arange(1, 5, dtype="float32")),
    "psnr": lambda o: o.psnr(X, Y, 1.0),
    "depth_to_space": lambda o: o.depth_to_space(IMG, 2), "space_to_depth": lambda o: o.space_to_depth(IMG, 2),
    "depth_to_space_cf": lambda o: o.depth_to_space(IMG, 2, data_format="channels_first"),
    # signal and einops
    "fft": lambda o: o.fft((X, Y)), "fft2": lambda o: o.fft2((X, Y)), "ifft2": lambda o: o.ifft2((X, Y)),
    "rfft": lambda o: o.rfft(X), "rfft_length": lambda o: o.rfft(X, fft_length=6),
    "irfft": lambda o: o.irfft((X, Y)), "irfft_length": lambda o: o.irfft((X, Y), fft_length=5),
    "extract_sequences": lambda o: o.extract_sequences(IMG[0, 0], 3, 2), "cdist": lambda o: o.cdist(X, Y[:2]),
    "rearrange_merge": lambda o: o.rearrange(IMG, "b h w c -> b (w h) c"),
    "rearrange_split": lambda o: o.rearrange(IMG, "b h w (c1 c2) -> c2 b (h c1) w", c1=2),
    # patches (Keras's torch unfold needs torch tensors: the inputs go through convert_to_tensor)
    "unfold": lambda o: o.unfold(o.convert_to_tensor(IMG), 2, padding=1, stride=(1, 2)),
    "unfold_dilated": lambda o: o.unfold(o.convert_to_tensor(IMG), (2, 3), dilation=2),
    "fold": lambda o: o.fold(o.convert_to_tensor(np.tile(X.ravel(), 24).reshape(2, 8, 18)), (5, 5), 2, padding=1,
                            stride=(1, 2)),
    "adaptive_average_pool": lambda o: o.adaptive_average_pool(IMG, (3, 2)),
    "adaptive_max_pool_1d": lambda o: o.adaptive_max_pool(IMG[0], 3),
    "adaptive_average_pool_cf": lambda o: o.adaptive_average_pool(IMG, 3, data_format="channels_first"),
    "gelu_exact": lambda o: o.gelu(X, approximate=False), "one_hot": lambda o: o.one_hot(INTS[0], 6),
}


@pytest.fixture(scope="module")
def keras_ops():
    keras = pytest.importorskip("keras")
    return keras.ops


def _leaves(result, ops_module):
    if isinstance(result, (tuple, list)):
        return [leaf for item in result for leaf in _leaves(item, ops_module)]
    return [np.asarray(ops_module.convert_to_numpy(result))]


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_keras(name, keras_ops):
    case = CASES[name]
    expected = _leaves(case(keras_ops), keras_ops)
    actual = _leaves(case(engine_ops), engine_ops)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape, f"{name}: shape {a.shape} != Keras {e.shape}"
        assert a.dtype.kind == e.dtype.kind, f"{name}: dtype {a.dtype} != Keras {e.dtype}"
        if e.dtype.kind == "f":
            assert a.dtype == e.dtype, f"{name}: dtype {a.dtype} != Keras {e.dtype}"
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, err_msg=name)


def test_argpartition_puts_the_k_smallest_first_as_numpy():
    # Keras 3.15 on torch returns other indices here; NumPy's semantics are the documented ones
    first = np.sort(engine_ops.argpartition(V, 2).value[:2])
    np.testing.assert_array_equal(first, np.sort(np.argpartition(V, 2)[:2]))


def test_sparsemax_is_the_projection_onto_the_simplex():
    # Keras's own example, and a row where Keras 3.15's torch backend sums the wrong cumulative sums
    np.testing.assert_allclose(engine_ops.sparsemax(np.array([-1.0, 0.0, 1.0], "float32")).value, [0, 0, 1])
    x = np.array([0.0025, 0.597, -0.548, -1.78], "float32")
    out = engine_ops.sparsemax(x).value
    tau = (0.0025 + 0.597 - 1) / 2
    np.testing.assert_allclose(out, np.maximum(x - tau, 0), rtol=1e-6)
    np.testing.assert_allclose(engine_ops.sparsemax(X, axis=0).value.sum(axis=0), np.ones(4), rtol=1e-6)
