"""The project's fitted preprocessing as Keras preprocessing layers: the model on raw columns gives exactly the
studio's own prepared features (numbers standardized and filled, categories one-hot, filled or out of
vocabulary), survives a save, and real Keras loads its numeric part."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import engine
from studio.data import ColumnRole, ColumnType, DataSpec, MissingStrategy, Preprocessor, read_csv
from studio.data.preprocessing_layers import column_inputs, missing_markers, preprocessing_model, raw_columns

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from penguins_like import write_penguins  # noqa: E402

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def penguins(tmp_path_factory):
    """A penguins-like table with missing numbers (bill length "NA") and categories (sex "NA") filled, fitted."""
    folder = tmp_path_factory.mktemp("penguins")
    write_penguins(folder / "penguins.csv")
    table = read_csv(folder / "penguins.csv")
    spec = DataSpec.from_table(table)
    keep = ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"]
    for column in spec.columns:
        column.role = ColumnRole.TARGET if column.name == "species" else \
            ColumnRole.FEATURE if column.name in keep else ColumnRole.IGNORE
    spec.missing = MissingStrategy.FILL
    return table, Preprocessor.fit(table, spec), folder


def test_the_model_on_raw_columns_gives_the_studios_prepared_features(penguins):
    table, preprocessor, _ = penguins
    assert [(c.name, c.kind) for c in column_inputs(preprocessor)] == [
        ("island", "categorical"), ("bill_length_mm", "numeric"), ("bill_depth_mm", "numeric"),
        ("flipper_length_mm", "numeric"), ("body_mass_g", "numeric"), ("sex", "categorical")]
    raw = raw_columns(preprocessor, table)
    assert np.isnan(raw["bill_length_mm"][[3, 50], 0]).all() and raw["sex"][0, 0] == ""
    got = preprocessing_model(preprocessor).predict(raw, verbose=0)
    expected = preprocessor.transform(table, with_target=False).x
    assert got.shape == expected.shape == (120, 9)
    np.testing.assert_array_equal(got, expected)  # the same layers, the same float32 numbers
    bill = preprocessor.features[[f.name for f in preprocessor.features].index("bill_length_mm")]
    assert got[3, 3] == np.float32((np.float32(bill.fill) - np.float32(bill.mean)) / np.float32(bill.std))


def test_unseen_and_missing_categories_in_a_new_file(penguins, tmp_path):
    _, preprocessor, _ = penguins
    new = tmp_path / "new.csv"
    new.write_text("island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\n"
                   "Biscoe,40,17,190,4000,male\n"
                   "Atlantis,,17,190,4000,N/A\n")
    table = read_csv(new)
    out = preprocessor.transform(table, with_target=False)
    sex = preprocessor.features[-1]
    assert out.unseen == {"island": (1, 3, "Atlantis")}
    np.testing.assert_array_equal(out.x[1, :3], [0, 0, 0])  # out of vocabulary: no island
    np.testing.assert_array_equal(out.x[1, -2:], np.eye(2)[sex.categories.index(sex.fill)])  # the fill category
    raw = raw_columns(preprocessor, table)
    np.testing.assert_array_equal(preprocessing_model(preprocessor).predict(raw, verbose=0), out.x)
    raw["sex"] = np.array([["female"], ["nUlL"]], dtype=object)  # any spelling the CSV reader takes as missing
    assert {"NA", "nUlL", "Missing", ""} <= set(missing_markers(sex.categories))
    np.testing.assert_array_equal(preprocessing_model(preprocessor).predict(raw, verbose=0)[1], out.x[1])


def test_saved_and_loaded_by_the_engine(penguins, tmp_path):
    table, preprocessor, _ = penguins
    model = preprocessing_model(preprocessor)
    model.save(tmp_path / "prep.keras")
    loaded = engine.saving.load_model(tmp_path / "prep.keras")
    raw = raw_columns(preprocessor, table)
    np.testing.assert_array_equal(loaded.predict(raw, verbose=0), model.predict(raw, verbose=0))


def test_real_keras_fills_and_standardizes_numbers_as_the_studio(penguins, tmp_path):
    keras = pytest.importorskip("keras")
    table, preprocessor, _ = penguins
    numeric = Preprocessor([f for f in preprocessor.features if f.type == "numeric"], preprocessor.targets,
                           preprocessor.scaling)
    path = tmp_path / "numbers.keras"
    preprocessing_model(numeric).save(path)
    got = keras.saving.load_model(path).predict(raw_columns(numeric, table), verbose=0)
    expected = numeric.transform(table, with_target=False).x
    assert not np.isnan(got).any()
    np.testing.assert_allclose(np.asarray(got), expected, rtol=0, atol=1e-6)


def test_pixel_columns_become_images_through_the_same_layers(tmp_path):
    path = tmp_path / "pixels.csv"
    path.write_text("label," + ",".join(f"p{i}" for i in range(4)) + "\n" +
                    "".join(f"{i % 2},{i},{2 * i},{i % 3},{17 - i}\n" for i in range(12)))
    from studio.data.kinds import ImageSpec
    table = read_csv(path)
    spec = DataSpec.from_table(table)
    for column in spec.columns:
        column.role = ColumnRole.TARGET if column.name == "label" else ColumnRole.FEATURE
        column.type = ColumnType.CATEGORICAL if column.name == "label" else ColumnType.NUMERIC
    spec.image = ImageSpec(2, 2, 1)
    preprocessor = Preprocessor.fit(table, spec)
    assert [c.kind for c in column_inputs(preprocessor)] == ["numeric"] * 4
    got = preprocessing_model(preprocessor).predict(raw_columns(preprocessor, table), verbose=0)
    expected = preprocessor.transform(table, with_target=False).x
    assert got.shape == expected.shape == (12, 2, 2, 1) and expected.max() == 1.0 and expected.min() == 0.0
    np.testing.assert_array_equal(got, expected)


def test_data_no_raw_column_model_takes_is_refused():
    from studio.data import DataError
    from studio.data.images import ImageFiles
    from studio.data.preprocess import FeatureState
    photo = FeatureState("photo", "image", "drop_rows")
    files = Preprocessor([photo], None, "none", encoder=ImageFiles("photo", 8, 8, 1))
    with pytest.raises(DataError, match="image files; a model on raw columns takes tables"):
        column_inputs(files)
