"""The passes of a Dense layer around its matrix products: bias and ReLU after the forward product, the ReLU's
derivative and the bias gradient before the backward products, one pass each.

Arrays are (rows, units): every leading axis flattened into rows.
"""

from __future__ import annotations

from engine.kernels import kernel


@kernel
def add_bias_relu(z, bias, use_bias, relu):
    """`z += bias` (with `use_bias`), then `z = relu(z)` (with `relu`; NaN stays NaN), in place."""
    rows, units = z.shape
    for r in range(rows):
        for j in range(units):
            v = z[r, j] + bias[j] if use_bias else z[r, j]
            z[r, j] = 0 if relu and v < 0 else v


@kernel
def relu_gradient(g, y, dz, bias_grad, use_bias):
    """`dz = g` where the ReLU's output `y` is positive, else 0; with `use_bias`, `bias_grad` = the column
    sums of dz, added row after row (the order NumPy's `sum(axis=0)` takes)."""
    rows, units = g.shape
    if use_bias:
        bias_grad[:] = 0
    for r in range(rows):
        for j in range(units):
            v = g[r, j] if y[r, j] > 0 else g[r, j] * 0
            dz[r, j] = v
            if use_bias:
                bias_grad[j] += v
