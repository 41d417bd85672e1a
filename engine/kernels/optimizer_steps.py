"""One compiled pass per variable for each optimizer's update, with Keras's formulas in Keras's order.

Every kernel takes the variable and its gradient flattened, then its slots (an empty array for a slot the
configuration does not use), then the scalars already cast to the variable's dtype (as Keras casts them),
then flags. All arithmetic stays in that dtype: float32 in, float32 products, as Keras computes them.
`Optimizer._run_step` (engine/optimizers/base.py) prepares the arguments.
"""

from __future__ import annotations

import numpy as np

from engine.kernels import kernel


@kernel
def sgd_step(w, g, m, lr, momentum, use_momentum, nesterov):
    """`w -= g * lr`; with momentum `m = m * momentum - g * lr`, then `w += m`
    (Nesterov: `w += m * momentum - g * lr`)."""
    for i in range(w.size):
        step = g[i] * lr
        if use_momentum:
            mi = m[i] * momentum - step
            m[i] = mi
            if nesterov:
                w[i] += mi * momentum - step
            else:
                w[i] += mi
        else:
            w[i] -= step


@kernel
def rmsprop_step(w, g, v, m, a, lr, rho, one_minus_rho, momentum, epsilon, use_momentum, centered):
    """`v = rho * v + (1 - rho) * g**2`; `increment = lr * g / sqrt(v + epsilon)` (centered: `v - a**2 +
    epsilon` with `a = rho * a + (1 - rho) * g`); `w -= increment`, or with momentum
    `m = momentum * m + increment; w -= m`."""
    for i in range(w.size):
        gi = g[i]
        vi = rho * v[i] + one_minus_rho * (gi * gi)
        v[i] = vi
        if centered:
            ai = rho * a[i] + one_minus_rho * gi
            a[i] = ai
            denominator = vi - ai * ai + epsilon
        else:
            denominator = vi + epsilon
        increment = lr * gi / np.sqrt(denominator)
        if use_momentum:
            mi = momentum * m[i] + increment
            m[i] = mi
            w[i] -= mi
        else:
            w[i] -= increment


@kernel
def adam_step(w, g, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon, amsgrad):
    """`m += (g - m) * (1 - beta_1)`; `v += (g**2 - v) * (1 - beta_2)`; amsgrad: `v_hat = max(v_hat, v)`
    used for v; `w -= m * alpha / (sqrt(v) + epsilon)`."""
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        vi = v[i] + (gi * gi - v[i]) * one_minus_beta_2
        v[i] = vi
        if amsgrad:
            vi = np.maximum(v_hat[i], vi)
            v_hat[i] = vi
        w[i] -= mi * alpha / (np.sqrt(vi) + epsilon)


@kernel
def adagrad_step(w, g, accumulator, lr, epsilon):
    """`accumulator += g**2`; `w -= lr * g / sqrt(accumulator + epsilon)`."""
    for i in range(w.size):
        gi = g[i]
        acc = accumulator[i] + gi * gi
        accumulator[i] = acc
        w[i] -= lr * gi / np.sqrt(acc + epsilon)


@kernel
def adadelta_step(w, g, accumulated_grad, accumulated_delta, lr, rho, one_minus_rho, epsilon):
    """`acc_g = rho * acc_g + (1 - rho) * g**2`; `delta = -(sqrt(acc_d + eps) * g / sqrt(acc_g + eps))`;
    `acc_d = rho * acc_d + (1 - rho) * delta**2`; `w += lr * delta`."""
    for i in range(w.size):
        gi = g[i]
        acc_g = rho * accumulated_grad[i] + one_minus_rho * (gi * gi)
        accumulated_grad[i] = acc_g
        acc_d = accumulated_delta[i]
        delta = -(np.sqrt(acc_d + epsilon) * gi / np.sqrt(acc_g + epsilon))
        accumulated_delta[i] = rho * acc_d + one_minus_rho * (delta * delta)
        w[i] += lr * delta


@kernel
def adamax_step(w, g, m, u, lr, one_minus_beta_1, beta_2, one_minus_beta_1_power, epsilon):
    """`m += (g - m) * (1 - beta_1)`; `u = max(beta_2 * u, |g|)`;
    `w -= lr * m / ((1 - beta_1**t) * (u + epsilon))`."""
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        ui = np.maximum(beta_2 * u[i], np.abs(gi))
        u[i] = ui
        w[i] -= lr * mi / (one_minus_beta_1_power * (ui + epsilon))


@kernel
def nadam_step(w, g, m, v, lr, one_minus_beta_1, one_minus_beta_2, u_t_1, one_minus_u_product_t_1,
               one_minus_u_t, one_minus_u_product_t, one_minus_beta_2_power, epsilon):
    """Adam's moments, then `m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product_t)`,
    `v_hat = v / (1 - beta_2**t)`, `w -= m_hat * lr / (sqrt(v_hat) + epsilon)`."""
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        vi = v[i] + (gi * gi - v[i]) * one_minus_beta_2
        v[i] = vi
        m_hat = u_t_1 * mi / one_minus_u_product_t_1 + one_minus_u_t * gi / one_minus_u_product_t
        v_hat = vi / one_minus_beta_2_power
        w[i] -= m_hat * lr / (np.sqrt(v_hat) + epsilon)


@kernel
def lion_step(w, g, m, lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2):
    """`w -= lr * sign(m * beta_1 + g * (1 - beta_1))`; `m = m * beta_2 + g * (1 - beta_2)`."""
    for i in range(w.size):
        gi = g[i]
        mi = m[i]
        w[i] -= lr * np.sign(mi * beta_1 + gi * one_minus_beta_1)
        m[i] = mi * beta_2 + gi * one_minus_beta_2


@kernel
def moving_average_step(average, w, momentum, one_minus_momentum):
    """`average = momentum * average + (1 - momentum) * w` (the optimizer's `use_ema`)."""
    for i in range(average.size):
        average[i] = momentum * average[i] + one_minus_momentum * w[i]
