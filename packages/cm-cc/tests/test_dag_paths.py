"""Script paths resolved with their folder looked up once per check give what final_path gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cm_cc._dag import _file_path
from cm_cc._paths import final_path

VALUES = ["x.sh", "real/x.sh", "link/x.sh", "link/y.sh", "/etc/passwd", "/x.sh", "../a.sh"]
VALUES += ["link/../z.sh", "a//b.sh", "~/q.sh", "link/", "real/..", "missing/m.sh"]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.sh").write_text("echo\n")
    os.symlink(tmp_path / "real", tmp_path / "link")
    os.symlink(tmp_path / "real" / "x.sh", tmp_path / "real" / "y.sh")
    return tmp_path


def test_every_path_ends_where_final_path_says(base: Path) -> None:
    folders: dict[str, str] = {}
    assert [_file_path(v, base, folders) for v in VALUES] == [str(final_path(v, base)) for v in VALUES]
    assert folders[""] == f"{base.resolve()}/" and folders["link/"] == f"{(base / 'real').resolve()}/"


def test_a_script_that_is_a_link_is_followed(base: Path) -> None:
    assert _file_path("link/y.sh", base, {}) == str((base / "real" / "x.sh").resolve())
