"""The provider registry: entry points of the ``cm_nlp.providers`` group, loaded when asked for.

A distribution adds a provider with an entry point whose object is a :class:`Provider`;
loading one imports only its small module, never the library behind it.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from cm_common import RuntimeFailure

from ._errors import UnknownProvider
from ._models import Kind
from ._provider import Provider, SentimentAnalyzer, Translator

GROUP = "cm_nlp.providers"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


@cache
def _load(name: str) -> Provider:
    point = _entry_points()[name]
    try:
        loaded = point.load()
    except Exception as error:
        raise RuntimeFailure(f"provider {name!r} ({point.value}) failed to load: {error}") from None
    if not isinstance(loaded, Provider):
        raise RuntimeFailure(f"provider {name!r} ({point.value}) is not a cm_nlp Provider")
    return loaded


def provider_names(kind: Kind | None = None) -> list[str]:
    """The names of the installed providers (of one kind), sorted."""
    return sorted(name for name in _entry_points() if kind is None or _load(name).kind == kind)


def all_providers() -> list[Provider]:
    """Every installed provider, sorted by name."""
    return [_load(name) for name in provider_names()]


def get_provider(name: str, kind: Kind | None = None) -> Provider:
    """The provider ``name``; UnknownProvider lists the valid names (of that kind)."""
    if name not in _entry_points() or (kind is not None and _load(name).kind != kind):
        raise UnknownProvider(name, provider_names(kind), kind or "")
    return _load(name)


def translator(name: str) -> Translator:
    """The translation provider ``name``."""
    found = get_provider(name, "translation")
    assert isinstance(found, Translator)
    return found


def analyzer(name: str) -> SentimentAnalyzer:
    """The sentiment provider ``name``."""
    found = get_provider(name, "sentiment")
    assert isinstance(found, SentimentAnalyzer)
    return found
