"""Images as model inputs: pixel columns reshaped to H x W x C, or image files named in a column.

`PixelGrid` takes numeric pixel columns (MNIST's `pixel0..pixel783`) in row-major H, W, C order and divides by
the largest pixel value of the training rows (255 for 8-bit images, 16 for the UCI 8x8 digits), so pixels
lie in [0, 1]. `ImageFiles` decodes the files (paths relative to the CSV's folder, the Neural Network Console
`x:image` layout) with Pillow, converts them to the chosen channels and resizes them to one size, with pixels
divided by 255. Both are fitted, JSON-able and map a table's columns to one `(n, H, W, C)` float32 array.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from studio.data.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
MAX_LISTED = 5


def looks_like_image_paths(values: list[str]) -> bool:
    """True when most non-empty values end with an image file suffix."""
    present = [v for v in values[:200] if v.strip()]
    return bool(present) and sum(v.strip().lower().endswith(IMAGE_SUFFIXES) for v in present) >= 0.9 * len(present)


def proposed_grid(n_pixels: int) -> tuple[int, int, int] | None:
    """(height, width, channels) for `n_pixels` columns: a square of gray pixels, else a square of RGB pixels."""
    for channels in (1, 3):
        if n_pixels % channels == 0:
            side = math.isqrt(n_pixels // channels)
            if side > 1 and side * side * channels == n_pixels:
                return side, side, channels
    return None


@dataclass
class PixelGrid:
    """Numeric pixel columns -> (n, height, width, channels) in [0, 1]."""

    columns: list[str]
    height: int
    width: int
    channels: int
    scale: float  # the largest pixel value of the training rows: pixels are divided by it

    kind = "pixels"

    @classmethod
    def fit(cls, columns: list[str], pixels: np.ndarray, height: int, width: int, channels: int) -> PixelGrid:
        """`pixels`: the training rows' pixel values, (rows, columns)."""
        check_grid(len(columns), height, width, channels)
        finite = pixels[np.isfinite(pixels)]
        if finite.size and finite.min() < 0:
            raise DataError(f"Pixel columns hold negative values (down to {finite.min():g}); pixel values must be "
                            "0 or more.")
        scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        return cls(list(columns), int(height), int(width), int(channels), scale)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.height, self.width, self.channels)

    def transform(self, pixels: np.ndarray) -> np.ndarray:
        """(rows, columns) raw pixel values -> (rows, H, W, C) float32 in [0, 1], through the Keras layers an
        exported model holds (`studio.data.preprocessing_layers.image_layers`: Rescaling, ReLU(max_value=1),
        Reshape)."""
        from engine.ops import convert_to_numpy
        from studio.data.preprocessing_layers import image_layers

        x = np.asarray(pixels, dtype=np.float32)
        for layer in image_layers(self):
            x = convert_to_numpy(layer(x))
        return np.asarray(x)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "columns": list(self.columns), "height": self.height, "width": self.width,
                "channels": self.channels, "scale": self.scale}

    @classmethod
    def from_dict(cls, d: dict) -> PixelGrid:
        return cls([str(c) for c in d["columns"]], int(d["height"]), int(d["width"]), int(d["channels"]),
                   float(d["scale"]))


def check_grid(n_columns: int, height: int, width: int, channels: int) -> None:
    if min(height, width, channels) < 1:
        raise DataError(f"An image needs a height, width and channels of at least 1 (now {height} x {width} x "
                        f"{channels}).")
    if height * width * channels != n_columns:
        raise DataError(f"{n_columns} pixel columns do not make images of {height} x {width} x {channels} "
                        f"(= {height * width * channels} values): change the image size or the feature columns.")


@dataclass
class ImageFiles:
    """A column of image file paths -> (n, height, width, channels) in [0, 1], every image resized to one size."""

    column: str
    height: int
    width: int
    channels: int  # 1: grayscale ("L"), 3: RGB

    kind = "image_files"

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.height, self.width, self.channels)

    def transform(self, paths: list[str], csv_path: str, lines: list[int]) -> np.ndarray:
        """Decode, convert and resize the images; DataError naming the CSV file, line, column and image file of
        every image that is missing or unreadable (the first few, and how many in all)."""
        out = np.empty((len(paths), *self.shape), dtype=np.float32)
        problems = []
        for k, (path, line) in enumerate(zip(paths, lines)):
            try:
                out[k] = self.load(resolve_image_path(path, csv_path))
            except DataError as err:
                problems.append(f"line {line}: {err}")
        if problems:
            listed = "; ".join(problems[:MAX_LISTED])
            more = f" ({len(problems)} images in all)" if len(problems) > MAX_LISTED else ""
            raise DataError(f"{csv_path}: column {self.column!r} names images that cannot be used — {listed}{more}. "
                            "Fix the paths (they are relative to the CSV file's folder) or remove those rows.")
        return out

    def load(self, path: str) -> np.ndarray:
        """One image as (H, W, C) float32 in [0, 1]."""
        array = decode_image(path, "L" if self.channels == 1 else "RGB", (self.width, self.height))
        return array.reshape(self.shape)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "column": self.column, "height": self.height, "width": self.width,
                "channels": self.channels}

    @classmethod
    def from_dict(cls, d: dict) -> ImageFiles:
        return cls(str(d["column"]), int(d["height"]), int(d["width"]), int(d["channels"]))


def resolve_image_path(value: str, csv_path: str) -> str:
    """An image path from a CSV cell: as given when absolute, else relative to the CSV file's folder."""
    value = value.strip()
    if os.path.isabs(value):
        return value
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(csv_path)), value))


def decode_image(path: str, mode: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """The image at `path` in Pillow `mode` ("L" or "RGB"), resized to `size` (width, height), / 255."""
    from PIL import Image, UnidentifiedImageError

    if not os.path.exists(path):
        raise DataError(f"{path} does not exist")
    try:
        with Image.open(path) as image:
            image = image.convert(mode)
            if size is not None and image.size != tuple(size):
                image = image.resize(size, Image.Resampling.BILINEAR)
            return np.asarray(image, dtype=np.float32) / np.float32(255.0)
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise DataError(f"{path} is not an image Pillow can read ({type(err).__name__})") from None


def image_size(path: str) -> tuple[int, int, str]:
    """(width, height, Pillow mode) of an image file, without decoding its pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size[0], image.size[1], image.mode
    except FileNotFoundError:
        raise DataError(f"{path} does not exist") from None
    except (UnidentifiedImageError, OSError) as err:
        raise DataError(f"{path} is not an image Pillow can read ({type(err).__name__})") from None


def survey_images(paths: list[str], csv_path: str, limit: int = 50) -> dict:
    """What the first `limit` images are like, for proposing a size: {"sizes": {(w, h): count}, "modes": {...},
    "problems": [message, ...]}."""
    sizes: dict = {}
    modes: dict = {}
    problems = []
    for value in [p for p in paths if p.strip()][:limit]:
        try:
            w, h, mode = image_size(resolve_image_path(value, csv_path))
        except DataError as err:
            problems.append(str(err))
            continue
        sizes[(w, h)] = sizes.get((w, h), 0) + 1
        modes[mode] = modes.get(mode, 0) + 1
    return {"sizes": sizes, "modes": modes, "problems": problems}
