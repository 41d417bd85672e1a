"""Gradients of the newer `engine.ops` (elementwise, arrangement, products, statistics, updates, linalg, nn)
against central differences (float64)."""

import numpy as np
import pytest
from gradcheck import check_gradients

from engine import ops
from engine.autodiff import gradients
from engine.variables import Variable

rng = np.random.default_rng(3)


def N(*shape):
    return rng.normal(size=shape)


def U(*shape, low=-0.9, high=0.9):
    return rng.uniform(low, high, size=shape)


SPD = (lambda a: a @ a.T + 3 * np.eye(3))(N(3, 3))

UNARY = {  # name: (function, input)
    "tan": (ops.tan, U(3, 4)), "sinh": (ops.sinh, N(3, 4)), "cosh": (ops.cosh, N(3, 4)),
    "arcsin": (ops.arcsin, U(3, 4)), "arccos": (ops.arccos, U(3, 4)), "arctan": (ops.arctan, N(3, 4)),
    "arcsinh": (ops.arcsinh, N(3, 4)), "arccosh": (ops.arccosh, U(3, 4, low=1.2, high=3)),
    "arctanh": (ops.arctanh, U(3, 4)), "sinc": (ops.sinc, N(3, 4)), "log2": (ops.log2, U(3, 4, low=0.5, high=2)),
    "log10": (ops.log10, U(3, 4, low=0.5, high=2)), "exp2": (ops.exp2, N(3, 4)),
    "cbrt": (ops.cbrt, U(3, 4, low=0.5, high=2)),
    "reciprocal": (ops.reciprocal, U(3, 4, low=0.5, high=2)), "rsqrt": (ops.rsqrt, U(3, 4, low=0.5, high=2)),
    "erf": (ops.erf, N(3, 4)), "erfc": (ops.erfc, N(3, 4)), "erfinv": (ops.erfinv, U(3, 4)),
    "deg2rad": (ops.deg2rad, N(3, 4)), "nan_to_num": (ops.nan_to_num, N(3, 4)),
    "tril": (lambda x: ops.tril(x, -1), N(3, 4)), "triu": (ops.triu, N(2, 3, 4)),
    "diagonal": (lambda x: ops.diagonal(x, 1), N(3, 4)), "trace": (ops.trace, N(4, 4)),
    "diag_vector": (lambda x: ops.diag(x, -1), N(4)), "roll": (lambda x: ops.roll(x, 1, axis=0), N(3, 4)),
    "rot90": (ops.rot90, N(3, 4)), "diff": (lambda x: ops.diff(x, n=2), N(3, 5)),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[0, 0, 3]]), axis=1), N(3, 4)),
    "take_along_none": (lambda x: ops.take_along_axis(x, np.array([1, 1, 7]), axis=None), N(3, 4)),
    "meshgrid": (lambda x: ops.meshgrid(x, x[:2])[0] * ops.meshgrid(x, x[:2])[1], N(3)),
    "vander": (ops.vander, N(3)), "vstack": (lambda x: ops.vstack([x, x * 2]), N(4)),
    "einsum_ellipsis": (lambda x: ops.einsum("...ij,...jk->...ik", x, x), N(2, 3, 3)),
    "einsum_implicit": (lambda x: ops.einsum("ij,jk", x, ops.transpose(x)), N(3, 4)),
    "einsum_diagonal": (lambda x: ops.einsum("ii->i", x), N(3, 3)),
    "einsum_summed_out": (lambda x: ops.einsum("ij,k->i", x, x[0]), N(3, 4)),
    "einsum_broadcast": (lambda x: ops.einsum("...j,...j->...", x, x[:1]), N(3, 4)),
    "outer": (lambda x: ops.outer(x, x[1:]), N(4)), "kron": (lambda x: ops.kron(x, x[:1]), N(2, 3)),
    "inner": (lambda x: ops.inner(x, x * 2), N(3, 4)), "tensordot": (lambda x: ops.tensordot(x, x, axes=1), N(4, 4)),
    "cross": (lambda x: ops.cross(x, x[::-1]), N(2, 3)), "trapezoid": (ops.trapezoid, N(3, 5)),
    "sort": (lambda x: ops.sort(x, axis=0), N(3, 4)), "top_k": (lambda x: ops.top_k(x, 2)[0], N(3, 4)),
    "quantile": (lambda x: ops.quantile(x, 0.3, axis=1), N(3, 5)), "median": (ops.median, N(3, 4)),
    "percentile_many": (lambda x: ops.percentile(x, np.array([10.0, 80.0]), axis=0), N(4, 3)),
    "average": (lambda x: ops.average(x, axis=0, weights=np.array([1.0, 2.0, 3.0])), N(3, 4)),
    "ptp": (lambda x: ops.ptp(x, axis=1), N(3, 4)), "corrcoef": (ops.corrcoef, N(3, 5)),
    "cumprod": (lambda x: ops.cumprod(x, axis=1), N(3, 4)), "cumprod_flat": (ops.cumprod, N(2, 3)),
    "slice": (lambda x: ops.slice(x, (1, 0), (2, 3)), N(3, 4)),
    "segment_sum": (lambda x: ops.segment_sum(x, np.array([0, 2, 0]), num_segments=3), N(3, 4)),
    "segment_max": (lambda x: ops.segment_max(x, np.array([0, 1, 0])), N(3, 4)),
    "segment_prod": (lambda x: ops.segment_prod(x, np.array([0, 1, 0])), N(3, 4)),
    "norm": (ops.norm, N(3, 4)), "norm_axis_l3": (lambda x: ops.norm(x, ord=3, axis=1), N(3, 4)),
    "norm_spectral": (lambda x: ops.norm(x, ord=2), N(3, 3)),
    "norm_nuclear": (lambda x: ops.norm(x, ord="nuc"), N(3, 3)),
    "norm_l1_matrix": (lambda x: ops.norm(x, ord=1), N(3, 4)), "inv": (ops.inv, SPD), "det": (ops.det, N(3, 3)),
    "logdet": (ops.logdet, SPD), "slogdet": (lambda x: ops.slogdet(x)[1], N(3, 3)),
    "cholesky": (lambda x: ops.cholesky(0.5 * (x + ops.transpose(x))), SPD), "pinv": (ops.pinv, N(4, 3)),
    "celu": (ops.celu, N(3, 4)), "glu": (ops.glu, N(3, 4)), "soft_shrink": (ops.soft_shrink, N(3, 4)),
    "log_sigmoid": (ops.log_sigmoid, N(3, 4)), "squareplus": (ops.squareplus, N(3, 4)),
    "sparse_plus": (ops.sparse_plus, U(3, 4, low=-2, high=2)), "tanh_shrink": (ops.tanh_shrink, N(3, 4)),
    "sparsemax": (ops.sparsemax, N(3, 4)), "normalize": (ops.normalize, N(3, 4)),
    "normalize_l1": (lambda x: ops.normalize(x, order=1), N(3, 4)),
    "rms_normalization": (lambda x: ops.rms_normalization(x, scale=x[0]), N(3, 4)),
    "psnr": (lambda x: ops.psnr(x, x[::-1] * 0.5, 1.0), N(3, 4)),
    "depth_to_space": (lambda x: ops.depth_to_space(x, 2) * np.arange(16.0).reshape(1, 4, 4, 1), N(1, 2, 2, 4)),
    "space_to_depth": (lambda x: ops.space_to_depth(x, 2), N(1, 4, 4, 1)),
    "rfft": (lambda x: ops.rfft(x)[0] + 3 * ops.rfft(x)[1], N(2, 5)),
    "rfft_padded": (lambda x: ops.rfft(x, fft_length=7)[1], N(2, 5)),
    "rfft_cropped": (lambda x: ops.rfft(x, fft_length=4)[0], N(2, 5)),
    "extract_sequences": (lambda x: ops.extract_sequences(x, 3, 2), N(2, 8)),
    "unfold": (lambda x: ops.unfold(x, 2, padding=1, stride=(1, 2)), N(1, 2, 4, 5)),
    "fold": (lambda x: ops.fold(x, (4, 5), 2, padding=1, stride=(1, 2)), N(1, 8, 15)),
    "adaptive_average_pool": (lambda x: ops.adaptive_average_pool(x, (3, 2)), N(1, 5, 4, 2)),
    "adaptive_max_pool": (lambda x: ops.adaptive_max_pool(x, 2), N(1, 5, 3)),
    "rearrange": (lambda x: ops.rearrange(x, "a (b c) -> c (a b)", c=2), N(3, 4)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradient(name):
    fn, value = UNARY[name]
    check_gradients(fn, value, rtol=1e-4, atol=1e-6)


BINARY = {
    "arctan2": (ops.arctan2, N(3, 4), N(4)), "hypot": (ops.hypot, N(3, 4), N(3, 4)),
    "logaddexp": (ops.logaddexp, N(3, 4), N(3, 1)), "logaddexp2": (ops.logaddexp2, N(3, 4), N(3, 4)),
    "fmax": (ops.fmax, N(3, 4), N(3, 4)), "divide_no_nan": (ops.divide_no_nan, N(3, 4), U(3, 4, low=0.5, high=2)),
    "einsum_three_way": (lambda a, b: ops.einsum("ij,jk,kl->il", a, b, a), N(3, 3), N(3, 3)),
    "slice_update": (lambda a, b: ops.slice_update(a, (1, 1), b), N(3, 4), N(2, 2)),
    "scatter_update": (lambda a, b: ops.scatter_update(a, np.array([[0, 1], [2, 3]]), b), N(3, 4), N(2)),
    "scatter_update_add": (lambda a, b: ops.scatter_update(a, np.array([[0, 1], [0, 1]]), b, reduction="add"),
                           N(3, 4), N(2)),
    "fft": (lambda a, b: ops.fft((a, b))[0] * 2 + ops.fft((a, b))[1], N(3, 4), N(3, 4)),
    "fft2": (lambda a, b: ops.fft2((a, b))[1], N(3, 4), N(3, 4)),
    "ifft2": (lambda a, b: ops.ifft2((a, b))[0] - ops.ifft2((a, b))[1], N(3, 4), N(3, 4)),
    "irfft": (lambda a, b: ops.irfft((a, b)), N(2, 4), N(2, 4)),
    "irfft_odd": (lambda a, b: ops.irfft((a, b), fft_length=5), N(2, 4), N(2, 4)),
    "cdist": (ops.cdist, N(3, 4), N(2, 4)),
    "solve": (ops.solve, SPD, N(3, 2)), "solve_vector": (ops.solve, SPD, N(3)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradient(name):
    fn, a, b = BINARY[name]
    check_gradients(fn, a, b, rtol=1e-4, atol=1e-6)


def test_scatter_gradient_sums_repeated_indices():
    check_gradients(lambda v: ops.scatter(np.array([[0, 1], [2, 3], [0, 1]]), v, (3, 4)), N(3))


def test_custom_gradient_replaces_the_ops_gradient():
    @ops.custom_gradient
    def clipped_identity(x):
        def grad(upstream):
            return ops.clip(upstream, -0.1, 0.1)
        return x * 1.0, grad

    x = Variable(np.array([1.0, 2.0]), dtype="float64")
    (g,) = gradients(ops.sum(clipped_identity(x) * 5.0), [x])
    np.testing.assert_allclose(g, [0.1, 0.1])


def test_gradients_flow_through_control_flow():
    x = Variable(np.array([0.5, -1.0]), dtype="float64")
    doubled = ops.fori_loop(0, 3, lambda i, v: v * 2.0, x)
    looped = ops.while_loop(lambda v, n: n < 2, lambda v, n: (v + v, n + 1), (x, 0))[0]
    carry, ys = ops.scan(lambda c, row: (c + row, c * row), ops.zeros((), "float64"), x)
    branch = ops.cond(ops.sum(x) < 0, lambda: x * 3.0, lambda: x)
    total = ops.sum(doubled) + ops.sum(looped) + carry + ops.sum(ys) + ops.sum(branch)
    (g,) = gradients(total, [x])
    # d/dx: 8 + 4 + 1 (carry) + d(sum c_i * x_i) with c_0 = 0, c_1 = x_0 -> (x_1, x_0) + 3
    np.testing.assert_allclose(g, [8 + 4 + 1 + (-1.0) + 3, 8 + 4 + 1 + 0.5 + 3])
