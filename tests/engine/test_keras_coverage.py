"""tools/keras_coverage.py: the checked-in list of Keras's names is Keras's, and the report counts right."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "keras_coverage.py"


def _load():
    spec = importlib.util.spec_from_file_location("keras_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_names_equal_installed_keras():
    keras = pytest.importorskip("keras")
    coverage = _load()
    stored = json.loads(coverage.NAMES_FILE.read_text())
    if stored["keras_version"] != keras.__version__:
        pytest.skip(f"names stored for Keras {stored['keras_version']}, installed {keras.__version__}")
    assert coverage.keras_names_from_installed() == stored, "run `python tools/keras_coverage.py --write-names`"


def test_report_counts_the_engine_against_the_checked_in_list():
    coverage = _load()
    names = json.loads(coverage.NAMES_FILE.read_text())
    result = coverage.coverage(names)
    present, missing = result["ops"]["numpy"]
    assert not missing, f"keras.ops.numpy names missing from engine.ops: {missing}"
    assert "top_k" in result["ops"]["math"][0] and "segment_sum" in result["ops"]["math"][0]
    text = coverage.report(names)
    assert f"numpy: {len(present)} of {len(present)}" in text
    assert "keras.layers:" in text and "missing layers:" in text


def test_operation_table_equals_installed_keras():
    keras = pytest.importorskip("keras")
    coverage = _load()
    stored = json.loads(coverage.NAMES_FILE.read_text())
    if stored["keras_version"] != keras.__version__:
        pytest.skip(f"table made for Keras {stored['keras_version']}, installed {keras.__version__}")
    from engine.ops.keras_operation_table import KERAS_OPERATIONS
    fresh = {name: (module, cls, tuple(init), tuple(call))
             for name, (module, cls, init, call) in coverage.keras_operation_classes().items()}
    assert fresh == KERAS_OPERATIONS, "run `python tools/keras_coverage.py --write-names`"
