"""Cross-entropies of softmax or sigmoid outputs (or logits) with their gradient to the logits, in one pass.

The sparse categorical kernels take rows of samples (any leading axes flattened) by columns of classes;
the binary kernel takes flat arrays. Each writes the losses and the gradient of each loss with respect to
the logits (the vector-Jacobian product then only scales it), with the values Keras computes, in the
arrays' dtype.
"""

from __future__ import annotations

import numpy as np

from engine.kernels import kernel


@kernel
def sparse_crossentropy_of_softmax(probs, labels, eps, one_minus_eps, losses, grad):
    """Loss `-log(clip(p[label], eps, 1 - eps))` of softmax outputs `probs`; its gradient to the logits is
    `probs - one_hot(label)` where the probability of the label lies inside the clip, else 0 (NaN stays NaN)."""
    rows, classes = probs.shape
    for r in range(rows):
        label = labels[r]
        p = probs[r, label]
        losses[r] = -np.log(np.minimum(np.maximum(p, eps), one_minus_eps))
        if eps <= p <= one_minus_eps:
            for j in range(classes):
                grad[r, j] = probs[r, j]
            grad[r, label] -= 1
        else:
            for j in range(classes):
                grad[r, j] = probs[r, j] * 0


@kernel
def sparse_crossentropy_of_logits(logits, labels, losses, grad):
    """Loss `-log_softmax(logits)[label]` (shifted by the row's maximum); its gradient to the logits is
    `softmax(logits) - one_hot(label)`."""
    rows, classes = logits.shape
    for r in range(rows):
        top = logits[r, 0]
        for j in range(1, classes):
            top = np.maximum(top, logits[r, j])
        total = np.exp(logits[r, 0] - top)
        for j in range(1, classes):
            total += np.exp(logits[r, j] - top)
        log_total = np.log(total)
        label = labels[r]
        losses[r] = -(logits[r, label] - top - log_total)
        for j in range(classes):
            grad[r, j] = np.exp(logits[r, j] - top - log_total)
        grad[r, label] -= 1


@kernel
def binary_crossentropy_of_sigmoid(probs, target, eps, one_minus_eps, one, losses, grad):
    """Elementwise `-(t * log(c) + (1 - t) * log(1 - c))` with `c = clip(p, eps, 1 - eps)` of sigmoid outputs;
    its gradient to the logits is `p - t` where p lies inside the clip, else 0 (NaN stays NaN). `one` is 1 in
    the arrays' dtype."""
    for i in range(probs.size):
        p = probs[i]
        t = target[i]
        clipped = np.minimum(np.maximum(p, eps), one_minus_eps)
        losses[i] = -(t * np.log(clipped) + (one - t) * np.log(one - clipped))
        difference = p - t
        grad[i] = difference if eps <= p <= one_minus_eps else difference * 0
