"""The one error type of `studio.data`: bad input, with a message that names the file, line and column."""


class DataError(ValueError):
    """Data that cannot be used as asked; the message says what and where, and what to do about it."""
