"""Reading CSV files: dialect and encoding detection, and the bad files of the issue."""

import numpy as np
import pytest

from studio.data import CsvDialect, CsvError, detect_dialect, read_csv


def write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_comma_with_header(tmp_path):
    t = read_csv(write(tmp_path, "a,b,c\n1,2,x\n3,4,y\n"))
    assert t.names == ["a", "b", "c"]
    assert [c.tolist() for c in t.columns] == [["1", "3"], ["2", "4"], ["x", "y"]]
    assert t.line_numbers.tolist() == [2, 3]
    assert t.dialect.has_header and t.dialect.delimiter == ","


def test_semicolon_quoted_fields_and_embedded_delimiters(tmp_path):
    text = 'name;note;value\n"Smith; J";"said ""hi""\nthen left";1.5\nDoe;plain;2\n'
    t = read_csv(write(tmp_path, text))
    assert t.dialect.delimiter == ";"
    assert t.column("name").tolist() == ["Smith; J", "Doe"]
    assert t.column("note")[0] == 'said "hi"\nthen left'
    assert t.line_numbers.tolist() == [2, 4]  # the quoted newline spans line 3


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
    assert t.column("ville").tolist() == ["Créteil", "Saint-Étienne"]


def test_latin1_fallback_for_bytes_cp1252_cannot_decode(tmp_path):
    t = read_csv(write(tmp_path, b"a,b\n\x81x,1\n"))
    assert t.dialect.encoding == "latin-1"
    assert t.column("a").tolist() == ["\x81x"]


def test_duplicate_and_blank_header_names_made_unique(tmp_path):
    t = read_csv(write(tmp_path, "x,x,\n1,2,3\n4,5,6\n"))
    assert t.names == ["x", "x_2", "column_3"]


def test_blank_lines_and_trailing_delimiter_tolerated(tmp_path):
    t = read_csv(write(tmp_path, "a,b\n1,2,\n\n3,4\n"))
    assert [c.tolist() for c in t.columns] == [["1", "3"], ["2", "4"]]


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


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_and_without_bom(tmp_path, encoding):
    t = read_csv(write(tmp_path, "ville,prix\nCréteil,1.5\nSaint-Étienne,2\n", encoding=encoding))
    assert t.dialect.encoding.startswith(encoding[:6])
    assert t.names == ["ville", "prix"]
    assert t.column("ville").tolist() == ["Créteil", "Saint-Étienne"]
    assert t.column_data("prix").numbers().tolist() == [1.5, 2.0]


def test_binary_file_refused_as_not_text(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    with pytest.raises(CsvError, match=r"image.png: not a text file"):
        read_csv(write(tmp_path, png, name="image.png"))


def test_first_line_that_is_not_the_table_is_skipped(tmp_path):
    # scikit-learn's bundled CSVs start with "n_samples,n_features,class names…"
    iris_like = "6,3,setosa,versicolor\n" + "".join(f"{i}.5,{i},{i * 2},{i % 2}\n" for i in range(6))
    assert detect_dialect(write(tmp_path, iris_like, name="iris.csv")).skip_lines == 1  # as many fields as rows
    text = "6,4,malignant,benign\n" + "".join(f"{i}.5,{i},{i * 2},{i},{i % 2}\n" for i in range(6))
    path = write(tmp_path, text)
    d = detect_dialect(path)
    assert d.skip_lines == 1 and not d.has_header
    t = read_csv(path)
    assert t.names == ["column_1", "column_2", "column_3", "column_4", "column_5"]
    assert t.n_rows == 6 and t.line_numbers.tolist() == [2, 3, 4, 5, 6, 7]
    t = read_csv(path, CsvDialect(skip_lines=2, has_header=False))
    assert t.n_rows == 5 and t.line_numbers[0] == 3


def test_decimal_comma_with_semicolons(tmp_path):
    t = read_csv(write(tmp_path, "poids;taille;ville\n1,5;170;Lyon\n2,25;165,5;Paris\n"))
    assert (t.dialect.delimiter, t.dialect.decimal) == (";", ",")
    assert t.column_data("poids").numbers(t.dialect.decimal).tolist() == [1.5, 2.25]
    from studio.data import ColumnType, summarize_table
    kinds = [s.inferred_type for s in summarize_table(t)]
    assert kinds == [ColumnType.NUMERIC, ColumnType.NUMERIC, ColumnType.CATEGORICAL]


def test_quotes_read_alike_by_the_fast_path_and_the_csv_module(tmp_path):
    rows = ['id,name,note', '1,"Smith, J","said ""hi"""', '2, "Doe" ,plain', '3,O"Brien,x']
    fast = read_csv(write(tmp_path, "\n".join(rows[:3]) + "\n", name="a.csv"))
    assert fast.column("name").tolist() == ["Smith, J", "Doe"]
    assert fast.column("note").tolist() == ['said "hi"', "plain"]
    slow = read_csv(write(tmp_path, "\n".join(rows) + "\n", name="b.csv"))  # a quote inside a word
    assert slow.column("name").tolist() == ["Smith, J", "Doe", 'O"Brien']
    assert slow.line_numbers.tolist() == [2, 3, 4]


def test_one_column_with_blank_lines_and_crlf(tmp_path):
    t = read_csv(write(tmp_path, "value\r\n1\r\n\r\n  \r\n2\r\n\"\"\r\n"))
    assert t.column("value").tolist() == ["1", "2", ""] and t.line_numbers.tolist() == [2, 5, 6]  # "" is missing


def test_dates_are_a_datetime_column(tmp_path):
    from studio.data import ColumnType, summarize_table
    t = read_csv(write(tmp_path, "day,when,value\n2024-03-01,31/01/2024 10:00,1\n2024-03-02,01/02/2024 11:30,2\n"
                                 "NA,,3\n"))
    summaries = summarize_table(t)
    assert [s.inferred_type for s in summaries] == [ColumnType.DATETIME, ColumnType.DATETIME, ColumnType.NUMERIC]
    days = t.column_data("day").datetimes()
    assert days.dtype == np.dtype("datetime64[s]") and str(days[1]) == "2024-03-02T00:00:00" and np.isnat(days[2])
    assert str(t.column_data("when").datetimes()[1]) == "2024-02-01T11:30:00"  # day first: 31/01 tells


def test_fast_path_reads_as_the_csv_module_on_random_quoted_files(tmp_path):
    from studio.data.csv_reader import _parse_with_csv_module

    rng = np.random.default_rng(3)
    pieces = ["a", "b c", " d ", "1.5", "", "x,y", 'say ""hi""', "two\nlines", "é", "NA", "  7 "]
    for trial in range(30):
        n_cols = int(rng.integers(1, 5))
        lines = [",".join(f"c{j}" for j in range(n_cols))]
        for _ in range(int(rng.integers(1, 12))):
            cells = []
            for _ in range(n_cols):
                text = pieces[int(rng.integers(len(pieces)))]
                if n_cols == 1 and not text.strip():
                    text = "z"  # a lone "" is a missing value here but a blank line to the csv module
                needs_quotes = any(ch in text for ch in ',"\n') or rng.random() < 0.2
                cell = f'"{text}"' if needs_quotes else text.replace('""', "'")
                cells.append(f" {cell}  " if rng.random() < 0.2 else cell)
            lines.append(",".join(cells))
            if rng.random() < 0.1:
                lines.append("")
        text = "\r\n".join(lines) + ("\r\n" if rng.random() < 0.5 else "")
        path = write(tmp_path, text, name=f"r{trial}.csv")
        fields, names = _parse_with_csv_module(str(path), path.read_text(encoding="utf-8"), CsvDialect())
        if fields.lines.size == 0:  # only blank rows
            with pytest.raises(CsvError, match="no data rows"):
                read_csv(path, CsvDialect())
            continue
        table = read_csv(path, CsvDialect())
        assert table.names == names, text
        assert table.line_numbers.tolist() == fields.lines.tolist(), text
        expected = [[v.decode() for v in col.tolist()] for col in fields.cells]
        assert [c.tolist() for c in table.columns] == expected, text


def test_old_mac_line_ends(tmp_path):
    t = read_csv(write(tmp_path, "a,b\r1,x\r2,é\r"))
    assert t.column("b").tolist() == ["x", "é"] and t.line_numbers.tolist() == [2, 3]
