"""The example datasets in studio/assets/data as ready data specs, so that an example project trains in one click."""

from __future__ import annotations

from pathlib import Path

from studio.assets import ASSETS_DIR
from studio.data.columns import ColumnRole
from studio.data.csv_reader import read_csv
from studio.data.errors import DataError
from studio.data.spec import DataSpec

ASSETS = ASSETS_DIR / "data"

EXAMPLES = {
    "iris": "iris.csv",
    "wine": "wine.csv",
    "breast_cancer": "breast_cancer_wisconsin.csv",
    "monthly_series": "synthetic_monthly_series.csv",
    "digits": "optical_digits_8x8.csv",
    "elnino": "elnino_sst_monthly.csv",
    "definitions": "wordnet_definitions.csv",
}


def example_path(name: str, folder: Path | None = None) -> Path:
    try:
        return (folder or ASSETS) / EXAMPLES[name]
    except KeyError:
        raise DataError(f"No example dataset {name!r}; there are {', '.join(EXAMPLES)}.") from None


def example_spec(name: str, folder: Path | None = None) -> DataSpec:
    """The proposed spec of an example file: pixel images for the digits, 12-month windows for the El Niño series,
    token sequences for the definitions. The synthetic series is a table of lagged values already: its rows are
    not windowed, but keep their order (no shuffling) so that validation comes after training in time."""
    path = example_path(name, folder)
    spec = DataSpec.from_table(read_csv(path))
    if name == "monthly_series":
        spec.sequence = None
        spec.split.shuffle = False
        spec.column("month").role = ColumnRole.IGNORE
    return spec
