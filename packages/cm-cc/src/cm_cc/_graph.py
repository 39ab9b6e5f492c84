"""The workflow graph as DOT, SVG or PNG (pydot + graphviz ``dot``), nodes coloured by state.

Labels are :mod:`._labels` templates; a job's ``shape`` and ``style`` and the workflow's
``colors: {status: {STATE: colour}}`` (cloudmesh-cc's fields) change how nodes are drawn.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cm_common import InputError, RuntimeFailure, Variables, atomic_write_bytes

from ._labels import Label, RunTimes
from ._models import Job, JobStatus, State, WorkflowSpec

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


@dataclass(frozen=True)
class Look:
    """How nodes are drawn beyond their label: shape and style per job, fill colour per state."""

    shapes: Mapping[str, str] = field(default_factory=dict)
    styles: Mapping[str, str] = field(default_factory=dict)
    colours: Mapping[str, str] = field(default_factory=dict)  # state value -> colour

    @classmethod
    def of(cls, spec: WorkflowSpec, jobs: Iterable[Job]) -> Look:
        """The shapes and styles the jobs ask for and the workflow's ``colors: {status: ...}``."""
        jobs = list(jobs)
        return cls(
            {job.name: job.shape for job in jobs if job.shape},
            {job.name: job.style or "filled" for job in jobs if job.style is not None},  # "" is filled
            dict(spec.colors.get("status", {})),
        )


def _variables() -> Callable[[], Mapping[str, str]]:
    """The ``cm set`` variables, read once on first use."""
    found: list[Mapping[str, str]] = []

    def get() -> Mapping[str, str]:
        if not found:
            found.append(dict(Variables()))
        return found[0]

    return get


def check_labels(labels: Mapping[str, str], default: str, source: str) -> None:
    """Render every distinct label template once (naming the first job that has it), so an unknown
    placeholder stops the run before it starts."""
    first: dict[str, str] = {}
    for name, text in labels.items():
        first.setdefault(text or default, name)
    variables = _variables()
    for text, name in first.items():
        sample = JobStatus(name, State.READY, started=0.0, ended=0.0)
        Label(text, f"{source}: label of {name}").render(sample, run=RunTimes(0.0, 0.0), variables=variables)


def build(
    statuses: list[JobStatus], labels: Mapping[str, str], default: str = "{name}", look: Look | None = None
) -> pydot.Dot:
    """The graph of a run: one node per job, labelled from its template, filled by its state."""
    import pydot

    look = look or Look()
    dot = pydot.Dot("workflow", graph_type="digraph", rankdir="TB")
    dot.set_node_defaults(shape="box", style="rounded,filled", fontname="Helvetica")
    compiled: dict[str, Label] = {}
    now = time.time()
    run = RunTimes.of(statuses)
    variables = _variables()
    for status in statuses:
        text = labels.get(status.name) or default
        template = compiled.setdefault(text, Label(text, f"label of {status.name}"))
        label = template.render(status, now=now, run=run, variables=variables).replace('"', "'")
        if (len(label) - len(label.rstrip("\\"))) % 2:  # a last lone backslash would escape the quote
            label += "\\"
        fill = look.colours.get(status.state.value, COLOURS[status.state])
        attributes: dict[str, Any] = {"fillcolor": fill}  # pydot quotes what needs it
        if status.name in look.shapes:
            attributes["shape"] = look.shapes[status.name]
        if status.name in look.styles:
            attributes["style"] = look.styles[status.name]
        dot.add_node(pydot.Node(f'"{status.name}"', label=f'"{label}"', **attributes))
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

    def __init__(
        self,
        store: Any,
        run: str,
        path: Path,
        labels: Mapping[str, str],
        default: str,
        look: Look | None = None,
    ) -> None:
        self.store, self.run, self.path = store, run, path
        self.labels, self.default, self.look = dict(labels), default, look
        self.interval = 1.0
        self._changed = asyncio.Event()
        self._lock = threading.Lock()  # read, render and write as one: the last writer shows the last states

    def __call__(self, event: object) -> None:
        """Note a change (called on the engine's loop)."""
        self._changed.set()

    def write(self) -> None:
        """Render the graph now from the stored states."""
        with self._lock:
            render(build(self.store.jobs(self.run), self.labels, self.default, self.look), self.path)

    async def follow(self) -> None:
        """Rewrite the file after each change until cancelled."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            await asyncio.to_thread(self.write)
            await asyncio.sleep(self.interval)
