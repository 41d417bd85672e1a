"""Activation functions as layers of their own: ReLU, LeakyReLU, PReLU, ELU, Softmax."""
