"""``vader``: offline sentiment with VADER (its lexicon ships in the vaderSentiment wheel)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .._config import ProviderConfig
from .._models import Scores
from .._provider import SentimentAnalyzer


@dataclass(frozen=True, kw_only=True)
class Vader(SentimentAnalyzer):
    """VADER's rule-based sentiment; the analyzer (and its lexicon) is loaded on first use."""

    _state: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _analyzer(self) -> Any:
        with self._lock:
            if "analyzer" not in self._state:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                self._state["analyzer"] = SentimentIntensityAnalyzer()
            return self._state["analyzer"]

    def scores(self, text: str, config: ProviderConfig) -> Scores:
        found = self._analyzer().polarity_scores(text)
        return Scores(
            compound=found["compound"], positive=found["pos"], negative=found["neg"], neutral=found["neu"]
        )


vader = Vader(name="vader", description="VADER rule-based sentiment, offline", offline=True)
