"""The live terminal view of a run: counts per state and a bar per running job (rich)."""

from __future__ import annotations

from collections import Counter

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ._models import Event, State

_STYLE = {"done": "green", "failed": "red", "timeout": "magenta", "running": "yellow", "skipped": "dim"}


class LiveView:
    """Keeps the state of every job from engine events; rich renders it (``Live(view)``)."""

    def __init__(self, jobs: dict[str, State], shown: int = 12) -> None:
        self.states = {name: state.value for name, state in jobs.items()}
        self.progress: dict[str, int] = {}
        self.shown = shown

    def __call__(self, event: Event) -> None:
        """Take one engine event."""
        if event.job is None:
            return
        self.states[event.job] = event.state
        if event.progress is not None:
            self.progress[event.job] = event.progress

    def __rich__(self) -> RenderableType:
        counts = Counter(self.states.values())
        summary = Text("  ").join(
            Text(f"{state.value} {counts[state.value]}", style=_STYLE.get(state.value, ""))
            for state in State
            if counts[state.value]
        )
        bars = Table.grid(padding=(0, 1))
        running = [name for name, state in self.states.items() if state in ("running", "submitted")]
        for name in running[: self.shown]:
            bars.add_row(name, ProgressBar(total=100, completed=self.progress.get(name, 0), width=30))
        if len(running) > self.shown:
            bars.add_row(f"... {len(running) - self.shown} more running", "")
        return Group(summary, bars)
