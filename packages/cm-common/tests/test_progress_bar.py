"""The shared progress bar: drawn only while a terminal watches stderr."""

from __future__ import annotations

import io

import pytest

from cm_common import progress_bar


def test_no_bar_outside_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with progress_bar(10, "working") as update:
        assert update is None


def test_a_bar_on_a_terminal_counts_up(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    with progress_bar(3, "working") as update:
        assert update is not None
        for done in range(1, 4):
            update(done)


def test_a_single_item_needs_no_bar() -> None:
    with progress_bar(1, "working") as update:
        assert update is None
