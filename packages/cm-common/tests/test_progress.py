from cm_common import last_progress, parse_progress_line, progress_line


def test_progress_line_roundtrip() -> None:
    line = progress_line(42, "running", epoch=3)
    assert line == "# cloudmesh status=running progress=42 epoch=3"
    assert parse_progress_line(line) == {"status": "running", "progress": "42", "epoch": "3"}


def test_other_lines_are_not_progress() -> None:
    assert parse_progress_line("echo # cloudmesh progress=5") is None
    assert parse_progress_line("plain output") is None


def test_last_progress_merges_and_later_wins() -> None:
    lines = ["start", "# cloudmesh status=running progress=10", "x", "  # cloudmesh progress=100 status=done"]
    assert last_progress(lines) == {"status": "done", "progress": "100"}
    assert last_progress(["nothing here"]) == {}
