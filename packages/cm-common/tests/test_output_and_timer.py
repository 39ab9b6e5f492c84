import csv
import io
import json

import pytest
import yaml

from cm_common import StopWatch, format_records, make_table

RECORDS = [{"name": "a", "n": 1, "tags": ["x"]}, {"name": "b,c", "n": 2, "extra": None}]


def test_json_and_yaml_keep_values() -> None:
    assert json.loads(format_records(RECORDS, "json"))[0] == {
        "name": "a",
        "n": 1,
        "tags": ["x"],
        "extra": None,
    }
    assert yaml.safe_load(format_records(RECORDS, "yaml"))[1]["name"] == "b,c"


def test_csv_quotes_and_columns() -> None:
    rows = list(csv.DictReader(io.StringIO(format_records(RECORDS, "csv", columns=["name", "n"]))))
    assert rows == [{"name": "a", "n": "1"}, {"name": "b,c", "n": "2"}]


def test_table_has_every_column() -> None:
    table = make_table(RECORDS, title="t")
    assert [column.header for column in table.columns] == ["name", "n", "tags", "extra"]
    assert table.row_count == 2


def test_stopwatch_records_ok_and_failed() -> None:
    watch = StopWatch()
    with watch.timer("fast"):
        pass
    with pytest.raises(ValueError), watch.timer("broken"):
        raise ValueError("x")
    records = watch.as_records()
    assert [(r["name"], r["status"]) for r in records] == [("fast", "ok"), ("broken", "failed")]
    assert records[0]["seconds"] >= 0 and records[0]["python"].count(".") == 2
    assert watch.get("fast") == records[0]["seconds"]
