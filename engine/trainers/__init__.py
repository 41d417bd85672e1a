"""The training loop (`compile`, `fit`, `evaluate`, `predict`) and what it needs."""
