"""The local inventory: VM records in SQLite (``$CM_HOME/vm/inventory.sqlite``).

Names are reserved in an immediate transaction, so two boots racing for the same name or
the same counter never get the same one.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from cm_common import InputError, cm_home

from ._models import NAME_PATTERN, Vm

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vms (name TEXT PRIMARY KEY, cloud TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (template TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_FIELDS = {f.name for f in fields(Vm)}


def check_name(name: str) -> str:
    """``name`` if it can name a VM (and a Host line of an ssh config), else an InputError."""
    if not re.match(NAME_PATTERN, name):
        raise InputError(f"invalid VM name {name!r}: use letters, digits, '.', '_', '-' (up to 63)")
    return name


def _vm(data: str) -> Vm:
    raw = json.loads(data)
    return Vm(**{key: value for key, value in raw.items() if key in _FIELDS})


class Inventory:
    """The VM records cm-vm knows, with the name counter and the last booted VM."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cm_home() / "vm" / "inventory.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            if write:
                db.execute("BEGIN IMMEDIATE")
            yield db
            if write:
                db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def reserve(self, names: list[str], cloud: str) -> None:
        """Record ``names`` as pending VMs of ``cloud``; a name already in use is an InputError."""
        for name in names:
            check_name(name)
        with self._db(write=True) as db:
            self._insert_new(db, names, cloud)

    def _insert_new(self, db: sqlite3.Connection, names: list[str], cloud: str) -> None:
        for name in names:
            row = db.execute("SELECT cloud FROM vms WHERE name = ?", (name,)).fetchone()
            if row is not None:
                raise InputError(f"VM name {name!r} is already in use (cloud {row[0]}; see cm-vm list)")
            db.execute("INSERT INTO vms VALUES (?, ?, ?)", (name, cloud, json.dumps(asdict(Vm(name, cloud)))))

    def reserve_next(self, template: str, values: dict[str, Any], count: int, cloud: str) -> list[str]:
        """Reserve ``count`` fresh names from ``template`` and its ``{counter}``, skipping names in use."""
        names: list[str] = []
        with self._db(write=True) as db:
            row = db.execute("SELECT value FROM counters WHERE template = ?", (template,)).fetchone()
            counter = row[0] if row else 0
            while len(names) < count:
                counter += 1
                name = check_name(template.format(**values, counter=counter))
                if db.execute("SELECT 1 FROM vms WHERE name = ?", (name,)).fetchone() is None:
                    names.append(name)
                elif "{counter" not in template:
                    raise InputError(
                        f"VM name {name!r} is already in use and the template has no {{counter}}"
                    )
            db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (template, counter))
            self._insert_new(db, names, cloud)
        return names

    def put(self, vms: Iterable[Vm]) -> None:
        """Insert or replace records."""
        rows = [(vm.name, vm.cloud, json.dumps(asdict(vm))) for vm in vms]
        with self._db(write=True) as db:
            db.executemany("INSERT OR REPLACE INTO vms VALUES (?, ?, ?)", rows)

    def delete(self, names: Iterable[str]) -> None:
        """Forget records."""
        with self._db(write=True) as db:
            db.executemany("DELETE FROM vms WHERE name = ?", [(name,) for name in names])

    def get(self, name: str) -> Vm:
        """The record called ``name``; an unknown one is an InputError."""
        with self._db() as db:
            row = db.execute("SELECT data FROM vms WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise InputError(f"no VM named {name!r} (see cm-vm list, or cm-vm list --refresh)")
        return _vm(row[0])

    def all(self, cloud: str | None = None) -> list[Vm]:
        """Every record, or those of ``cloud``, by name."""
        with self._db() as db:
            if cloud is None:
                rows = db.execute("SELECT data FROM vms ORDER BY name").fetchall()
            else:
                rows = db.execute("SELECT data FROM vms WHERE cloud = ? ORDER BY name", (cloud,)).fetchall()
        return [_vm(row[0]) for row in rows]

    def sync(self, cloud: str, seen: list[Vm]) -> None:
        """Make the records of ``cloud`` what the provider reports; records still booting are kept."""
        with self._db(write=True) as db:
            old = {
                row[0]: _vm(row[1])
                for row in db.execute("SELECT name, data FROM vms WHERE cloud = ?", (cloud,)).fetchall()
            }
            for vm in seen:
                known = old.get(vm.name)
                if known is not None:
                    vm.username, vm.created = known.username or vm.username, known.created
                    vm.key_file = known.key_file or vm.key_file
                    vm.port = known.port
            names = {vm.name for vm in seen}
            gone = [(name,) for name, vm in old.items() if name not in names and vm.id]
            db.executemany("DELETE FROM vms WHERE name = ?", gone)
            rows = [(vm.name, vm.cloud, json.dumps(asdict(vm))) for vm in seen]
            db.executemany("INSERT OR REPLACE INTO vms VALUES (?, ?, ?)", rows)

    @property
    def last(self) -> str | None:
        """The name of the VM booted last."""
        with self._db() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'last'").fetchone()
        return None if row is None else str(row[0])

    @last.setter
    def last(self, name: str) -> None:
        with self._db(write=True) as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('last', ?)", (name,))
