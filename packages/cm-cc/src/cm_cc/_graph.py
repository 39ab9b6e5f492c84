"""The workflow graph as DOT, SVG or PNG (pydot + graphviz ``dot``), nodes coloured by state."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cm_common import InputError, RuntimeFailure, Template, atomic_write_bytes

from ._models import JobStatus, State

if TYPE_CHECKING:
    import pydot  # imported where a graph is drawn: checking and running without --graph need none

COLOURS = {
    State.READY: "white",
    State.SUBMITTED: "lightblue",
    State.RUNNING: "orange",
    State.DONE: "palegreen",
    State.FAILED: "tomato",
    State.SKIPPED: "lightgrey",
    State.CANCELLED: "grey",
    State.TIMEOUT: "violet",
}
FORMATS = ("svg", "png", "dot")


def _moment(value: float | None, fmt: str) -> str:
    return datetime.fromtimestamp(value).strftime(fmt) if value is not None else ""


def label_lookup(status: JobStatus, now: float | None = None) -> Callable[[str], Any]:
    """The values a label template may name: name, status, progress, host, kind, attempt, exit_code,
    message, elapsed (seconds), and times as ``{now.%H:%M}``, ``{started.%H:%M:%S}``, ``{ended.%H:%M}``."""
    values = {
        "name": status.name,
        "status": status.state.value,
        "progress": status.progress,
        "host": status.host or "localhost",
        "kind": status.kind,
        "attempt": status.attempt,
        "exit_code": "" if status.exit_code is None else status.exit_code,
        "message": status.message,
        "elapsed": "" if status.elapsed is None else f"{status.elapsed:.1f}",
    }
    times = {"now": now or time.time(), "started": status.started, "ended": status.ended}

    def lookup(path: str) -> Any:
        head, _, rest = path.partition(".")
        if head in times and rest:
            return _moment(times[head], rest)
        return values[path]

    return lookup


def check_labels(labels: Mapping[str, str], default: str, source: str) -> None:
    """Render every distinct label template once (naming the first job that has it), so an unknown
    placeholder stops the run before it starts."""
    first: dict[str, str] = {}
    for name, text in labels.items():
        first.setdefault(text or default, name)
    for text, name in first.items():
        sample = JobStatus(name, State.READY, started=0.0, ended=0.0)
        Template(text, f"{source}: label of {name}").render(label_lookup(sample))


def build(statuses: list[JobStatus], labels: Mapping[str, str], default: str = "{name}") -> pydot.Dot:
    """The graph of a run: one node per job, labelled from its template, filled by its state."""
    import pydot

    dot = pydot.Dot("workflow", graph_type="digraph", rankdir="TB")
    dot.set_node_defaults(shape="box", style="rounded,filled", fontname="Helvetica")
    compiled: dict[str, Template] = {}
    now = time.time()
    for status in statuses:
        text = labels.get(status.name) or default
        template = compiled.setdefault(text, Template(text, f"label of {status.name}"))
        label = template.render(label_lookup(status, now)).replace('"', "'")
        if (len(label) - len(label.rstrip("\\"))) % 2:  # a last lone backslash would escape the quote
            label += "\\"
        dot.add_node(pydot.Node(f'"{status.name}"', label=f'"{label}"', fillcolor=COLOURS[status.state]))
    for status in statuses:
        for need in status.needs:
            dot.add_edge(pydot.Edge(f'"{need}"', f'"{status.name}"'))
    return dot


def render(dot: pydot.Dot, path: Path) -> None:
    """Write ``dot`` to ``path`` as SVG, PNG or DOT (by its suffix), through a temp file and a rename."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise InputError(f"{path}: graph format {fmt!r} is not one of {', '.join(FORMATS)}")
    try:
        made = dot.to_string() if fmt == "dot" else dot.create(prog="dot", format=fmt)
    except (OSError, AssertionError) as error:
        raise RuntimeFailure(f"graphviz dot failed: {error}") from None
    data = made if isinstance(made, bytes) else made.encode()
    atomic_write_bytes(path, data, mode=0o644)  # a picture to share, not a secret


class GraphWriter:
    """Rewrites a run's graph file when something changed, at most once per ``interval`` seconds.

    Hand it to the engine as an ``on_event`` hook and run :meth:`follow` beside the engine.
    """

    def __init__(self, store: Any, run: str, path: Path, labels: Mapping[str, str], default: str) -> None:
        self.store, self.run, self.path = store, run, path
        self.labels, self.default = dict(labels), default
        self.interval = 1.0
        self._changed = asyncio.Event()
        self._lock = threading.Lock()  # read, render and write as one: the last writer shows the last states

    def __call__(self, event: object) -> None:
        """Note a change (called on the engine's loop)."""
        self._changed.set()

    def write(self) -> None:
        """Render the graph now from the stored states."""
        with self._lock:
            render(build(self.store.jobs(self.run), self.labels, self.default), self.path)

    async def follow(self) -> None:
        """Rewrite the file after each change until cancelled."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            await asyncio.to_thread(self.write)
            await asyncio.sleep(self.interval)
