"""A CSV file read in chunks: the same rows, lines, fitted preprocessing and split as reading it whole, and a
broken row in a later chunk named by its file line."""

from dataclasses import replace

import numpy as np
import pytest

from studio.data import CsvError, DataSpec, MissingStrategy, prepare, read_csv
from studio.data.chunks import CsvChunks
from studio.data.streamed import prepare_file, prepare_streamed

CHUNK = 4000  # bytes: about 160 rows of the file below, so it is read in 19 chunks


def write_mixed_csv(path, n=3000, seed=0):
    """Numbers, categories, missing values in both, a quoted cell holding a newline, and a 3-class target."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write("x1,x2,color,size,label\n")
        for i in range(n):
            x1 = "" if i % 50 == 7 else f"{rng.normal() * 3 + 1:.6f}"
            color = ["red", "green", "blue", ""][i % 4 if i % 13 else 3]
            size = '"X\nL"' if i % 301 == 0 else ["S", "M", "L"][i % 3]
            label = ["a", "b", "c"][(i * 7 + i // 5) % 3] if i % 101 else ""
            f.write(f"{x1},{rng.normal():.4f},{color},{size},{label}\n")
    return str(path)


@pytest.fixture
def mixed(tmp_path):
    path = write_mixed_csv(tmp_path / "mixed.csv")
    return path, DataSpec.from_table(read_csv(path))


def test_chunks_hold_the_whole_files_rows_and_lines(mixed):
    path, spec = mixed
    whole = read_csv(path)
    chunks = CsvChunks(path, whole.dialect, chunk_bytes=CHUNK)
    tables = list(chunks)
    assert len(tables) > 15 and len(chunks.chunks) == len(tables)
    np.testing.assert_array_equal(np.concatenate([t.line_numbers for t in tables]), whole.line_numbers)
    for name in whole.names:
        np.testing.assert_array_equal(np.concatenate([t.column(name) for t in tables]), whole.column(name))
    again = chunks.read(chunks.chunks[7])
    np.testing.assert_array_equal(again.line_numbers, tables[7].line_numbers)


@pytest.mark.parametrize("shuffle, missing", [(False, "drop_rows"), (True, "drop_rows"), (True, "fill"),
                                              (False, "fill_most_frequent")])
def test_streamed_fit_and_split_equal_the_whole_files(mixed, shuffle, missing):
    path, spec = mixed
    spec = replace(spec, split=replace(spec.split, shuffle=shuffle, stratify=True), missing=MissingStrategy(missing))
    whole, streamed = prepare(spec), prepare_streamed(spec, chunk_bytes=CHUNK)
    a, b = whole.preprocessor.to_dict(), streamed.preprocessor.to_dict()
    for fa, fb in zip(a["features"], b["features"], strict=True):
        assert (fa["name"], fa["type"], fa["categories"], fa["missing"]) == \
            (fb["name"], fb["type"], fb["categories"], fb["missing"])
        np.testing.assert_allclose([fb["mean"], fb["std"]], [fa["mean"], fa["std"]], rtol=1e-13)
        if fa["type"] == "numeric" and fa["fill"] is not None:
            assert fb["fill"] == pytest.approx(fa["fill"], rel=1e-13)
        else:
            assert fa["fill"] == fb["fill"]
    assert a["target"] == b["target"]
    assert streamed.dropped == whole.dropped and streamed.first_dropped == whole.first_dropped
    for name in ("train", "validation"):
        w, s = whole.part(name), streamed.part(name)
        assert len(w) == len(s)
        assert sorted(w.lines.tolist()) == s.lines.tolist()  # the same rows; streamed in file order
        assert sorted(w.rows.tolist()) == s.rows.tolist()
    if not shuffle:
        np.testing.assert_array_equal(np.concatenate([t.x for t in streamed.train.pieces()]), whole.train.x)
        np.testing.assert_array_equal(streamed.train.y, whole.train.y)


@pytest.mark.parametrize("size", [37, 500])  # a batch across one chunk end, or across several chunks
def test_batches_cross_chunk_ends_as_the_arrays_batches(mixed, size):
    path, spec = mixed
    spec = replace(spec, split=replace(spec.split, shuffle=False))
    whole, streamed = prepare(spec), prepare_streamed(spec, chunk_bytes=CHUNK)
    batches = streamed.train.batches(batch_size=size)
    assert len(batches) == -(-len(whole.train) // size)
    for k in (0, 1, 2, len(batches) - 1, 1):  # in order, then out of order (a new pass)
        x, y = batches[k]
        np.testing.assert_array_equal(x, whole.train.x[size * k:size * (k + 1)])
        np.testing.assert_array_equal(y, whole.train.y[size * k:size * (k + 1)])


def test_shuffled_epochs_visit_every_training_row_once(mixed):
    path, spec = mixed
    streamed = prepare_streamed(spec, chunk_bytes=CHUNK)
    batches = streamed.train.batches(batch_size=64, shuffle=True)
    seen = []
    for _ in range(2):
        batches.on_epoch_begin()
        seen.append(np.concatenate([batches[k][0][:, 1] for k in range(len(batches))]))
        batches.on_epoch_end()
    every = np.concatenate([t.x[:, 1] for t in streamed.train.pieces()])
    assert sorted(seen[0].tolist()) == sorted(seen[1].tolist()) == sorted(every.tolist())
    assert not np.array_equal(seen[0], seen[1]) and not np.array_equal(seen[0], every)


def test_a_broken_row_in_a_later_chunk_is_named_by_its_file_line(mixed):
    path, spec = mixed
    lines = open(path).read().split("\n")
    lines[2500] = "1.0,2.0,red"  # a row of 3 fields, far past the first chunk
    with open(path, "w") as f:
        f.write("\n".join(lines))
    with pytest.raises(CsvError) as whole:
        read_csv(path)
    with pytest.raises(CsvError) as streamed:
        prepare_streamed(spec, chunk_bytes=CHUNK)
    assert "line 2501 has 3 fields" in str(whole.value)
    assert str(streamed.value) == str(whole.value)


def test_a_word_in_a_numeric_column_of_a_later_chunk_is_named_by_its_line(mixed):
    path, spec = mixed
    lines = open(path).read().split("\n")
    lines[2200] = "oops," + lines[2200].split(",", 1)[1]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    with pytest.raises(Exception, match=r"column 'x1' is numeric but line 2201 holds 'oops'"):
        prepare(spec)
    with pytest.raises(Exception, match=r"column 'x1' is numeric but line 2201 holds 'oops'"):
        prepare_streamed(spec, chunk_bytes=CHUNK)


def test_prepare_file_streams_only_above_the_threshold(mixed, monkeypatch):
    path, spec = mixed
    assert prepare_file(spec).table is not None
    streamed = prepare_file(spec, threshold=1000)
    assert streamed.table is None and "read from the file in" in streamed.summary()


def test_a_file_changed_after_its_fit_is_refused_by_name(mixed):
    path, spec = mixed
    streamed = prepare_streamed(spec, chunk_bytes=CHUNK)
    with open(path, "a") as f:
        f.write("1.0,2.0,red,S,a\n")
    with pytest.raises(CsvError, match=r"mixed.csv: the file changed while it was being read in chunks"):
        streamed.train.batches(32)[0]


def test_a_run_of_blank_lines_longer_than_a_chunk_is_skipped(mixed):
    path, spec = mixed
    lines = open(path).read().split("\n")
    with open(path, "w") as f:
        f.write("\n".join(lines[:1500] + [""] * (2 * CHUNK) + lines[1500:]))
    spec = replace(spec, split=replace(spec.split, shuffle=False))
    whole, streamed = prepare(spec), prepare_streamed(spec, chunk_bytes=CHUNK)
    np.testing.assert_array_equal(streamed.validation.lines, whole.validation.lines)
    x, _ = streamed.train.batches(len(whole.train))[0]
    np.testing.assert_array_equal(x, whole.train.x)
