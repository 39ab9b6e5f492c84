"""Attacks on a real server (uvicorn, over HTTP with httpx): each is refused with a one-line answer,
and nothing is stored or run. Cross-site writes and DNS rebinding, bodies over the limit, archive and
YAML bombs, archives that used to crash the server, paths that leave the upload, env keys."""

from __future__ import annotations

import gzip
import io
import resource
import subprocess
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from service_fixtures import (  # noqa: F401
    Server,
    api_fixture,
    open_server_fixture,
    pack_tar,
    pack_zip,
    server_fixture,
    start_server,
    stop_server,
    untouched,
    wait_state,
    workflow_yaml,
)

YAML = {"Content-Type": "application/yaml"}


def _raw(server: Server, token: bool = True) -> httpx.Client:
    """A client sending only what a test gives (no X-CM-Request, no content type of its own)."""
    headers = {"Authorization": f"Bearer {server.token}"} if token and server.token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def _one_line(answer: httpx.Response) -> str:
    detail: str = answer.json()["detail"]
    assert "\n" not in detail and "/tmp" not in detail and ".upload-" not in detail
    return detail


# -- cross-site requests and DNS rebinding ---------------------------------------------------------
@pytest.mark.parametrize("auth", [False, True])
def test_a_simple_cross_site_post_is_refused(cm_home: Path, auth: bool) -> None:
    running, uv, thread = start_server(cm_home, auth=auth)
    try:
        with _raw(running) as client:  # what a no-cors fetch or a form of another origin can send
            plain = client.post(
                "api/workflows", content=workflow_yaml(), headers={"Content-Type": "text/plain"}
            )
            assert plain.status_code == 415 and "text/plain" in _one_line(plain)
            form = client.post("api/workflows", data={"x": workflow_yaml()})
            assert form.status_code == 415
            multipart = client.post("api/workflows", files={"file": ("w.yaml", workflow_yaml())})
            assert multipart.status_code == 415
            other = client.post(
                "api/workflows",
                content=workflow_yaml(),
                headers={**YAML, "Origin": "http://127.0.0.1:1", "X-CM-Request": "x"},
            )
            assert other.status_code == 403 and "cross-origin" in _one_line(other)
        assert untouched(running)
    finally:
        stop_server(uv, thread)


def test_a_body_less_post_cannot_start_a_run(open_server: Server) -> None:
    with open_server.client() as api:
        assert api.post("api/workflows", content=workflow_yaml("w")).status_code == 201
    with _raw(open_server) as client:
        for path in ("api/workflows/w/runs", "api/runs/x/cancel"):
            answer = client.post(path)
            assert answer.status_code == 403 and "x-cm-request" in _one_line(answer)
        assert client.delete("api/workflows/w").status_code == 403
        assert client.get("api/runs").json() == []
        assert [w["name"] for w in client.get("api/workflows").json()] == ["w"]


def test_preflight_is_refused_and_no_cors_header_is_sent(open_server: Server) -> None:
    with _raw(open_server) as client:
        preflight = client.options(
            "api/workflows",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 403
        assert not [key for key in preflight.headers if key.startswith("access-control-")]


def test_dns_rebinding_a_foreign_host_is_refused(open_server: Server) -> None:
    with _raw(open_server) as client:
        for method, path in (("GET", "api/runs"), ("GET", ""), ("POST", "api/workflows")):
            answer = client.request(
                method, path, content=workflow_yaml(), headers={**YAML, "Host": "rebound.example"}
            )
            assert answer.status_code == 400 and "rebound.example" in _one_line(answer)
        assert client.get("api/runs", headers={"Host": "localhost"}).status_code == 200
    assert untouched(open_server)


def test_allowed_host_names_a_further_host(cm_home: Path) -> None:
    from cm_common import allowed_hosts

    running, uv, thread = start_server(cm_home, hosts=allowed_hosts("127.0.0.1", extra=["cm.lab"]))
    try:
        with running.client() as api:
            assert api.get("api/runs", headers={"Host": "cm.lab:8000"}).status_code == 200
            assert api.get("api/runs", headers={"Host": "other.lab"}).status_code == 400
    finally:
        stop_server(uv, thread)


# -- bodies limited before and while reading --------------------------------------------------------
def _chunks(total: int, size: int = 1024 * 1024) -> Iterator[bytes]:
    block = b"token=" + b"x" * (size - 6)
    for _ in range(total // size):
        yield block


def test_a_huge_login_body_is_cut_at_once(open_server: Server, server: Server) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for target in (open_server, server):
        with _raw(target, token=False) as client:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            try:
                answer = client.post("login", content=_chunks(300 * 1024 * 1024), headers=headers)
            except httpx.HTTPError:  # the server may close the connection while the client still sends
                continue
            assert answer.status_code == 413, answer.text
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 100 * 1024  # two 300 MB bodies went by without being kept


def test_an_upload_over_the_body_limit_is_refused_by_its_length(cm_home: Path) -> None:
    running, uv, thread = start_server(cm_home, max_body=64 * 1024)
    try:
        with running.client() as api:
            big = api.post("api/workflows", content=b"#" * (64 * 1024 + 1))
            assert big.status_code == 413 and "65536" in _one_line(big)
            streamed = api.post("api/workflows", content=iter([b"#" * 40_000] * 3), headers=YAML)
            assert streamed.status_code == 413
        assert untouched(running)
    finally:
        stop_server(uv, thread)


# -- archive and YAML bombs --------------------------------------------------------------------------
def _tar_gz_of_zeros(size: int) -> bytes:
    """A .tar.gz holding workflow.yaml and a member of ``size`` zero bytes, built without holding it."""
    out = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as gz,
        tarfile.open(fileobj=gz, mode="w|") as tar,
    ):
        text = workflow_yaml().encode()
        info = tarfile.TarInfo("workflow.yaml")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
        info = tarfile.TarInfo("zeros.bin")
        info.size = size

        class Zeros(io.RawIOBase):
            left = size

            def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
                n = min(len(buffer), self.left)
                buffer[:n] = bytes(n)
                self.left -= n
                return n

        tar.addfile(info, Zeros())
    return out.getvalue()


def test_a_tar_gz_bomb_stops_at_the_limit(api: httpx.Client, server: Server) -> None:
    bomb = _tar_gz_of_zeros(200 * 1024 * 1024)
    assert len(bomb) < 2 * 1024 * 1024
    answer = api.post("api/workflows", content=bomb)
    assert answer.status_code == 400 and "more than the limit of" in _one_line(answer)
    assert untouched(server)


def test_a_gzip_stream_is_inflated_only_to_the_limit() -> None:
    from cm_cc.service._archive import _gunzip

    stream = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = stream.compress(bytes(64 * 1024 * 1024)) + stream.flush()
    with pytest.raises(Exception, match="more than the limit of 1000 bytes"):
        _gunzip(bomb, 1000)
    assert _gunzip(gzip.compress(b"abc"), 1000) == b"abc"


LAUGHS = "\n".join(
    ["name: lol", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    + ["jobs: [{name: j, exec: 'true', parameters: {p: *a8}}]"]
)


def test_billion_laughs_is_refused_naming_the_limit(api: httpx.Client, server: Server) -> None:
    assert len(LAUGHS) < 1000
    answer = api.post("api/workflows", content=LAUGHS)
    assert answer.status_code == 413 and "limit of 200000 nodes" in _one_line(answer)
    assert untouched(server)


def test_an_archive_with_a_bomb_yaml_is_refused(api: httpx.Client, server: Server) -> None:
    answer = api.post("api/workflows", content=pack_zip({"workflow.yaml": LAUGHS.encode()}))
    assert answer.status_code == 413 and "nodes" in _one_line(answer)
    assert untouched(server)


def test_yaml_nested_20000_deep_is_refused(api: httpx.Client, server: Server) -> None:
    deep = "jobs: " + "[" * 20_000 + "]" * 20_000
    answer = api.post("api/workflows", content=deep)
    assert answer.status_code == 422 and "deeper than the limit of 64" in _one_line(answer)
    assert untouched(server)


def test_duplicate_keys_name_key_and_line(api: httpx.Client, server: Server) -> None:
    text = "name: dup\njobs:\n  - name: a\n    exec: 'true'\n    exec: 'rm -rf x'\n"
    answer = api.post("api/workflows", content=text)
    assert answer.status_code == 422 and _one_line(answer) == "upload/workflow.yaml:5: duplicate key 'exec'"
    assert untouched(server)


def test_what_a_run_stores_is_limited(
    api: httpx.Client, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cm_cc.service import _service

    assert api.post("api/workflows", content=workflow_yaml("w")).status_code == 201
    monkeypatch.setattr(_service, "MAX_RUN_SPEC", 100)
    answer = api.post("api/workflows/w/runs", json={})
    assert answer.status_code == 413 and "over 100" in _one_line(answer)
    assert api.get("api/runs").json() == []


# -- archives that used to answer 500 ----------------------------------------------------------------
GOOD = {"workflow.yaml": workflow_yaml("packed").encode()}


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ({**GOOD, "d": b"file", "d/e": b"x"}, "'d' is a file, not a folder"),
        ({"d/e": b"x", **GOOD, "d": b"file"}, "'d' twice"),
    ],
)
def test_a_file_and_a_folder_of_one_name_is_a_400(
    api: httpx.Client, server: Server, entries: dict[str, bytes], expected: str
) -> None:
    for pack in (pack_zip, pack_tar):
        answer = api.post("api/workflows", content=pack(entries))
        assert answer.status_code == 400 and expected in _one_line(answer), answer.text
    assert untouched(server)


@pytest.mark.parametrize(("field", "value"), [(16, b"\x00\x00\x00\x00"), (24, b"\x05\x00\x00\x00")])
def test_a_zip_with_a_wrong_crc_or_size_is_a_400(
    api: httpx.Client, server: Server, field: int, value: bytes
) -> None:
    data = bytearray(pack_zip({**GOOD, "run.sh": b"echo hello " * 100}))
    header = data.rindex(b"run.sh") - 46  # its central directory record: CRC at 16, size at 24
    data[header + field : header + field + 4] = value
    answer = api.post("api/workflows", content=bytes(data))
    assert answer.status_code == 400 and "'run.sh'" in _one_line(answer), answer.text
    assert untouched(server)


def test_a_dot_rooted_tar_gz_is_accepted(api: httpx.Client, tmp_path: Path) -> None:
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "workflow.yaml").write_text(
        yaml.safe_dump({"name": "dot", "jobs": [{"name": "a", "script": "run.sh"}]})
    )
    (folder / "run.sh").write_text("echo dot-rooted\n")
    archive = tmp_path / "x.tar.gz"
    subprocess.run(["tar", "czf", str(archive), "-C", str(folder), "."], check=True)
    with tarfile.open(archive) as made:
        assert made.getnames()[0] == "."
    stored = api.post("api/workflows", content=archive.read_bytes())
    assert stored.status_code == 201, stored.text
    run = api.post("api/workflows/dot/runs", json={}).json()["id"]
    assert wait_state(api, run, ("done", "failed"))["state"] == "done"
    assert "dot-rooted" in api.get(f"api/runs/{run}/jobs/a/log").json()["text"]


def test_a_label_ending_in_a_backslash_is_no_500(api: httpx.Client) -> None:
    text = yaml.safe_dump({"name": "bs", "jobs": [{"name": "a", "exec": "true", "label": "a\\"}]})
    answer = api.post("api/workflows", content=text)
    assert answer.status_code in (201, 422), answer.text
    if answer.status_code == 201:
        run = api.post("api/workflows/bs/runs", json={}).json()["id"]
        wait_state(api, run, ("done",))
        graph = api.get(f"api/runs/{run}/graph.svg")
        assert graph.status_code == 200 and b"<svg" in graph.content
    else:
        _one_line(answer)


# -- paths and env keys --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("job", "field"),
    [
        ({"script": "~/../etc/passwd"}, "script"),
        ({"exec": "pwd", "workdir": "~/../etc"}, "workdir"),
        ({"exec": "pwd", "workdir": "~"}, "workdir"),
        ({"python": "~root/x.py"}, "python"),
    ],
)
def test_paths_through_home_are_checked_as_the_run_sees_them(
    api: httpx.Client, server: Server, job: dict[str, str], field: str
) -> None:
    text = yaml.safe_dump({"name": "p", "jobs": [{"name": "a", **job}]})
    answer = api.post("api/workflows", content=text)
    assert answer.status_code == 422 and f"{field} " in _one_line(answer), answer.text
    assert "inside the upload" in answer.json()["detail"]
    assert untouched(server)


def test_an_env_key_with_shell_syntax_is_refused(
    api: httpx.Client, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = yaml.safe_dump(
        {"name": "e", "jobs": [{"name": "a", "exec": "true", "env": {"X; touch pwned; Y": "1"}}]}
    )
    answer = api.post("api/workflows", content=text)
    assert answer.status_code == 422 and "env key 'X; touch" in _one_line(answer)
    assert untouched(server) and not (tmp_path / "pwned").exists()


def test_env_values_are_always_quoted(api: httpx.Client, tmp_path: Path) -> None:
    value = f"$(touch {tmp_path}/pwned); `touch {tmp_path}/pwned2`"
    jobs = [
        {"name": "a", "exec": 'echo "$V"', "env": {"V": value}},
        {"name": "b", "exec": "printenv V", "env": {"V": value}, "needs": ["a"]},
    ]
    assert api.post("api/workflows", content=yaml.safe_dump({"name": "q", "jobs": jobs})).status_code == 201
    run = api.post("api/workflows/q/runs", json={}).json()["id"]
    assert wait_state(api, run, ("done", "failed"))["state"] == "done"
    assert api.get(f"api/runs/{run}/jobs/a/log").json()["text"].strip() == value
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
