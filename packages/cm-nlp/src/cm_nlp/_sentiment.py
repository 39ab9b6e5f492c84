"""Sentiment of one text or many: VADER offline by default, any sentiment provider by name."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ._calls import call_provider
from ._config import ProviderConfig, nlp_settings, resolve
from ._models import Scores, SentimentResult, label_of, now
from ._provider import SentimentAnalyzer
from ._registry import analyzer

Progress = Callable[[int], None]
_PROGRESS_EVERY = 500


def _score(chosen: SentimentAnalyzer, text: str, config: ProviderConfig) -> tuple[Scores, float]:
    if chosen.offline:
        started = time.perf_counter()
        scores = chosen.scores(text, config)
        return scores, time.perf_counter() - started
    return call_provider(lambda: chosen.scores(text, config), chosen.name, config)


def _result(chosen: SentimentAnalyzer, text: str, scores: Scores, seconds: float) -> SentimentResult:
    return SentimentResult(
        input=text,
        provider=chosen.name,
        label=label_of(scores.compound),
        compound=scores.compound,
        positive=scores.positive,
        negative=scores.negative,
        neutral=scores.neutral,
        date=now(),
        time=seconds,
        characters=len(text),
    )


def sentiment(text: str, *, provider: str | None = None) -> SentimentResult:
    """The sentiment of ``text``; ``provider`` defaults to ``nlp.sentiment`` in the settings (vader)."""
    return sentiment_many([text], provider=provider)[0]


def sentiment_many(
    texts: Sequence[str], *, provider: str | None = None, progress: Progress | None = None
) -> list[SentimentResult]:
    """The sentiment of each text, in order; ``progress`` gets the number done now and then."""
    settings = nlp_settings()
    chosen = analyzer(provider or settings.sentiment)
    config = resolve(chosen, settings)
    results: list[SentimentResult] = []
    for index, text in enumerate(texts, 1):
        scores, seconds = _score(chosen, text, config)
        results.append(_result(chosen, text, scores, seconds))
        if progress and (index % _PROGRESS_EVERY == 0 or index == len(texts)):
            progress(index)
    return results
