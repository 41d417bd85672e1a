"""Column inference, the data spec, the fitted preprocessor and the split, checked value by value."""

import json

import numpy as np
import pytest

from studio.data import (
    ColumnRole,
    ColumnType,
    DataError,
    DataSpec,
    MissingStrategy,
    Preprocessor,
    Scaling,
    TargetEncoding,
    prepare,
    read_csv,
    summarize,
    target_encoding_for_loss,
)
from studio.data.split import split_indices


def table(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return read_csv(path)


MIXED = "age,color,income,comment,label\n" \
        "30,red,1000,hello there,yes\n" \
        "40,blue,,fine,no\n" \
        ",red,3000,ok then,yes\n" \
        "50,green,4000,what,no\n" \
        "60,blue,5000,a b c,yes\n"


def test_summaries_infer_types_and_count_missing():
    s = summarize("a", ["1", "2.5", "", "NA", "-3e2"])
    assert (s.inferred_type, s.n_missing, s.n_unique, s.non_numeric) == (ColumnType.NUMERIC, 2, 3, 0)
    s = summarize("c", ["red", "blue", "red", "?"])
    assert (s.inferred_type, s.n_missing, s.n_unique) == (ColumnType.CATEGORICAL, 1, 2)
    s = summarize("t", [f"sentence number {i}" for i in range(200)])
    assert s.inferred_type == ColumnType.TEXT
    s = summarize("m", ["", "NA", ""])
    assert s.all_missing and s.describe() == "all values missing"
    s = summarize("n", [str(i) for i in range(100)] + ["oops"])
    assert s.inferred_type == ColumnType.NUMERIC and s.non_numeric == 1 and s.first_non_numeric == (100, "oops")


def test_spec_proposes_roles_and_round_trips_through_json(tmp_path):
    t = table(tmp_path, MIXED)
    spec = DataSpec.from_table(t)
    roles = {c.name: (c.type.value, c.role.value) for c in spec.columns}
    assert roles == {"age": ("numeric", "feature"), "color": ("categorical", "feature"),
                     "income": ("numeric", "feature"), "comment": ("categorical", "feature"),
                     "label": ("categorical", "target")}
    spec.column("comment").role = ColumnRole.IGNORE
    spec.column("income").missing = MissingStrategy.FILL_MEAN
    back = DataSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert back == spec


def test_integer_coded_target_proposed_as_classes(tmp_path):
    t = table(tmp_path, "x,y\n" + "".join(f"{i * 0.5},{i % 3}\n" for i in range(30)))
    assert DataSpec.from_table(t).target.type == ColumnType.CATEGORICAL


def test_fill_and_drop_rows_standardize_and_one_hot(tmp_path):
    t = table(tmp_path, MIXED)
    spec = DataSpec.from_table(t)
    spec.column("comment").role = ColumnRole.IGNORE
    spec.missing = MissingStrategy.FILL
    p = Preprocessor.fit(t, spec)
    assert p.feature_names == ["age", "color=blue", "color=green", "color=red", "income"]
    out = p.transform(t)
    age = np.array([30, 40, 45, 50, 60.0])  # the missing age filled with the mean of the others, 45
    income = np.array([1000, 3250, 3000, 4000, 5000.0])
    np.testing.assert_allclose(out.x[:, 0], (age - 45) / np.array([30, 40, 50, 60.0]).std(), rtol=1e-6)
    np.testing.assert_allclose(out.x[:, 4], (income - 3250) / np.array([1000, 3000, 4000, 5000.0]).std(),
                               rtol=1e-6)
    np.testing.assert_array_equal(out.x[:, 1:4], [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])
    assert p.task == "binary" and p.class_names == ["no", "yes"]
    np.testing.assert_array_equal(out.y, [[1], [0], [1], [0], [1]])
    assert out.y.dtype == np.float32 and out.x.dtype == np.float32

    spec.missing = MissingStrategy.DROP_ROWS
    spec.scaling = Scaling.NONE
    out = Preprocessor.fit(t, spec).transform(t)
    assert out.lines.tolist() == [2, 5, 6] and out.dropped == {"age": 1, "income": 1}
    np.testing.assert_array_equal(out.x[:, 0], [30, 50, 60])


def test_most_frequent_fill_for_categorical(tmp_path):
    t = table(tmp_path, "c,y\nred,1.5\n,2.5\nblue,3.5\nred,4.5\n")
    spec = DataSpec.from_table(t)
    spec.missing = MissingStrategy.FILL
    out = Preprocessor.fit(t, spec).transform(t)
    np.testing.assert_array_equal(out.x, [[0, 1], [0, 1], [1, 0], [0, 1]])
    assert out.y.shape == (4, 1) and out.y.dtype == np.float32  # regression target as floats


def test_fill_mean_refused_for_categorical(tmp_path):
    t = table(tmp_path, "c,y\nred,1\nblue,2\n")
    spec = DataSpec.from_table(t)
    spec.column("c").missing = MissingStrategy.FILL_MEAN
    with pytest.raises(DataError, match="'c' is categorical"):
        spec.validate()


def test_multiclass_target_encodings(tmp_path):
    t = table(tmp_path, "x,k\n1,b\n2,a\n3,c\n4,a\n")
    spec = DataSpec.from_table(t)
    p = Preprocessor.fit(t, spec)
    assert p.class_names == ["a", "b", "c"]
    np.testing.assert_array_equal(p.transform(t).y, [1, 0, 2, 0])
    spec.target_encoding = TargetEncoding.ONE_HOT
    np.testing.assert_array_equal(Preprocessor.fit(t, spec).transform(t).y, np.eye(3)[[1, 0, 2, 0]])


def test_numeric_class_labels_sorted_as_numbers(tmp_path):
    t = table(tmp_path, "x,k\n1,10\n2,9\n3,2\n")
    spec = DataSpec.from_table(t)
    spec.column("k").type = ColumnType.CATEGORICAL
    assert Preprocessor.fit(t, spec).class_names == ["2", "9", "10"]


def test_target_encoding_for_loss():
    assert target_encoding_for_loss("categorical_crossentropy") == TargetEncoding.ONE_HOT
    assert target_encoding_for_loss("sparse_categorical_crossentropy") == TargetEncoding.INTEGER
    assert target_encoding_for_loss("binary_crossentropy") == TargetEncoding.AUTO


def test_state_round_trips_and_applies_to_a_new_file(tmp_path):
    t = table(tmp_path, MIXED)
    spec = DataSpec.from_table(t)
    spec.column("comment").role = ColumnRole.IGNORE
    spec.missing = MissingStrategy.FILL
    p = Preprocessor.fit(t, spec)
    q = Preprocessor.from_dict(json.loads(json.dumps(p.to_dict())))
    new = table(tmp_path, "income,color,age\n2000,green,35\n,red,\n", "new.csv")
    a, b = p.transform(new), q.transform(new)
    assert a.y is None
    np.testing.assert_array_equal(a.x, b.x)
    assert a.x.shape == (2, 5)
    labels, probs = q.decode(np.array([[0.2], [0.9]]))
    assert labels == ["no", "yes"]
    np.testing.assert_allclose(probs, [[0.8, 0.2], [0.1, 0.9]])


def test_new_file_missing_a_column(tmp_path):
    t = table(tmp_path, "a,b,y\n1,2,3\n4,5,6\n")
    p = Preprocessor.fit(t, DataSpec.from_table(t))
    with pytest.raises(DataError, match=r"new.csv: the model needs column 'b', which the file does not have"):
        p.transform(table(tmp_path, "a,y\n1,2\n", "new.csv"))


def test_new_file_with_an_unseen_category_is_out_of_vocabulary_and_named(tmp_path):
    t = table(tmp_path, "c,y\nred,1\nblue,2\n")
    p = Preprocessor.fit(t, DataSpec.from_table(t))
    out = p.transform(table(tmp_path, "c\nred\npurple\npurple\n", "new.csv"))
    np.testing.assert_array_equal(out.x, [[0, 1], [0, 0], [0, 0]])  # categories blue, red; purple: no category
    assert out.unseen == {"c": (2, 3, "purple")}
    assert out.notes() == ["column 'c': 2 rows hold a category not seen in training (first 'purple', line 3), "
                           "taken as unknown (no category)"]


def test_text_in_a_numeric_column_names_line_and_column(tmp_path):
    t = table(tmp_path, "a,y\n" + "".join(f"{i % 17},{i % 2}\n" for i in range(40)) + "twelve,1\n")
    spec = DataSpec.from_table(t)
    assert spec.column("a").type == ColumnType.NUMERIC
    with pytest.raises(DataError, match=r"column 'a' is numeric but line 42 holds 'twelve'"):
        prepare(spec, t)


def test_target_with_one_class(tmp_path):
    t = table(tmp_path, "a,y\n1,cat\n2,cat\n3,cat\n")
    with pytest.raises(DataError, match="target 'y' has a single class \\('cat'\\)"):
        prepare(DataSpec.from_table(t), t)


def test_all_missing_column(tmp_path):
    t = table(tmp_path, "a,b,y\n1,,x\n2,,y\n3,,x\n")
    spec = DataSpec.from_table(t)
    assert spec.column("b").role == ColumnRole.IGNORE
    spec.column("b").role = ColumnRole.FEATURE
    with pytest.raises(DataError, match="column 'b' has no values at all \\(all 3 missing\\)"):
        prepare(spec, t)


def test_spec_needs_a_target_and_a_feature(tmp_path):
    t = table(tmp_path, "a,b\n1,2\n3,4\n")
    spec = DataSpec.from_table(t)
    spec.column("a").role = ColumnRole.TARGET  # two targets (a model with two outputs): no feature left
    with pytest.raises(DataError, match="at least one feature"):
        spec.validate()
    spec.column("a").role = ColumnRole.FEATURE
    spec.column("b").role = ColumnRole.IGNORE
    with pytest.raises(DataError, match="Choose a target column; none is chosen yet"):
        spec.validate()


def test_bad_values_in_a_saved_spec():
    with pytest.raises(DataError, match="Unknown column role 'boss'"):
        DataSpec.from_dict({"path": "x.csv", "columns": [{"name": "a", "type": "numeric", "role": "boss"}]})


def test_stratified_split_keeps_proportions_and_is_seeded():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    train, val, test = split_indices(100, 0.2, 0.1, seed=3, labels=labels)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))
    assert np.bincount(labels[val]).tolist() == [10, 6, 4]
    assert np.bincount(labels[test]).tolist() == [5, 3, 2]
    again = split_indices(100, 0.2, 0.1, seed=3, labels=labels)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again))
    other = split_indices(100, 0.2, 0.1, seed=4, labels=labels)
    assert not np.array_equal(val, other[1])


def test_unshuffled_split_is_chronological():
    train, val, test = split_indices(10, 0.2, 0.1, shuffle=False)
    assert train.tolist() == list(range(7)) and val.tolist() == [7, 8] and test.tolist() == [9]


def test_prepare_fits_statistics_on_training_rows_only():
    spec = DataSpec.from_table(read_csv("studio/assets/data/iris.csv"))
    spec.split.test_fraction = 0.2
    data = prepare(spec)
    assert (len(data.train), len(data.validation), len(data.test)) == (90, 30, 30)
    np.testing.assert_allclose(data.train.x.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.train.x.std(axis=0), 1, atol=1e-5)
    assert abs(data.validation.x.mean()) > 1e-4
    assert np.bincount(data.validation.y).tolist() == [10, 10, 10]
    assert data.input_shape == (4,)
    assert set(data.train.lines) | set(data.validation.lines) | set(data.test.lines) == set(range(2, 152))


def test_huge_file_prepared_with_progress(tmp_path):
    rng = np.random.default_rng(0)
    n = 100_000
    a = rng.normal(size=n).round(3)
    lines = "\n".join(f"{v},{'pq'[i % 2]},{int(v > 0)}" for i, v in enumerate(a))
    path = tmp_path / "big.csv"
    path.write_text("a,b,y\n" + lines + "\n")
    seen = []
    spec = DataSpec.from_table(read_csv(path, max_rows=100))  # as the import dialog does: a preview first
    data = prepare(spec, progress=seen.append)
    assert len(data.train) + len(data.validation) == n
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_targets_re_encoded_for_the_chosen_loss():
    data = prepare(DataSpec.from_table(read_csv("studio/assets/data/iris.csv")))
    one_hot = data.for_loss("categorical_crossentropy")
    assert one_hot.train.y.shape == (120, 3) and one_hot.preprocessor.target.encoding == "one_hot"
    np.testing.assert_array_equal(one_hot.train.y.argmax(axis=1), data.train.y)
    assert one_hot.spec.target_encoding == TargetEncoding.ONE_HOT and data.spec.target_encoding == TargetEncoding.AUTO
    back = one_hot.for_loss("sparse_categorical_crossentropy")
    np.testing.assert_array_equal(back.validation.y, data.validation.y)
    assert data.for_loss("sparse_categorical_crossentropy") is data
    # The re-encoded preprocessor encodes new files the same way.
    assert one_hot.preprocessor.transform(data.table).y.shape == (150, 3)


def test_example_specs_prepare_as_expected():
    from studio.data.examples import EXAMPLES, example_spec

    expected = {"iris": ("multiclass", 4), "wine": ("multiclass", 13), "breast_cancer": ("binary", 30),
                "monthly_series": ("regression", (5,)), "digits": ("multiclass", (8, 8, 1)),
                "elnino": ("regression", (12, 1)), "definitions": ("multiclass", (20,))}
    for name in EXAMPLES:
        data = prepare(example_spec(name))
        shape = expected[name][1] if isinstance(expected[name][1], tuple) else (expected[name][1],)
        assert (data.preprocessor.task, data.input_shape) == (expected[name][0], shape), name
    series = prepare(example_spec("monthly_series"))
    assert series.validation.lines.min() > series.train.lines.max()
    with pytest.raises(DataError, match="No example dataset 'mnist'"):
        example_spec("mnist")
