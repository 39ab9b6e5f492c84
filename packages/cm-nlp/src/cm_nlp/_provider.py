"""What a provider is: a named piece of NLP work (translation or sentiment) with its settings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from ._config import ProviderConfig
from ._errors import UnknownLanguage
from ._models import Kind, Scores


@dataclass(frozen=True)
class Setting:
    """One setting a provider reads when it is used: an API key (``secret``), a region, an endpoint."""

    key: str
    help: str
    secret: bool = True
    required: bool = True


@dataclass(frozen=True, kw_only=True)
class Provider(ABC):
    """Base of every provider. ``offline`` ones run here and need no timeout or rate limit."""

    kind: ClassVar[Kind]
    name: str
    description: str
    settings: tuple[Setting, ...] = ()
    concurrency: int = 4
    rate: float | None = None
    offline: bool = False

    def requirement(self) -> str | None:
        """What is missing for this provider to work at all (a package), or None."""
        return None


@dataclass(frozen=True, kw_only=True)
class Translator(Provider):
    """A translation provider."""

    kind: ClassVar[Kind] = "translation"
    auto_source: bool = True

    def languages(self) -> Mapping[str, str] | None:
        """Language names to codes, or None when only the provider itself can tell."""
        return None

    def code(self, language: str, *, source: bool) -> str:
        """The provider's code for a language name or code; UnknownLanguage lists the valid codes."""
        wanted = language.strip()
        if source and wanted == "auto" and self.auto_source:
            return "auto"
        known = self.languages()
        if known is None:
            return wanted
        codes = {code.lower(): code for code in known.values()}
        names = {name.lower(): code for name, code in known.items()}
        found = codes.get(wanted.lower()) or names.get(wanted.lower())
        if found is None:
            raise UnknownLanguage(self.name, language, [*known.values(), *(["auto"] if source else [])])
        return found

    @abstractmethod
    def translate(self, text: str, source: str, target: str, config: ProviderConfig) -> str:
        """Translate ``text``; raise ProviderError (transient or not) when the provider fails."""


@dataclass(frozen=True, kw_only=True)
class SentimentAnalyzer(Provider):
    """A sentiment provider."""

    kind: ClassVar[Kind] = "sentiment"

    @abstractmethod
    def scores(self, text: str, config: ProviderConfig) -> Scores:
        """The sentiment scores of ``text``."""
