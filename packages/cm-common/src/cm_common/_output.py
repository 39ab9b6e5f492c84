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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

OutputFormat = Literal["table", "json", "yaml", "csv"]
Record = Mapping[str, Any]
# Wide enough for any table: outside a terminal a table is drawn at its natural width.
_UNLIMITED = 1 << 20
SUMMARY_AT = 40
"""A table of more rows than this is shown as a summary (:class:`Summary`)."""


def say(message: str) -> None:
    """Print a one-line message for people on stderr."""
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()


@cache
def stderr_console() -> Console:
    """The rich console on stderr, for progress bars and live views."""
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def progress_bar(total: int, what: str) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr while a terminal watches (yields ``update(done)``), else None."""
    if not sys.stderr.isatty() or total < 2:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr_console(), transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.update(task, completed=done)


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
        import yaml  # only for this format: every command's start-up would pay 15 ms for it

        plain = json.loads(json.dumps(rows, default=str))
        return yaml.safe_dump(plain, sort_keys=False)
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows({name: _cell(row[name]) for name in names} for row in rows)
        return buffer.getvalue()
    raise ValueError(f"not a text format: {output}")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and ``word`` as English has it: ``1 job``, ``2 jobs``, ``0 jobs`` (``many`` if irregular)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def make_table(
    records: Sequence[Record],
    columns: Sequence[str] | None = None,
    title: str | None = None,
    ids: Sequence[str] | None = None,
) -> Table:
    """A rich table of ``records``: a cell too long folds onto more lines, never ends in an ellipsis.

    ``ids`` (default: the first column) are the identifier columns, never narrower than their header.
    """
    from rich.table import Table

    # at least as wide as its title, which rich would otherwise fold to the table's width
    table = Table(title=title, min_width=len(title) if title else None)
    names = _columns(records, columns)
    keep = set(names[:1] if ids is None else ids)
    for name in names:
        table.add_column(name, overflow="fold", min_width=len(name) if name in keep else None)
    for record in records:
        table.add_row(*(_cell(record.get(name)) for name in names))
    return table


def _fitting(
    records: Sequence[Record], names: list[str], keep: set[str], least_useful: Sequence[str], width: int
) -> list[str]:
    """The columns that fit ``width``: drop ``least_useful`` first, then from the right, never ``keep``."""
    from rich.cells import cell_len

    def natural(name: str) -> int:  # the widest line of the column, plus its padding and border
        lines = [name, *(line for r in records for line in _cell(r.get(name)).splitlines())]
        return max(cell_len(line) for line in lines) + 3

    widths = {name: natural(name) for name in names}
    order = [n for n in least_useful if n in names] + [n for n in reversed(names) if n not in least_useful]
    shown = list(names)
    for name in [n for n in order if n not in keep]:
        if sum(widths[n] for n in shown) + 1 <= width:
            break
        shown.remove(name)
    return shown


def print_table(
    records: Sequence[Record],
    columns: Sequence[str] | None = None,
    title: str | None = None,
    ids: Sequence[str] | None = None,
    least_useful: Sequence[str] = (),
) -> None:
    """Print ``records`` as a table on stdout, never cutting an identifier.

    Outside a terminal (a pipe, a file, CI logs) the table has its natural width. In a terminal
    too narrow for it, columns are left out (``least_useful`` first, then from the right, never
    an ``ids`` column, default the first) and the caption names them.
    """
    from rich.console import Console

    names = _columns(records, columns)
    keep = set(names[:1] if ids is None else ids)
    if not sys.stdout.isatty():
        table = make_table(records, names, title, list(keep))
        Console(soft_wrap=False, width=_UNLIMITED).print(table)
        return
    console = Console(soft_wrap=False)
    shown = _fitting(records, names, keep, least_useful, console.width)
    table = make_table(records, shown, title, list(keep))
    left_out = [name for name in names if name not in shown]
    if left_out:
        table.caption = f"hidden for width: {', '.join(left_out)}"
    console.print(table)


@dataclass(frozen=True)
class Summary:
    """How :func:`print_records` shortens a table of more than SUMMARY_AT rows: the count of rows
    per value of ``by``, the first ``shown`` rows ``flagged`` (say, failed), then ``hint``
    (how to see every row) on stderr. Drawing 10,000 rows takes rich seconds and shows nobody anything.
    """

    by: str
    what: str
    flagged: Callable[[Record], bool]
    flagged_as: str
    hint: str
    shown: int = 20


def _print_summary(
    records: Sequence[Record], summary: Summary, columns: Sequence[str] | None, least_useful: Sequence[str]
) -> None:
    counts: dict[str, int] = {}
    for record in records:
        key = _cell(record.get(summary.by))
        counts[key] = counts.get(key, 0) + 1
    rows = [{summary.by: key, f"{summary.what}s": n} for key, n in sorted(counts.items())]
    print_table(rows, title=plural(len(records), summary.what))
    picked = [record for record in records if summary.flagged(record)]
    if picked:
        first = picked[: summary.shown]
        more = f", first {len(first)} shown" if len(first) < len(picked) else ""
        title = f"{plural(len(picked), summary.what)} {summary.flagged_as}{more}"
        print_table(first, columns, title, least_useful=least_useful)
    say(summary.hint)


def print_records(
    records: Sequence[Record],
    output: OutputFormat = "table",
    columns: Sequence[str] | None = None,
    title: str | None = None,
    ids: Sequence[str] | None = None,
    least_useful: Sequence[str] = (),
    summary: Summary | None = None,
) -> None:
    """Print ``records`` to stdout in the chosen format (a table as :func:`print_table` draws it).

    With a ``summary``, a table of more than SUMMARY_AT records is shown as that summary.
    """
    if output == "table" and summary is not None and len(records) > SUMMARY_AT:
        _print_summary(records, summary, columns, least_useful)
    elif output == "table":
        print_table(records, columns, title, ids, least_useful)
    else:
        sys.stdout.write(format_records(records, output, columns))
        sys.stdout.flush()
