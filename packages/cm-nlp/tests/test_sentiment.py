"""Sentiment with VADER, for real (its lexicon ships in the vaderSentiment wheel)."""

from __future__ import annotations

from datetime import datetime

import pytest

import cm_nlp
from cm_nlp import UnknownProvider


def test_labels_follow_the_compound_score() -> None:
    results = cm_nlp.sentiment_many(
        ["I love this, it is wonderful!", "This is awful and I hate it.", "The table is brown."]
    )
    assert [r.label for r in results] == ["positive", "negative", "neutral"]
    assert results[0].compound > 0.5 > -0.5 > results[1].compound
    assert results[2].compound == 0.0
    for result in results:
        assert result.provider == "vader"
        assert abs(result.positive + result.negative + result.neutral - 1) < 0.01
        assert result.characters == len(result.input)
        assert datetime.fromisoformat(result.record()["date"]).utcoffset() is not None


def test_one_text() -> None:
    result = cm_nlp.sentiment("not bad at all :)")
    assert result.label == "positive" and result.input == "not bad at all :)"


def test_progress_reaches_the_end() -> None:
    seen: list[int] = []
    cm_nlp.sentiment_many(["good"] * 1200, progress=seen.append)
    assert seen[-1] == 1200 and seen[0] == 500


def test_unknown_sentiment_provider_lists_vader() -> None:
    with pytest.raises(UnknownProvider, match="valid: vader"):
        cm_nlp.sentiment("x", provider="google")
