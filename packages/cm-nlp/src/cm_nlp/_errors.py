"""The errors of cm-nlp: bad input (exit 2, HTTP 400) and provider failures (exit 1, HTTP 502/504)."""

from __future__ import annotations

from collections.abc import Iterable

from cm_common import InputError, RuntimeFailure


def _listed(values: Iterable[str], limit: int = 200) -> str:
    names = sorted(set(values))
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


class UnknownProvider(InputError):
    """No provider of that name (and kind); the message lists the valid ones."""

    def __init__(self, name: str, valid: Iterable[str], kind: str = "") -> None:
        what = f"{kind} provider" if kind else "provider"
        super().__init__(f"unknown {what} {name!r}; valid: {_listed(valid)}")


class UnknownLanguage(InputError):
    """A language the provider does not offer; the message lists the valid codes."""

    def __init__(self, provider: str, language: str, valid: Iterable[str]) -> None:
        codes = list(valid)
        known = f"valid: {_listed(codes)}" if codes else "the provider does not offer it"
        super().__init__(f"{provider}: unknown language {language!r}; {known}")


class MissingSetting(InputError):
    """A provider needs a key or setting that is not set; the message names where to set it."""


class NotInstalled(InputError):
    """A provider needs a package (or language package) that is not installed; the message says how."""


class ProviderError(RuntimeFailure):
    """The provider failed. ``transient`` errors (5xx, 429, connection) are worth a retry."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class ProviderTimeout(ProviderError):
    """The provider gave no answer within the timeout."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)
