"""Data kinds: text as Keras TextVectorization token sequences, images from pixel columns and from image files,
time-series windows; their proposals, JSON round trips and bad-input messages (file, line, column)."""

import json
from pathlib import Path

import numpy as np
import pytest

from studio.data import DataError, DataSpec, Preprocessor, prepare, read_csv
from studio.data.columns import ColumnRole, ColumnType
from studio.data.images import ImageFiles, PixelGrid, proposed_grid
from studio.data.kinds import ImageSpec, SequenceSpec, TextSpec
from studio.data.sequences import window_ends
from studio.data.text import TextVectorizer, build_vocabulary, tokens

KERAS_CASES = Path(__file__).parents[2] / "engine" / "data" / "preprocessing_keras_cases.json"


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def spec_of(path, **changes):
    spec = DataSpec.from_table(read_csv(path))
    for key, value in changes.items():
        setattr(spec, key, value)
    return spec


# -- text ------------------------------------------------------------------------------------------------------

def keras_text_cases():
    cases = json.loads(KERAS_CASES.read_text())["cases"]
    return [c for c in cases if c["class_name"] == "TextVectorization" and c["adapt"] and
            c["kwargs"].get("output_mode", "int") == "int" and not c["kwargs"].get("ngrams") and
            "split" not in c["kwargs"] and "standardize" not in c["kwargs"]]


def test_vocabulary_and_indices_match_what_real_keras_computed():
    cases = keras_text_cases()
    assert cases, "the Keras fixture holds an int-mode TextVectorization case"
    for case in cases:
        length = case["kwargs"].get("output_sequence_length") or len(case["output"][0])
        vectorizer = TextVectorizer.fit("text", case["adapt"], length, case["kwargs"].get("max_tokens"))
        assert vectorizer.vocabulary == case["vocabulary"]
        np.testing.assert_array_equal(vectorizer.transform(case["input"]), case["output"])


def test_keras_semantics_ties_max_tokens_padding_and_truncation():
    # ASCII letters only are lowered (tf.strings.lower without an encoding); punctuation goes; whitespace splits.
    assert tokens("Hello, WORLD!\tÉcole  d'été\n") == ["hello", "world", "École", "dété"]
    # Equal counts: the token later in byte order comes first (np.lexsort((tokens, counts))[::-1]).
    assert build_vocabulary(["b a c", "c"]) == ["", "[UNK]", "c", "b", "a"]
    assert build_vocabulary(["b a c", "c"], max_tokens=4) == ["", "[UNK]", "c", "b"]  # max_tokens counts "" and [UNK]
    vectorizer = TextVectorizer.fit("t", ["b a c", "c"], output_sequence_length=3, max_tokens=4)
    np.testing.assert_array_equal(vectorizer.transform(["a b c c c", "c", ""]), [[1, 3, 2], [2, 0, 0], [0, 0, 0]])
    again = TextVectorizer.from_dict(json.loads(json.dumps(vectorizer.to_dict())))
    assert again == vectorizer


def test_the_engine_text_vectorization_layer_gives_the_same_indices():
    from engine.layers import TextVectorization

    texts = read_csv("studio/assets/data/wordnet_definitions.csv").column("definition").tolist()
    vectorizer = TextVectorizer.fit("definition", texts[:800], output_sequence_length=12, max_tokens=500)
    layer = TextVectorization(**vectorizer.layer_config())
    np.testing.assert_array_equal(np.asarray(layer(np.array(texts[800:]))), vectorizer.transform(texts[800:]))
    adapted = TextVectorization(max_tokens=500, output_sequence_length=12)
    adapted.adapt(np.array(texts[:800]))
    assert adapted.get_vocabulary() == vectorizer.vocabulary


def test_a_text_column_is_proposed_fitted_on_training_rows_and_empty_texts_are_counted(tmp_path):
    rows = [f"{'good great fine' if i % 2 else 'bad awful poor'} day number{i},{'pos' if i % 2 else 'neg'}"
            for i in range(40)]
    rows[5] = ",pos"  # an empty text
    path = write(tmp_path / "reviews.csv", "review,label\n" + "\n".join(rows) + "\n")
    spec = spec_of(path)
    assert spec.column("review").type == ColumnType.TEXT and spec.column("review").role == ColumnRole.FEATURE
    assert spec.text.output_sequence_length == 5
    data = prepare(spec)
    assert data.input_shape == (5,) and data.train.x.dtype == np.int32
    assert data.dropped == {"review": 1} and "review 1 (first at line 7)" in data.summary()
    vocabulary = data.preprocessor.encoder.vocabulary
    training_words = {w for i in data.train.rows for w in tokens(data.table.column("review")[i])}
    assert set(vocabulary[2:]) == training_words  # fitted on the training rows only
    spec.column("review").missing = spec.missing.FILL  # filled: an empty text is all padding
    filled = prepare(spec)
    assert not filled.dropped and len(filled.train) + len(filled.validation) == 40


# -- images ----------------------------------------------------------------------------------------------------

def test_pixel_columns_are_proposed_as_images_scaled_by_the_largest_training_pixel(tmp_path):
    assert proposed_grid(784) == (28, 28, 1) and proposed_grid(64) == (8, 8, 1) and proposed_grid(3072) == (32, 32, 3)
    assert proposed_grid(50) is None
    spec = spec_of(Path("studio/assets/data/optical_digits_8x8.csv"))
    assert spec.image == ImageSpec(8, 8, 1) and spec.target.name == "label" and len(spec.features) == 64
    data = prepare(spec)
    assert data.input_shape == (8, 8, 1) and data.preprocessor.encoder.scale == 16.0
    assert 0.0 <= data.train.x.min() and data.train.x.max() == 1.0
    first = np.array([float(data.table.column(f"pixel{k}")[data.train.rows[0]]) for k in range(64)])
    np.testing.assert_allclose(data.train.x[0, :, :, 0], first.reshape(8, 8) / 16.0)
    spec.image = ImageSpec(4, 4, 1)
    with pytest.raises(DataError, match=r"64 pixel columns do not make images of 4 x 4 x 1 \(= 16 values\)"):
        prepare(spec)
    state = json.loads(json.dumps(data.preprocessor.to_dict()))
    assert isinstance(Preprocessor.from_dict(state).encoder, PixelGrid)


def make_images(folder, sizes, mode="L"):
    from PIL import Image

    (folder / "img").mkdir(parents=True, exist_ok=True)
    lines = ["x:image,y:label"]
    for i, (w, h) in enumerate(sizes):
        pixels = np.full((h, w) if mode == "L" else (h, w, 3), 40 * i, dtype=np.uint8)
        Image.fromarray(pixels, mode).save(folder / "img" / f"{i}.png")
        lines.append(f"img/{i}.png,{'a' if i % 2 else 'b'}")
    return write(folder / "images.csv", "\n".join(lines) + "\n")


def test_image_files_are_read_relative_to_the_csv_and_resized_to_one_size(tmp_path):
    path = make_images(tmp_path, [(10, 6), (10, 6), (10, 6), (20, 12), (10, 6), (10, 6)])
    spec = spec_of(path)
    assert spec.column("x:image").type == ColumnType.IMAGE and spec.target.name == "y:label"
    assert spec.image == ImageSpec(6, 10, 1)  # the most common size, gray
    data = prepare(spec)
    assert data.input_shape == (6, 10, 1)
    full = data.preprocessor.transform(data.table)
    np.testing.assert_allclose(full.x[3], np.full((6, 10, 1), 120 / 255), rtol=1e-6)  # the 20x12 one, resized
    rgb = ImageFiles("x:image", 6, 10, 3).transform(["img/1.png"], str(path), [3])
    assert rgb.shape == (1, 6, 10, 3) and np.allclose(rgb, 40 / 255)
    assert isinstance(Preprocessor.from_dict(json.loads(json.dumps(data.preprocessor.to_dict()))).encoder, ImageFiles)


def test_missing_and_unreadable_images_are_named_with_file_line_and_column(tmp_path):
    path = make_images(tmp_path, [(8, 8)] * 4)
    write(tmp_path / "img" / "text.png", "this is no image")
    write(path, path.read_text() + "img/nowhere.png,a\nimg/text.png,b\n")
    with pytest.raises(DataError) as err:
        prepare(spec_of(path))
    message = str(err.value)
    assert message.startswith(f"{path}: column 'x:image' names images that cannot be used")
    assert "line 6: " in message and "nowhere.png does not exist" in message
    assert "line 7: " in message and "text.png is not an image Pillow can read" in message


# -- time series -----------------------------------------------------------------------------------------------

def series_csv(tmp_path, months, name="series.csv", extra=""):
    rows = [f"{m},{i % 5},{20 + 3 * np.sin(i / 2):.3f}" for i, m in enumerate(months)]
    return write(tmp_path / name, "month,other,level\n" + "\n".join(rows) + "\n" + extra)


def months(n, start=2000):
    return [f"{start + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def test_window_ends_agree_with_a_plain_loop():
    rng = np.random.default_rng(3)
    for _ in range(50):
        kept = rng.random(30) > 0.15
        lookback, horizon, stride = int(rng.integers(1, 6)), int(rng.integers(0, 3)), int(rng.integers(1, 4))
        expected = [s + lookback - 1 for s in range(0, 30 - lookback - horizon + 1, stride)
                    if kept[s:s + lookback + horizon].all()]
        assert window_ends(kept, lookback, horizon, stride, True).tolist() == expected


def test_windows_in_time_order_with_a_chronological_split(tmp_path):
    order = months(48)
    shuffled = [order[i] for i in np.random.default_rng(0).permutation(48)]  # the file is not sorted
    path = series_csv(tmp_path, shuffled)
    spec = spec_of(path)
    assert spec.sequence == SequenceSpec(time_column="month", lookback=12, horizon=1)
    assert spec.column("month").role == ColumnRole.IGNORE and not spec.split.shuffle
    spec.sequence.lookback, spec.target_scaling = 6, spec.target_scaling.NONE
    data = prepare(spec)
    assert data.input_shape == (6, 2)  # 'other' and the target's own past
    table = data.table
    position = {m: i for i, m in enumerate(table.column("month").tolist())}
    level = np.array(table.column("level").tolist(), dtype=float)
    times = [table.column("month")[r] for r in np.concatenate([data.train.rows, data.validation.rows])]
    assert times == order[5:47]  # every window's last month, in time order: training first, then validation
    k = 3
    last = order.index(table.column("month")[data.train.rows[k]])
    expected = [level[position[m]] for m in order[last - 5:last + 1]]
    f = data.preprocessor.features[1]
    np.testing.assert_allclose(data.train.x[k, :, 1] * f.std + f.mean, expected, rtol=1e-5)
    assert data.train.y[k, 0] == pytest.approx(level[position[order[last + 1]]], rel=1e-5)  # the next month
    spec.sequence.stride = 4
    assert len(prepare(spec).train) + len(prepare(spec).validation) == len(range(0, 48 - 7 + 1, 4))


def test_calendar_features_and_a_saved_fit_used_on_a_new_file(tmp_path):
    path = series_csv(tmp_path, months(40))
    spec = spec_of(path)
    spec.sequence = SequenceSpec(time_column="month", lookback=4, calendar=True)
    data = prepare(spec)
    assert data.preprocessor.windows.calendar == ["month"] and data.input_shape == (4, 4)
    saved = Preprocessor.from_dict(json.loads(json.dumps(data.preprocessor.to_dict())))
    recent = series_csv(tmp_path, months(6, start=2010), name="recent.csv")
    new = saved.transform(read_csv(recent), with_target=False)
    assert len(new.rows) == 3 and new.lines.tolist() == [5, 6, 7]  # windows ending at the last three months
    march = new.x[0, -1, 2:]  # sin, cos of the month of the first window's last row (2010-04)
    np.testing.assert_allclose(march, [np.sin(2 * np.pi * 3 / 12), np.cos(2 * np.pi * 3 / 12)], atol=1e-6)


@pytest.mark.parametrize("extra, message", [
    ("2001-02,1,20.0\n", r"holds 2001-02 twice, at lines 15 and 26 \(1 repeated times in all\)"),
    ("2003-01,1,20.0\n", r"jumps from 2001-12 \(line 25\) to 2003-01 \(line 26\), where the series usually steps "
                         r"by 1 month\(s\) \(1 gaps in all\)"),
    ("not a month,1,20.0\n", r"the time column 'month' holds 'not a month' at line 26, which is not a date"),
    (",1,20.0\n", r"the time column 'month' has no value at line 26"),
])
def test_repeated_times_gaps_and_bad_dates_are_named(tmp_path, extra, message):
    path = series_csv(tmp_path, months(24), extra=extra)
    spec = spec_of(path)
    spec.sequence = SequenceSpec(time_column="month", lookback=3)
    spec.column("month").role = ColumnRole.IGNORE
    with pytest.raises(DataError, match=message) as err:
        prepare(spec)
    assert str(err.value).startswith(str(path))


def test_gaps_can_be_allowed_and_a_too_long_lookback_is_refused(tmp_path):
    path = series_csv(tmp_path, months(24), extra="2003-01,1,20.0\n")
    spec = spec_of(path)
    spec.sequence = SequenceSpec(time_column="month", lookback=3, allow_gaps=True)
    assert len(prepare(spec).train) > 0
    spec.sequence.lookback = 30
    with pytest.raises(DataError, match=r"a lookback of 30 and a horizon of 1 needs at least 31 rows in time order, "
                                        r"but the file has 25"):
        prepare(spec)


def test_missing_values_leave_out_the_windows_that_hold_them(tmp_path):
    path = series_csv(tmp_path, months(30))
    text = path.read_text().splitlines()
    text[10] = text[10].split(",")[0] + ",," + text[10].split(",")[2]  # 'other' missing at line 11 (row 9)
    write(path, "\n".join(text) + "\n")
    spec = spec_of(path)
    spec.sequence = SequenceSpec(time_column="month", lookback=3)
    data = prepare(spec)
    covered = [r for part in (data.train, data.validation) for r in part.rows]
    assert len(covered) == 27 - 4 and not any(8 <= r <= 11 for r in covered)  # 4 windows hold row 9


def test_specs_with_kinds_round_trip_and_check_their_choices(tmp_path):
    spec = spec_of(series_csv(tmp_path, months(30)))
    spec.image, spec.text = None, TextSpec(100, 7)
    again = DataSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again.sequence == spec.sequence and again.text == spec.text and again.image is None
    spec.sequence.horizon = 0
    with pytest.raises(DataError, match="horizon of 0 the target is the window's last row"):
        spec.validate()
    spec.sequence.horizon, spec.column("month").role = 1, ColumnRole.FEATURE
    with pytest.raises(DataError, match="The time column 'month' orders the rows: set its role to ignore"):
        spec.validate()


def test_wide_tables_of_counts_or_measurements_are_not_taken_for_pictures(tmp_path):
    rng = np.random.default_rng(1)
    header = "y," + ",".join(f"c{k}" for k in range(16))
    counts = write(tmp_path / "counts.csv", header + "\n" + "\n".join(
        f"{i % 3}," + ",".join(str(v) for v in rng.integers(0, 9, 16)) for i in range(30)) + "\n")
    assert spec_of(counts).image is None  # 16 columns would make 4 x 4, but that is no image
    header = "label," + ",".join(f"p{k}" for k in range(64))
    wide = write(tmp_path / "wide.csv", header + "\n" + "\n".join(
        f"{i % 3}," + ",".join(str(v) for v in rng.integers(-500, 500, 64)) for i in range(30)) + "\n")
    assert spec_of(wide).image is None  # negative values: not pixels
