"""Archive uploads: good archives extract whole; attacks are refused and write nothing."""

from pathlib import Path

import pytest
from service_fixtures import pack_tar as _tar
from service_fixtures import pack_zip as _zip

from cm_cc.service._archive import ArchiveLimits, extract_archive
from cm_common import InputError


def _nothing_written(root: Path) -> bool:
    return sorted(p.name for p in root.iterdir()) == [] and not (root.parent / "evil").exists()


@pytest.mark.parametrize("pack", [_zip, _tar])
def test_good_archive_extracts(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    data = pack({"wf.yaml": b"jobs: []\n", "scripts/a.sh": b"echo a\n"})
    target = extract_archive(data, tmp_path / "uploads" / "w1")
    assert (target / "wf.yaml").read_bytes() == b"jobs: []\n"
    assert (target / "scripts" / "a.sh").read_text() == "echo a\n"


@pytest.mark.parametrize("pack", [_zip, _tar])
@pytest.mark.parametrize(
    ("entries", "links", "message"),
    [
        ({"../evil": b"x"}, None, "leaving the folder"),
        ({"a/../../evil": b"x"}, None, "leaving the folder"),
        ({"/etc/evil": b"x"}, None, "absolute"),
        ({"ok.txt": b"x"}, {"link": "/etc/passwd"}, "links"),
        ({"ok.txt": b"x"}, {"up": "../../evil"}, "links"),
    ],
)
def test_attacks_are_refused_and_write_nothing(tmp_path: Path, pack, entries, links, message) -> None:  # type: ignore[no-untyped-def]
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with pytest.raises(InputError, match=message):
        extract_archive(pack(entries, links), uploads / "w1")
    assert _nothing_written(uploads)


@pytest.mark.parametrize("pack", [_zip, _tar])
def test_decompression_bomb_is_refused(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with pytest.raises(InputError, match=r"ratio|limit"):
        extract_archive(pack({"zeros": b"\0" * (20 * 1024 * 1024)}), uploads / "w1")
    assert _nothing_written(uploads)


def test_limits_on_files_and_size(tmp_path: Path) -> None:
    many = _zip({f"f{i}": b"x" for i in range(11)})
    with pytest.raises(InputError, match="11 files"):
        extract_archive(many, tmp_path / "a", ArchiveLimits(max_files=10))
    big = _zip({"big": b"abc" * 1000})
    with pytest.raises(InputError, match="expands to 3000 bytes"):
        extract_archive(big, tmp_path / "b", ArchiveLimits(max_bytes=1000))
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_garbage_is_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not a \.zip or \.tar\.gz"):
        extract_archive(b"this is not an archive", tmp_path / "w")
    assert list(tmp_path.iterdir()) == []
