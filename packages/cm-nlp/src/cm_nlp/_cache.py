"""The translation cache: SQLite in ``$CM_HOME/nlp/cache.sqlite``, so a repeated text is not paid twice."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from cm_common import cm_home

from ._models import TranslationResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    date TEXT NOT NULL,
    time REAL NOT NULL
)
"""
_CHUNK = 500  # keys per SELECT, below SQLite's limit of host parameters


def cache_path() -> Path:
    """Where the cache lives."""
    return cm_home() / "nlp" / "cache.sqlite"


def _key(provider: str, source: str, target: str, text: str) -> str:
    return hashlib.sha256("\0".join((provider, source, target, text)).encode()).hexdigest()


class Cache:
    """Translations by (provider, source, target, text); safe to share between threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def get_many(
        self, provider: str, source: str, target: str, texts: Iterable[str]
    ) -> dict[str, TranslationResult]:
        """The cached results among ``texts``, by text."""
        keys = {_key(provider, source, target, text): text for text in texts}
        found: dict[str, TranslationResult] = {}
        wanted = list(keys)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT input, output, date, time FROM translations WHERE key IN ({marks})",  # noqa: S608 - only ? marks
                    chunk,
                ).fetchall()
            for text, output, date, seconds in rows:
                found[text] = TranslationResult(
                    input=text,
                    input_language=source,
                    output=output,
                    output_language=target,
                    provider=provider,
                    date=datetime.fromisoformat(date),
                    time=seconds,
                    characters=len(text),
                    cached=True,
                )
        return found

    def put_many(self, source: str, results: Sequence[TranslationResult]) -> None:
        """Store results (``source`` as asked for, which may be ``auto``) in one transaction."""
        rows = [
            (
                _key(r.provider, source, r.output_language, r.input),
                r.provider,
                source,
                r.output_language,
                r.input,
                r.output,
                r.date.isoformat(),
                r.time,
            )
            for r in results
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def count(self) -> int:
        """How many translations are cached."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM translations").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()
