import csv
import io
import json
import re

import pytest
import yaml

from cm_common import SUMMARY_AT, StopWatch, Summary, format_records, make_table, print_records

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


STATES = ["done"] * 50 + ["failed"] * 25 + ["running"] * 5
SUMMARY = Summary(
    by="state", what="job", flagged=lambda r: r["state"] == "failed", flagged_as="failed", hint="see --all"
)


def test_a_large_table_with_a_summary_counts_and_shows_the_first_flagged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = [{"name": f"job-{i}", "state": state} for i, state in enumerate(STATES)]
    print_records(records, "table", summary=SUMMARY)
    out, err = capsys.readouterr()
    assert "80 jobs" in out and "25 jobs failed, first 20 shown" in out
    counts = {m[0]: int(m[1]) for m in re.findall(r"│ (\w+) +│ (\d+) +│", out)}
    assert counts == {"done": 50, "failed": 25, "running": 5}
    shown = [f"job-{i}" for i in range(50, 70)]
    assert all(f"{name} " in out for name in shown) and "job-70 " not in out and "job-0 " not in out
    assert err == "see --all\n"


def test_a_summary_changes_neither_a_small_table_nor_the_formats_for_scripts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    small = [{"name": f"job-{i}", "state": "done"} for i in range(SUMMARY_AT)]
    print_records(small, "table", summary=SUMMARY)
    out, err = capsys.readouterr()
    assert all(f"job-{i} " in out for i in range(SUMMARY_AT)) and err == ""
    large = [{"name": f"job-{i}", "state": state} for i, state in enumerate(STATES)]
    print_records(large, "json", summary=SUMMARY)
    assert len(json.loads(capsys.readouterr().out)) == len(STATES)
