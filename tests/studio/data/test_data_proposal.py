"""The roles proposed for a fresh file: target by name and content, IDs, constants, mostly-missing columns,
free text and dates left out with a reason."""

from studio.data import ColumnRole, ColumnType, DataSpec, read_csv, summarize_table
from studio.data.proposal import choose_target, ignore_reason
from tests.studio.penguins_like import write_penguins


def test_penguins_target_is_species_and_the_unusable_columns_are_ignored_with_a_reason(tmp_path):
    path = tmp_path / "penguins.csv"
    write_penguins(path)
    table = read_csv(path)
    summaries = {s.name: s for s in summarize_table(table)}
    spec = DataSpec.from_table(table)
    assert spec.target.name == "species" and spec.target.type == ColumnType.CATEGORICAL
    roles = {c.name: c.role for c in spec.columns}
    assert roles["year"] == roles["island"] == roles["body_mass_g"] == ColumnRole.FEATURE
    for name in ("Sample ID", "studyName", "Date Egg", "Delta 15 N", "Comments"):
        assert roles[name] == ColumnRole.IGNORE, name
    assert ignore_reason(summaries["Sample ID"]) == "an ID (a different value on every row)"
    assert ignore_reason(summaries["studyName"]) == "constant (one value on every row)"
    assert ignore_reason(summaries["Delta 15 N"]) == "mostly missing (90 of 120 values)"
    assert ignore_reason(summaries["Comments"]).startswith("mostly missing")
    assert summaries["Date Egg"].inferred_type == ColumnType.DATETIME
    assert ignore_reason(summaries["Date Egg"]).startswith("date/time")
    assert ignore_reason(summaries["bill_length_mm"]) is None


def test_free_text_and_numbered_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("row,note,x,price\n" + "".join(f"{i},said {i} things,{i % 5},{i * 1.5}\n" for i in range(1, 40)))
    summaries = summarize_table(read_csv(path))
    assert ignore_reason(summaries[0]).startswith("an ID")
    assert ignore_reason(summaries[1]).startswith("free text")
    assert ignore_reason(summaries[3]) is None  # unique decimals are measurements, not IDs
    assert choose_target(summaries) == 3  # no name says "target": the last usable column


def test_target_by_name_before_the_last_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("label,a,b\n" + "".join(f"{'ab'[i % 2]},{i % 7},{i % 3}\n" for i in range(30)))
    assert DataSpec.from_table(read_csv(path)).target.name == "label"
