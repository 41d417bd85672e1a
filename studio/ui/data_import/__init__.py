"""The CSV import dialog: `ImportDialog(parent)`; after `exec()`, `.spec` (DataSpec) and `.prepared` (PreparedData)."""

from studio.ui.data_import.dialog import ImportDialog

__all__ = ["ImportDialog"]
