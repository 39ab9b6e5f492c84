"""Request bodies of the REST API; their limits keep one request's work bounded."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 5000  # the most characters deep-translator's providers take in one text
MAX_BATCH = 1000
MAX_CLOUD_TEXT = 500_000

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class TranslateRequest(BaseModel):
    """One text, or a batch of them, to translate."""

    model_config = ConfigDict(extra="forbid")

    text: Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_BATCH)]
    target: str = Field(default="en", max_length=40)
    source: str = Field(default="auto", max_length=40)
    provider: str | None = Field(default=None, max_length=40)
    cache: bool = True


class SentimentRequest(BaseModel):
    """One text, or a batch of them, to score."""

    model_config = ConfigDict(extra="forbid")

    text: Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_BATCH)]
    provider: str | None = Field(default=None, max_length=40)


class WordcloudRequest(BaseModel):
    """A text to draw as a word cloud."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_CLOUD_TEXT)
    width: int = Field(default=800, ge=16, le=2000)
    height: int = Field(default=400, ge=16, le=2000)
    max_words: int = Field(default=200, ge=1, le=2000)
    format: Literal["png", "svg"] = "png"
