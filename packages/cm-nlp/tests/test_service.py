"""The REST service under uvicorn on 127.0.0.1, called with httpx: answers, errors, auth, guard."""

from __future__ import annotations

import io
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from libre_server import LibreServer
from PIL import Image

from cm_common import load_or_create_token
from cm_nlp.service import create_app, token_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/health", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture
def service(libre_settings: LibreServer) -> Iterator[httpx.Client]:
    """The app under uvicorn in a thread, and an httpx client with its token."""
    token = load_or_create_token(token_path())
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(token), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    _wait(url)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client
    server.should_exit = True
    thread.join(10)


def test_health_needs_no_token(service: httpx.Client) -> None:
    answer = httpx.get(f"{str(service.base_url).rstrip('/')}/health")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_translate_get_and_post(service: httpx.Client, libre_settings: LibreServer) -> None:
    got = service.get("/translate", params={"text": "hello", "source": "en", "target": "de"})
    assert got.status_code == 200
    assert got.json()["output"] == "de:HELLO" and got.json()["provider"] == "libre"
    posted = service.post("/translate", json={"text": "hello", "source": "en", "target": "de"})
    assert posted.json()["cached"] is True and libre_settings.calls["hello"] == 1


def test_batch_reports_failures_per_item(service: httpx.Client) -> None:
    answer = service.post("/translate", json={"text": ["a", "!500 b", "c"], "target": "fr"})
    assert answer.status_code == 200
    body = answer.json()
    assert [r["output"] for r in body["results"]] == ["fr:A", "fr:C"]
    assert [(f["index"], f["input"]) for f in body["failures"]] == [(1, "!500 b")]


@pytest.mark.parametrize(
    ("request_args", "status", "detail"),
    [
        ({"json": {"text": "x", "provider": "watson"}}, 400, "valid: baidu"),
        ({"json": {"text": "x", "target": "klingon"}}, 400, "unknown language 'klingon'"),
        ({"json": {"text": "x", "provider": "deepl"}}, 503, "credentials.deepl.api_key"),
        ({"json": {"text": ""}}, 422, "body.text"),
        ({"json": {"text": "x", "colour": "red"}}, 422, "colour"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 422, ""),
        ({"json": {"text": ["x"] * 1001}}, 422, "body.text"),
        ({"json": {"text": "!500 down"}}, 502, "HTTP 500"),
        ({"json": {"text": "!slow late"}}, 504, "no answer within 1 s"),
        ({"json": {"text": ["!500 a", "!500 b"]}}, 502, "HTTP 500"),
    ],
)
def test_errors_are_json_and_never_500(
    service: httpx.Client, request_args: dict[str, object], status: int, detail: str
) -> None:
    answer = service.post("/translate", **request_args)  # type: ignore[arg-type]
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert detail in answer.json()["detail"]


def test_sentiment(service: httpx.Client) -> None:
    one = service.get("/sentiment", params={"text": "I love this"})
    assert one.status_code == 200 and one.json()["label"] == "positive"
    many = service.post("/sentiment", json={"text": ["great", "terrible"]})
    assert [r["label"] for r in many.json()] == ["positive", "negative"]
    assert service.post("/sentiment", json={"text": "x", "provider": "google"}).status_code == 400


def test_wordcloud_png_and_svg(service: httpx.Client) -> None:
    answer = service.post("/wordcloud", json={"text": "cloud words cloud " * 30, "width": 320, "height": 200})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(answer.content)) as image:
        assert image.size == (320, 200)
    small = service.get("/wordcloud", params={"text": "cloud words cloud", "width": 100, "height": 80})
    assert small.status_code == 200 and small.headers["content-type"] == "image/png"
    vector = service.post("/wordcloud", json={"text": "cloud words", "format": "svg"})
    assert vector.headers["content-type"].startswith("image/svg+xml") and vector.text.startswith("<svg")
    empty = service.post("/wordcloud", json={"text": "the of and"})
    assert empty.status_code == 400 and "no words" in empty.json()["detail"]


def test_providers(service: httpx.Client) -> None:
    rows = {row["name"]: row for row in service.get("/providers").json()}
    assert rows["libre"]["configured"] is True and rows["vader"]["kind"] == "sentiment"
    assert service.get("/providers", params={"kind": "nonsense"}).status_code == 400


def test_token_host_origin_type_and_size(service: httpx.Client) -> None:
    base = str(service.base_url).rstrip("/")
    no_token = httpx.post(f"{base}/translate", json={"text": "x"})
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"] == "Bearer"
    wrong = httpx.get(f"{base}/providers", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    rebound = service.get("/providers", headers={"Host": "evil.example:80"})
    assert rebound.status_code == 400
    cross = service.post("/translate", json={"text": "x"}, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    form = service.post("/translate", data={"text": "x"})
    assert form.status_code == 415
    huge = service.post("/wordcloud", json={"text": "word " * 1_000_000})
    assert huge.status_code == 413 and "limit" in huge.json()["detail"]


def test_serve_command_makes_a_0600_token(cm_home: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CM_HOME": str(cm_home)}
    command = [sys.executable, "-m", "cm_nlp", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        _wait(f"http://127.0.0.1:{port}")
        token = cm_home / "nlp" / "token"
        assert stat.S_IMODE(token.stat().st_mode) == 0o600
        headers = {"Authorization": f"Bearer {token.read_text().strip()}"}
        answer = httpx.get(f"http://127.0.0.1:{port}/sentiment", params={"text": "good"}, headers=headers)
        assert answer.json()["label"] == "positive"
    finally:
        process.terminate()
        process.wait(10)


def test_no_auth_only_on_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    from cm_common import run
    from cm_nlp.cli import app

    with pytest.raises(SystemExit) as ended:
        everywhere = "0.0.0.0"  # noqa: S104 - refused before anything is bound
        run(app, ["serve", "--host", everywhere, "--no-auth"], prog_name="cm-nlp")
    assert ended.value.code == 2
    assert "--no-auth is allowed only on a loopback address" in capsys.readouterr().err
