"""Tables in, arrays out: reading CSV files, column types and roles, preprocessing, and the train/validation split.

Plain Python and NumPy; no Qt. `DataSpec` is what the project saves; `prepare(spec)` gives `PreparedData`;
`Preprocessor` (fitted, JSON-able) turns new CSV files into model inputs at prediction time.
"""

from studio.data.column_data import ColumnData
from studio.data.columns import ColumnRole, ColumnSummary, ColumnType, summarize, summarize_table
from studio.data.csv_reader import CsvDialect, CsvError, CsvTable, detect_dialect, read_csv
from studio.data.dataset import PreparedData, Split, prepare
from studio.data.errors import DataError
from studio.data.preprocess import BINARY, MULTICLASS, REGRESSION, Preprocessor, Transformed
from studio.data.spec import (
    ColumnSpec,
    DataSpec,
    MissingStrategy,
    Scaling,
    SplitSpec,
    TargetEncoding,
    target_encoding_for_loss,
)

__all__ = [
    "BINARY", "MULTICLASS", "REGRESSION", "ColumnData", "ColumnRole", "ColumnSpec", "ColumnSummary", "ColumnType",
    "CsvDialect", "CsvError", "CsvTable", "DataError", "DataSpec", "MissingStrategy", "PreparedData", "Preprocessor",
    "Scaling", "Split", "SplitSpec", "TargetEncoding", "Transformed", "detect_dialect", "prepare", "read_csv",
    "summarize", "summarize_table", "target_encoding_for_loss",
]
