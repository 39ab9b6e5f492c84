"""Bearer token and scrypt-hashed Basic users: wrong or stale credentials refused; the scheme in the spec."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import calculator
import httpx
import pytest
from helpers import bearer, running

from cm_common import InputError
from cm_gas import service
from cm_gas._auth import add_user, hash_password, remove_user, token_path, users_path, verify_password


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_the_token_is_made_once_0600_and_required(cm_home: Path) -> None:
    app = service(calculator.add)
    token = token_path().read_text().strip()
    assert stat.S_IMODE(token_path().stat().st_mode) == 0o600 and len(token) >= 40
    spec = app.openapi()
    assert spec["components"]["securitySchemes"] == {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/health"]["get"]["security"] == []
    with running(app) as url:
        for headers in ({}, bearer("wrong"), {"Authorization": token}, _basic("a", token)):
            refused = httpx.post(url + "add", json={"x": 1}, headers=headers)
            assert refused.status_code == 401, headers
            assert refused.json() == {"detail": "missing or wrong credentials"}
            assert refused.headers["www-authenticate"] == "Bearer"
        assert httpx.post(url + "add", json={"x": 1}, headers=bearer(token)).json() == 1.0
        assert httpx.get(url + "health").json() == {"status": "ok"}
        assert httpx.get(url + "openapi.json").status_code == 200
        # the same token on the second start
        assert service(calculator.add) is not None and token_path().read_text().strip() == token


def test_basic_users_with_scrypt(cm_home: Path) -> None:
    assert add_user("alice", "correct horse") is True
    assert add_user("bob", "battery staple") is True
    stored = json.loads(users_path().read_text())
    assert stat.S_IMODE(users_path().stat().st_mode) == 0o600
    assert stored["alice"].startswith("scrypt$16384$8$1$") and "correct horse" not in users_path().read_text()
    app = service(calculator.add, auth="basic")
    assert app.openapi()["components"]["securitySchemes"] == {
        "basicAuth": {"type": "http", "scheme": "basic"}
    }
    with running(app) as url:
        ok = httpx.post(url + "add", json={"x": 2}, headers=_basic("alice", "correct horse"))
        assert ok.json() == 2.0
        for headers in (
            {},
            _basic("alice", "wrong password"),
            _basic("carol", "correct horse"),
            {"Authorization": "Basic !!!notbase64"},
            {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
            bearer("correct horse"),
        ):
            refused = httpx.post(url + "add", json={"x": 2}, headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Basic")
        assert (
            httpx.post(url + "add", json={"x": 2}, headers=_basic("bob", "battery staple")).status_code == 200
        )
        remove_user("bob")  # a removed user is refused at once, though it passed before
        assert (
            httpx.post(url + "add", json={"x": 2}, headers=_basic("bob", "battery staple")).status_code == 401
        )
        assert (
            httpx.post(url + "add", json={"x": 2}, headers=_basic("alice", "correct horse")).status_code
            == 200
        )


def test_user_names_and_passwords_are_checked(cm_home: Path) -> None:
    with pytest.raises(InputError, match="at least 8 characters"):
        add_user("alice", "short")
    with pytest.raises(InputError, match="user name 'a:b'"):
        add_user("a:b", "long enough")
    with pytest.raises(InputError, match="no user 'nobody'"):
        remove_user("nobody")


def test_hashes_are_salted_and_verified() -> None:
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second
    assert verify_password("same password", first) and not verify_password("other password", first)
    assert not verify_password("same password", "scrypt$broken")
    assert not verify_password("same password", "md5$1$1$1$AAAA$AAAA")


def test_an_unknown_user_costs_a_hash_like_a_known_one(
    cm_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answer time must not tell which user names exist: every name is checked with scrypt."""
    from cm_gas import _auth

    add_user("alice", "right-password")
    check = _auth.BasicCheck()
    hashed: list[str] = []
    real = _auth.verify_password
    monkeypatch.setattr(_auth, "verify_password", lambda pw, stored: hashed.append(pw) or real(pw, stored))
    header = _basic("mallory", "right-password")["Authorization"]
    assert not check(header)
    assert not check(_basic("alice", "wrong")["Authorization"])
    assert check(_basic("alice", "right-password")["Authorization"])
    assert hashed == ["right-password", "wrong", "right-password"]
