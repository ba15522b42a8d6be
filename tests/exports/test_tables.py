"""The release tables' writer: rows given as rows or as columns, and JSON Lines written a slice at a time, end up
in Parquet, JSON Lines and CSV alike, every row in order."""

import json

import pandas as pd

from exports import tables
from exports.tables import TableSpec, TableWriter, columns

SPEC = TableSpec("things", "Things.", columns("""
    name   string    A name.
    count  int64     A number; null when unknown.
    tags   string[]  Tags.
"""))


def test_rows_and_columns_written_in_slices_come_out_whole_and_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "JSON_LINES_AT_ONCE", 2)  # a chunk of 3 or 4 rows is written in two slices
    with TableWriter(tmp_path, SPEC) as writer:
        writer.write([("一", 1, ["a"]), ("二", None, []), ("三", 3, ["b", "c"])])
        writer.write_columns([["四", "五", "六", "七"], [4, 5, 6, 7], [["d"], None, ["e"], []]])
    expected = pd.DataFrame({"name": list("一二三四五六七"), "count": [1, None, 3, 4, 5, 6, 7]})
    lines = pd.DataFrame([json.loads(line) for line in (tmp_path / "data" / "things.jsonl").read_text().splitlines()])
    for table in (pd.read_parquet(tmp_path / "data" / "things.parquet"), pd.read_csv(tmp_path / "data" / "things.csv"),
                  lines):
        assert table.name.tolist() == expected.name.tolist()
        assert table["count"].astype(float).tolist()[2:] == [3.0, 4.0, 5.0, 6.0, 7.0] and pd.isna(table["count"][1])
    assert lines.tags.tolist() == [["a"], [], ["b", "c"], ["d"], None, ["e"], []]
    assert writer.rows == 7 and {file.rows for file in writer.files} == {7}
