"""Who may call a service: a bearer token, or Basic users whose passwords are hashed with scrypt.

Both live in ``$CM_HOME/gas`` with mode 0600: ``token`` and ``users.json``
(``{"alice": "scrypt$16384$8$1$SALT$HASH"}``, base64 salt and hash; never a password).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Literal

from cm_common import InputError, atomic_write_text, cm_home, file_lock, load_or_create_token, token_matches

AuthMode = Literal["token", "basic", "none"]
AUTH_MODES: tuple[AuthMode, ...] = ("token", "basic", "none")
# scrypt at n=2**14, r=8 (16 MiB, ~50 ms): the cost OWASP names as a minimum for interactive logins.
N, R, P = 2**14, 8, 1
MAX_MEMORY = 64 * 1024 * 1024
USER_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD = 8


def gas_home() -> Path:
    """cm-gas's folder in CM_HOME."""
    return cm_home() / "gas"


def token_path() -> Path:
    """Where the bearer token lives: ``$CM_HOME/gas/token``."""
    return gas_home() / "token"


def users_path() -> Path:
    """Where the Basic users live: ``$CM_HOME/gas/users.json``."""
    return gas_home() / "users.json"


def service_token() -> str:
    """The bearer token, made (0600) on first use."""
    return load_or_create_token(token_path())


def hash_password(password: str) -> str:
    """``scrypt$N$R$P$SALT$HASH`` of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=MAX_MEMORY)
    encode = base64.b64encode
    return f"scrypt${N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` hashes to ``stored`` (constant-time compare); a malformed entry is False."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest, validate=True)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=MAX_MEMORY,
            dklen=len(expected),
        )
    except (ValueError, binascii.Error):
        return False
    return scheme == "scrypt" and hmac.compare_digest(got, expected)


def load_users(path: Path | None = None) -> dict[str, str]:
    """The users and their hashes; no file means no users. A damaged file is an InputError naming it."""
    file = path or users_path()
    if not file.exists():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"{file}: not a users file: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError(f"{file}: not a users file: expected {{name: hash}}")
    return {str(key): value for key, value in data.items()}


def add_user(name: str, password: str, path: Path | None = None) -> bool:
    """Add ``name`` or change its password; True when it is new."""
    if not USER_NAME.match(name):
        raise InputError(f"user name {name!r}: use 1-64 letters, digits and . _ @ -")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password of {name!r}: at least {MIN_PASSWORD} characters")
    file = path or users_path()
    with file_lock(file.with_name(file.name + ".lock")):
        users = load_users(file)
        new = name not in users
        users[name] = hash_password(password)
        atomic_write_text(file, json.dumps(users, indent=2, sort_keys=True) + "\n", mode=0o600)
    return new


def remove_user(name: str, path: Path | None = None) -> None:
    """Remove ``name``; an unknown name is an InputError."""
    file = path or users_path()
    with file_lock(file.with_name(file.name + ".lock")):
        users = load_users(file)
        if name not in users:
            raise InputError(f"no user {name!r} in {file}")
        del users[name]
        atomic_write_text(file, json.dumps(users, indent=2, sort_keys=True) + "\n", mode=0o600)


class TokenCheck:
    """``Authorization: Bearer TOKEN``."""

    scheme = "bearer"
    challenge = "Bearer"

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, header: str | None) -> bool:
        """True when the header carries the token."""
        return token_matches(self.token, header)


class BasicCheck:
    """``Authorization: Basic base64(user:password)`` against the users file (re-read when it changes).

    scrypt costs ~50 ms on purpose, so a header that passed once is remembered (as a keyed digest,
    never the password) until the users file changes; a wrong one is checked each time.
    """

    scheme = "basic"
    challenge = 'Basic realm="cm-gas", charset="UTF-8"'
    MAX_REMEMBERED = 1024

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or users_path()
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, str] = {}
        self._passed: set[bytes] = set()
        self._decoy = hash_password(secrets.token_urlsafe(16))

    def _refresh(self) -> None:
        try:
            info = os.stat(self.path)
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = (0, 0)
        if stamp != self._stamp:
            self._users = load_users(self.path) if stamp != (0, 0) else {}
            self._passed = set()
            self._stamp = stamp

    def __call__(self, header: str | None) -> bool:
        """True when the header names a user with the right password."""
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() != "basic" or not value:
            return False
        seen = hmac.new(self._key, value.strip().encode(), "sha256").digest()
        with self._lock:
            self._refresh()
            if seen in self._passed:
                return True
            users = self._users
        try:
            name, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, binascii.Error):
            return False
        # An unknown name costs the same scrypt as a known one, so timing does not tell which names exist.
        stored = users.get(name) or self._decoy
        if not verify_password(password, stored) or not sep or name not in users:
            return False
        with self._lock:
            if len(self._passed) >= self.MAX_REMEMBERED:
                self._passed.clear()
            self._passed.add(seen)
        return True
