"""Attention layers: MultiHeadAttention, Attention (dot-product, Luong) and AdditiveAttention (Bahdanau)."""
