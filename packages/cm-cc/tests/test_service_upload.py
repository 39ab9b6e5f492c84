"""Archive uploads through the API: a workflow with its scripts runs; attacks get 400 and write nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from service_fixtures import Server, api_fixture, server_fixture, wait_state  # noqa: F401
from service_fixtures import pack_tar as _tar
from service_fixtures import pack_zip as _zip

JOBS = [{"name": "hello", "script": "scripts/hello.sh"}, {"name": "py", "python": "s.py"}]
WF = yaml.safe_dump({"name": "packed", "jobs": JOBS}).encode()


def _tree(root: Path) -> set[str]:
    """Every path under ``root``, but the (empty) upload folder itself."""
    paths = {path.relative_to(root).as_posix() for path in root.rglob("*")}
    return {path for path in paths if not path.endswith("cc/workflows")}


GOOD = {
    "workflow.yaml": WF,
    "scripts/hello.sh": b"echo '# cloudmesh status=running progress=100'\necho packed hello\n",
    "s.py": b"print('from python')\n",
}


@pytest.mark.parametrize("pack", [_zip, _tar])
def test_archive_with_scripts_uploads_and_runs(api: httpx.Client, pack) -> None:  # type: ignore[no-untyped-def]
    stored = api.post("api/workflows", content=pack(GOOD))
    assert stored.status_code == 201, stored.text
    assert stored.json()["name"] == "packed" and len(stored.json()["jobs"]) == 2
    run = api.post("api/workflows/packed/runs").json()["id"]
    assert wait_state(api, run, ("done",))["counts"] == {"done": 2}
    assert api.get(f"api/runs/{run}/jobs/hello/log").json()["text"].endswith("packed hello\n")
    assert api.get(f"api/runs/{run}/jobs/py/log").json()["text"] == "from python\n"


def test_archive_in_one_top_folder_uploads(api: httpx.Client) -> None:
    nested = {f"packed/{name}": data for name, data in GOOD.items()}
    assert api.post("api/workflows", content=_tar(nested)).status_code == 201
    run = api.post("api/workflows/packed/runs").json()["id"]  # the scripts were found under the top folder
    assert wait_state(api, run, ("done", "failed"))["counts"] == {"done": 2}
    assert api.get(f"api/runs/{run}/jobs/hello/log").json()["text"].endswith("packed hello\n")


ATTACKS = [
    (
        "zip-slip",
        lambda: _zip({"workflow.yaml": WF, "../../evil": b"x"}),
        "leaving the folder",
    ),
    ("zip absolute", lambda: _zip({"/tmp/evil": b"x"}), "absolute"),
    (
        "tar-slip",
        lambda: _tar({"workflow.yaml": WF, "a/../../evil": b"x"}),
        "leaving the folder",
    ),
    ("zip symlink out", lambda: _zip({"workflow.yaml": b"jobs: []"}, {"evil": "/etc/passwd"}), "links"),
    ("tar symlink out", lambda: _tar({"workflow.yaml": b"jobs: []"}, {"evil": "../../../etc"}), "links"),
    ("zip bomb", lambda: _zip({"workflow.yaml": b"jobs: []", "bomb": b"\0" * (60 * 1024 * 1024)}), "limit"),
    ("ratio bomb", lambda: _zip({"bomb": b"\0" * (20 * 1024 * 1024)}), "ratio"),
    ("tar bomb", lambda: _tar({"bomb": b"\0" * (60 * 1024 * 1024)}), "limit"),
    ("not an archive", lambda: b"\x1f\x8b" + b"garbage" * 10, "not a .zip or .tar.gz"),
]


@pytest.mark.parametrize(("label", "make", "message"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_archive_attacks_are_refused_and_write_nothing(
    server: Server,
    api: httpx.Client,
    tmp_path: Path,
    label: str,
    make,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    before = _tree(server.home)  # the archive's own relative targets all fall inside CM_HOME
    answer = api.post("api/workflows", content=make())
    assert answer.status_code == 400, (label, answer.text)
    assert message in answer.json()["detail"]
    assert _tree(server.home) == before  # no workflow, no half-extracted staging folder
    assert list((server.home / "cc" / "workflows").iterdir()) == []
    assert not Path("/tmp/evil").exists() and not (server.home.parent / "evil").exists()
    assert api.get("api/workflows").json() == []


def test_archive_without_workflow_file_is_refused(api: httpx.Client, server: Server) -> None:
    answer = api.post("api/workflows", content=_zip({"a.sh": b"echo"}))
    assert answer.status_code == 422 and "no workflow file" in answer.json()["detail"]
    two = api.post("api/workflows", content=_zip({"a.yaml": b"jobs: []", "b.yaml": b"jobs: []"}))
    assert two.status_code == 422 and "several YAML files" in two.json()["detail"]
    assert [p.name for p in (server.home / "cc" / "workflows").iterdir()] == []


def test_upload_larger_than_the_limit_is_refused(api: httpx.Client) -> None:
    answer = api.post("api/workflows", content=b"#" * (50 * 1024 * 1024 + 1))
    assert answer.status_code == 413 and "over the limit of" in answer.json()["detail"]
