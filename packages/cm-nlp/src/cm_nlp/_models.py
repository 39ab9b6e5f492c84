"""The records cm-nlp returns: one per translation, sentiment or failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr

Kind = Literal["translation", "sentiment"]
Label = Literal["positive", "negative", "neutral"]


def now() -> datetime:
    """The current time with the local time zone (ISO 8601 with an offset once dumped)."""
    return datetime.now().astimezone()


class TranslationResult(BaseModel):
    """One translation, with the keys of the cloudmesh-nlp record.

    ``time`` is the seconds of the provider call alone; a result from the cache keeps the
    ``date`` and ``time`` of the call that made it and has ``cached`` true.
    """

    model_config = ConfigDict(frozen=True)

    input: str
    input_language: str
    output: str
    output_language: str
    provider: str
    date: datetime
    time: float
    characters: int
    cached: bool = False

    def record(self) -> dict[str, Any]:
        """The result as a plain dict (the date as an ISO 8601 string)."""
        return self.model_dump(mode="json")


class Failure(BaseModel):
    """One item of a batch that failed; the rest of the batch goes on."""

    model_config = ConfigDict(frozen=True)

    index: int
    input: str
    provider: str
    error: str
    timeout: bool = False
    _cause: Exception | None = PrivateAttr(default=None)

    def raise_error(self) -> None:
        """Raise the error this item failed with."""
        if self._cause is not None:
            raise self._cause
        raise RuntimeError(self.error)

    def record(self) -> dict[str, Any]:
        """The failure as a plain dict."""
        return self.model_dump(mode="json")


class SentimentResult(BaseModel):
    """The sentiment of one text: VADER-style scores and a label from the compound score."""

    model_config = ConfigDict(frozen=True)

    input: str
    provider: str
    label: Label
    compound: float
    positive: float
    negative: float
    neutral: float
    date: datetime
    time: float
    characters: int

    def record(self) -> dict[str, Any]:
        """The result as a plain dict (the date as an ISO 8601 string)."""
        return self.model_dump(mode="json")


class Scores(BaseModel):
    """What a sentiment provider returns: compound in [-1, 1] and the three proportions."""

    compound: float
    positive: float
    negative: float
    neutral: float


def label_of(compound: float) -> Label:
    """VADER's usual thresholds: >= 0.05 positive, <= -0.05 negative, else neutral."""
    if compound >= 0.05:
        return "positive"
    if compound <= -0.05:
        return "negative"
    return "neutral"
