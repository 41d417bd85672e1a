"""`engine.datasets`: Keras's small datasets, read from Keras's own cache (`~/.keras/datasets`); no network."""

from engine.datasets import boston_housing, cifar10, fashion_mnist, imdb, mnist

__all__ = ["boston_housing", "cifar10", "fashion_mnist", "imdb", "mnist"]
