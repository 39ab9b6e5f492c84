"""One output layer for every CLI: records as a rich table (for people) or json/yaml/csv (for scripts).

Machine formats go to stdout untouched; messages go to stderr through :func:`say`, or through
:func:`stderr_console` for rich views. rich is imported only when a table or view is drawn:
it costs ~15 ms, a fifth of a short command's start-up.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import yaml

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

OutputFormat = Literal["table", "json", "yaml", "csv"]
Record = Mapping[str, Any]


def say(message: str) -> None:
    """Print a one-line message for people on stderr."""
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()


@cache
def stderr_console() -> Console:
    """The rich console on stderr, for progress bars and live views."""
    from rich.console import Console

    return Console(stderr=True)


def _columns(records: Sequence[Record], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record))
    return list(seen)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def format_records(
    records: Sequence[Record], output: OutputFormat, columns: Sequence[str] | None = None
) -> str:
    """Render ``records`` as json, yaml or csv text (``table`` needs :func:`print_records`)."""
    names = _columns(records, columns)
    rows = [{name: record.get(name) for name in names} for record in records]
    if output == "json":
        return json.dumps(rows, indent=2, default=str) + "\n"
    if output == "yaml":
        plain = json.loads(json.dumps(rows, default=str))
        return yaml.safe_dump(plain, sort_keys=False)
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows({name: _cell(row[name]) for name in names} for row in rows)
        return buffer.getvalue()
    raise ValueError(f"not a text format: {output}")


def make_table(
    records: Sequence[Record], columns: Sequence[str] | None = None, title: str | None = None
) -> Table:
    """A rich table of ``records``."""
    from rich.table import Table

    table = Table(title=title)
    names = _columns(records, columns)
    for name in names:
        table.add_column(name)
    for record in records:
        table.add_row(*(_cell(record.get(name)) for name in names))
    return table


def print_records(
    records: Sequence[Record],
    output: OutputFormat = "table",
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print ``records`` to stdout in the chosen format."""
    if output == "table":
        from rich.console import Console

        Console(soft_wrap=False).print(make_table(records, columns, title))
    else:
        sys.stdout.write(format_records(records, output, columns))
        sys.stdout.flush()
