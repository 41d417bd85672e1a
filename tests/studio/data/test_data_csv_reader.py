"""Reading CSV files: dialect and encoding detection, and the bad files of the issue."""

import pytest

from studio.data import CsvDialect, CsvError, detect_dialect, read_csv


def write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_comma_with_header(tmp_path):
    t = read_csv(write(tmp_path, "a,b,c\n1,2,x\n3,4,y\n"))
    assert t.names == ["a", "b", "c"]
    assert t.columns == [["1", "3"], ["2", "4"], ["x", "y"]]
    assert t.line_numbers == [2, 3]
    assert t.dialect.has_header and t.dialect.delimiter == ","


def test_semicolon_quoted_fields_and_embedded_delimiters(tmp_path):
    text = 'name;note;value\n"Smith; J";"said ""hi""\nthen left";1.5\nDoe;plain;2\n'
    t = read_csv(write(tmp_path, text))
    assert t.dialect.delimiter == ";"
    assert t.column("name") == ["Smith; J", "Doe"]
    assert t.column("note")[0] == 'said "hi"\nthen left'
    assert t.line_numbers == [2, 4]  # the quoted newline spans line 3


def test_tab_delimited_without_header(tmp_path):
    t = read_csv(write(tmp_path, "1\t2\t3\n4\t5\t6\n7\t8\t9\n"))
    assert t.dialect.delimiter == "\t"
    assert not t.dialect.has_header
    assert t.names == ["column_1", "column_2", "column_3"]
    assert t.n_rows == 3


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                               ("cp1252", "cp1252")])
def test_encoding_detected(tmp_path, encoding, expected):
    t = read_csv(write(tmp_path, "ville,prix\nCréteil,1\nSaint-Étienne,2\n", encoding=encoding))
    assert t.dialect.encoding == expected
    assert t.names == ["ville", "prix"]  # no BOM left on the first name
    assert t.column("ville") == ["Créteil", "Saint-Étienne"]


def test_latin1_fallback_for_bytes_cp1252_cannot_decode(tmp_path):
    t = read_csv(write(tmp_path, b"a,b\n\x81x,1\n"))
    assert t.dialect.encoding == "latin-1"
    assert t.column("a") == ["\x81x"]


def test_duplicate_and_blank_header_names_made_unique(tmp_path):
    t = read_csv(write(tmp_path, "x,x,\n1,2,3\n4,5,6\n"))
    assert t.names == ["x", "x_2", "column_3"]


def test_blank_lines_and_trailing_delimiter_tolerated(tmp_path):
    t = read_csv(write(tmp_path, "a,b\n1,2,\n\n3,4\n"))
    assert t.columns == [["1", "3"], ["2", "4"]]


def test_empty_file(tmp_path):
    with pytest.raises(CsvError, match="t.csv: the file is empty"):
        read_csv(write(tmp_path, ""))
    with pytest.raises(CsvError, match="empty"):
        read_csv(write(tmp_path, "\n  \n"))


def test_header_only(tmp_path):
    with pytest.raises(CsvError, match="header .*a, b.* but no data rows"):
        read_csv(write(tmp_path, "a,b\n"), CsvDialect(has_header=True))


def test_ragged_row_names_the_line(tmp_path):
    with pytest.raises(CsvError, match=r"line 4 has 3 fields but the header has 2"):
        read_csv(write(tmp_path, "a,b\n1,2\n3,4\n5,6,7\n"))


def test_missing_file(tmp_path):
    with pytest.raises(CsvError, match="no such file"):
        read_csv(tmp_path / "nope.csv")


def test_column_lookup_names_the_choices(tmp_path):
    t = read_csv(write(tmp_path, "a,b\n1,2\n"))
    with pytest.raises(CsvError, match="no column named 'c'; the file has columns 'a', 'b'"):
        t.column("c")


def test_preview_reads_only_the_first_rows(tmp_path):
    path = write(tmp_path, "a,b\n" + "".join(f"{i},{i}\n" for i in range(5000)))
    t = read_csv(path, max_rows=10)
    assert t.n_rows == 10 and t.column("a")[-1] == "9"


def test_large_file_reports_progress(tmp_path):
    rows = 60_000
    path = write(tmp_path, "x1,x2,label\n" + "".join(f"{i % 97},{i % 13}.5,{'ab'[i % 2]}\n" for i in range(rows)))
    seen = []
    t = read_csv(path, progress=seen.append)
    assert t.n_rows == rows
    assert seen[-1] == 1.0 and len(seen) >= 3 and seen == sorted(seen)


def test_progress_callback_can_cancel(tmp_path):
    path = write(tmp_path, "a\n" + "1\n" * 50_000)

    def cancel(fraction):
        if fraction > 0.3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        read_csv(path, progress=cancel)


def test_detect_dialect_of_the_example_files():
    for name in ("iris", "wine", "breast_cancer_wisconsin", "synthetic_monthly_series"):
        d = detect_dialect(f"studio/assets/data/{name}.csv")
        assert (d.delimiter, d.has_header, d.encoding) == (",", True, "utf-8"), name
