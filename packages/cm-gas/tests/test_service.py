"""service(...) served by a real uvicorn and called over HTTP: calls, types, errors, classes, files, guard."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import calculator
import files
import httpx
import model
import pytest
import shapes
from helpers import running

from cm_common import InputError
from cm_gas import service

CSRF = {"x-cm-request": "test"}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """One server for the module: calculator, shapes, files and the Model class, no auth."""
    app = service(
        calculator.add,
        calculator.divide,
        calculator.total,
        calculator.noop,
        shapes.bounding_box,
        shapes.paint,
        shapes.days_between,
        shapes.stats,
        shapes.latest,
        files.checksum,
        files.word_count,
        files.upper,
        model.Model,
        auth="none",
        get=["days_between", "paint"],
        max_upload=1000,
    )
    with running(app) as base:
        yield base


@pytest.fixture
def http(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_post_json_with_required_and_default_parameters(http: httpx.Client) -> None:
    assert http.post("add", json={"x": 1, "y": 2}).json() == 3.0
    assert http.post("add", json={"x": 1.5}).json() == 1.5
    missing = http.post("add", json={"y": 2})
    assert missing.status_code == 422 and missing.json() == {"detail": "body.x: Field required"}
    extra = http.post("add", json={"x": 1, "z": 2})
    assert extra.status_code == 422 and "body.z: Extra inputs are not permitted" in extra.json()["detail"]
    wrong = http.post("add", json={"x": "one"})
    assert wrong.status_code == 422 and wrong.json()["detail"].startswith("body.x:")
    assert (
        http.post("add", content=b"{bad json", headers={"content-type": "application/json"}).status_code
        == 422
    )
    assert http.post("add", json={"x": 1, "y": "NaN"}).status_code == 422


def test_value_errors_are_400_and_other_errors_500_without_traceback(url: str) -> None:
    with httpx.Client(base_url=url) as http:
        refused = http.post("divide", json={"x": 1, "y": 0})
        assert refused.status_code == 400
        assert refused.json() == {"detail": "ValueError: y must not be zero"}
        overflow = http.post("add", json={"x": 1e308, "y": 1e308})
        assert overflow.status_code == 500
        assert overflow.json() == {
            "detail": "add returned a number JSON cannot hold (inf or nan): ValueError"
        }
        assert "Traceback" not in overflow.text


def test_debug_puts_the_traceback_in_the_answer() -> None:
    def explode(x: int) -> int:
        return {}[x]  # type: ignore[no-any-return]

    with running(service(explode, auth="none", debug=True)) as url:
        answer = httpx.post(url + "explode", json={"x": 1})
    assert answer.status_code == 500
    assert answer.json()["detail"] == "explode failed: KeyError: 1"
    assert "Traceback" in answer.json()["traceback"]


def test_async_is_awaited_none_is_204(http: httpx.Client) -> None:
    assert http.post("total", json={"values": [1, 2, 3]}).json() == 6
    done = http.post("noop", json={"x": 1})
    assert done.status_code == 204 and done.content == b""


def test_get_with_a_query_string_for_scalar_functions(http: httpx.Client) -> None:
    assert http.get("days_between", params={"start": "2024-01-01", "end": "2024-03-01"}).json() == 60
    assert (
        http.get("paint", params={"color": "red", "shade": "dark", "alpha": 0.5}).json() == "dark red at 0.50"
    )
    assert http.get("paint", params={"color": "blue"}).status_code == 422
    assert http.get("paint", params={"color": "red", "shade": "pale"}).status_code == 422
    wrong_method = http.post("paint", json={"color": "red"})
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET"
    assert http.get("add").status_code == 405


def test_get_is_refused_for_a_function_with_non_scalar_parameters() -> None:
    with pytest.raises(InputError, match=r"total: parameter 'values' is not a scalar"):
        service(calculator.total, auth="none", get=["total"])
    with pytest.raises(InputError, match=r"--get: no function 'nope'"):
        service(calculator.add, auth="none", get=["nope"])


def test_dataclasses_in_and_out(http: httpx.Client) -> None:
    points = [{"x": 1, "y": 5}, {"x": -2, "y": 3}, {"x": 4, "y": 0}]
    box = http.post("bounding_box", json={"points": points, "label": "b"}).json()
    assert box == {"low": {"x": -2.0, "y": 0.0}, "high": {"x": 4.0, "y": 5.0}, "label": "b"}
    assert http.post("bounding_box", json={"points": [{"x": 1}]}).status_code == 422
    assert http.post("bounding_box", json={"points": []}).status_code == 400


def test_tuples_dicts_models_and_optional_results(http: httpx.Client) -> None:
    assert http.post("stats", json={"values": {"a": 1, "b": 3.5}}).json() == ["b", 3.5]
    readings = [
        {"sensor": "t1", "value": 20.5, "at": "2024-05-01T10:00:00"},
        {"sensor": "t2", "value": 21.0, "at": "2024-05-01T11:00:00"},
    ]
    assert http.post("latest", json={"readings": readings}).json()["sensor"] == "t2"
    assert http.post("latest", json={"readings": []}).json() is None


def test_a_class_is_loaded_once_and_serves_all_its_methods(http: httpx.Client) -> None:
    loaded = http.post("Model/loads", headers=CSRF).json()
    assert loaded >= 1  # at start (other servers in this process load their own)
    for _ in range(3):
        assert 0 < http.post("Model/predict", json={"features": [1, 2, 3]}).json() < 1
    assert http.post("Model/loads", headers=CSRF).json() == loaded  # no call loads it again
    assert http.post("Model/predict", json={"features": [1]}).status_code == 400
    assert http.post("Model/version", json={}).json() == "tiny-1"
    assert http.post("Model/sigmoid", json={"x": 0}).json() == 0.5


def test_a_slow_sync_call_does_not_block_the_others(url: str) -> None:
    slow: dict[str, float] = {}

    def call_slow() -> None:
        started = time.monotonic()
        httpx.post(url + "Model/slow", json={"seconds": 1.5}, timeout=30)
        slow["ended"] = time.monotonic() - started

    thread = threading.Thread(target=call_slow)
    thread.start()
    time.sleep(0.2)
    fast = httpx.post(url + "add", json={"x": 1}, timeout=30)
    assert fast.json() == 1.0
    assert "ended" not in slow  # the fast call came back while the slow one still ran
    thread.join()
    assert slow["ended"] >= 1.4


def test_uploads_have_safe_names_and_a_size_limit(http: httpx.Client) -> None:
    sent = http.post(
        "checksum",
        files={"file": ("../../etc/.pass wd", b"hello")},
        data={"algorithm": "md5"},
        headers=CSRF,
    )
    assert sent.json() == {"filename": "pass_wd", "size": 5, "digest": "5d41402abc4b2a76b9719d911017c592"}
    too_big = http.post("checksum", files={"file": ("a.bin", b"x" * 1001)}, headers=CSRF)
    assert too_big.status_code == 413 and "over the limit of 1000 bytes" in too_big.json()["detail"]
    no_header = http.post("checksum", files={"file": ("a.bin", b"x")})
    assert no_header.status_code == 403
    assert http.post("word_count", files={"text": ("t.txt", b"one two three")}, headers=CSRF).json() == 3
    binary = http.post("upper", files={"data": ("d", b"abc")}, headers=CSRF)
    assert binary.content == b"ABC" and binary.headers["content-type"] == "application/octet-stream"
    assert (
        http.post("checksum", files={"file": ("a", b"x")}, data={"algorithm": "x"}, headers=CSRF).status_code
        == 400
    )


def test_the_guard_refuses_cross_site_and_oversized_requests(http: httpx.Client) -> None:
    rebound = http.post("add", json={"x": 1}, headers={"host": "evil.example"})
    assert rebound.status_code == 400 and rebound.json()["detail"] == "host 'evil.example' is not allowed"
    cross = http.post("add", json={"x": 1}, headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    as_text = http.post("add", content=b'{"x": 1}', headers={"content-type": "text/plain"})
    assert as_text.status_code == 415
    form = http.post("add", data={"x": "1"})
    assert form.status_code == 415
    huge = http.post("total", json={"values": list(range(300_000))})
    assert huge.status_code == 413
    preflight = http.options(
        "add", headers={"origin": "http://evil.example", "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    assert http.post("Model/loads", headers=CSRF).headers["x-content-type-options"] == "nosniff"
    bodyless = http.post("Model/loads")
    assert bodyless.status_code == 403 and "needs the x-cm-request header" in bodyless.json()["detail"]


def test_a_result_not_matching_its_annotation_is_a_500() -> None:
    def liar(x: int) -> int:
        return "not a number"  # type: ignore[return-value]

    with running(service(liar, auth="none")) as url:
        answer = httpx.post(url + "liar", json={"x": 1})
    assert answer.status_code == 500
    assert answer.json() == {
        "detail": "liar returned a value that does not match its annotation: PydanticSerializationError"
    }


def test_parameters_named_like_model_attributes() -> None:
    def odd(json: str, model_config: int = 2, schema: bool = False) -> str:
        return f"{json}-{model_config}-{schema}"

    with running(service(odd, auth="none")) as url:
        assert httpx.post(url + "odd", json={"json": "a", "model_config": 3}).json() == "a-3-False"


class Opaque:
    """No pydantic schema for this."""


def test_unsupported_types_are_named() -> None:
    def take(thing: Opaque) -> int:
        return 1

    with pytest.raises(InputError, match=r"take: parameter 'thing':"):
        service(take, auth="none")
