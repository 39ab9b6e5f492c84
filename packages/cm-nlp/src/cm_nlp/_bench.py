"""Latency of providers side by side: every call timed, none from the cache."""

from __future__ import annotations

import io
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cm_common import CmError, InputError, RuntimeFailure

from ._config import nlp_settings, resolve
from ._registry import translator
from ._translate import call_once


@dataclass
class Latency:
    """The call times of one provider (seconds) and its failures."""

    provider: str
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self) -> dict[str, object]:
        """min, median and max in seconds (None when no call worked), calls and failures."""
        times = self.seconds
        return {
            "provider": self.provider,
            "calls": len(times) + len(self.errors),
            "failed": len(self.errors),
            "min": round(min(times), 4) if times else None,
            "median": round(statistics.median(times), 4) if times else None,
            "max": round(max(times), 4) if times else None,
            "error": self.errors[-1] if self.errors else "",
        }


def benchmark(
    providers: Sequence[str],
    text: str,
    *,
    target: str,
    source: str = "auto",
    repeat: int = 5,
    progress: Callable[[int], None] | None = None,
) -> list[Latency]:
    """Translate ``text`` ``repeat`` times with each provider, in turn; the cache is not used.

    Bad input (an unknown provider or language, missing keys) fails before any call.
    """
    if repeat < 1:
        raise InputError(f"--repeat: expected at least 1, got {repeat}")
    settings = nlp_settings()
    prepared = []
    for name in providers:
        chosen = translator(name)
        config = resolve(chosen, settings)
        prepared.append((chosen, config, chosen.code(source, source=True), chosen.code(target, source=False)))
    results = []
    done = 0
    for chosen, config, src, tgt in prepared:
        latency = Latency(chosen.name)
        for _ in range(repeat):
            try:
                latency.seconds.append(call_once(chosen, text, src, tgt, config).time)
            except CmError as error:
                latency.errors.append(error.message)
            done += 1
            if progress:
                progress(done)
        results.append(latency)
    return results


def latency_png(results: Sequence[Latency], *, title: str = "provider latency") -> bytes:
    """A box plot (PNG) of each provider's call times."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = [result for result in results if result.seconds]
    if not shown:
        raise RuntimeFailure("no provider call worked: nothing to plot")
    figure = Figure(figsize=(max(4.0, 1.5 * len(shown) + 2), 4), layout="tight")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.boxplot([result.seconds for result in shown], tick_labels=[result.provider for result in shown])
    axes.set_ylabel("seconds per call")
    axes.set_title(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
