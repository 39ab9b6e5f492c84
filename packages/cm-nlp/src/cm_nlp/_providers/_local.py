"""``local``: offline translation with argos-translate, where it and its language packages are installed.

argos-translate pulls in stanza and torch, so it is not a dependency of cm-nlp: it is imported
here only when the provider is used.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._config import ProviderConfig
from .._errors import NotInstalled, ProviderError
from .._provider import Translator

INSTALL = "pip install argostranslate"
PACKAGE = "argospm update && argospm install translate-{source}_{target}"


def _argos() -> Any:
    try:
        import argostranslate.translate as argos  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise NotInstalled(
            f"local translation needs argos-translate: {INSTALL}, then a language package, "
            f"e.g. {PACKAGE.format(source='en', target='de')}"
        ) from None
    return argos


@dataclass(frozen=True, kw_only=True)
class ArgosTranslator(Translator):
    """Translation with the argos-translate language packages installed on this machine."""

    def requirement(self) -> str | None:
        return None if importlib.util.find_spec("argostranslate") else f"argos-translate ({INSTALL})"

    def languages(self) -> Mapping[str, str] | None:
        installed = _argos().get_installed_languages()
        if not installed:
            raise NotInstalled(
                "local: no argos-translate language package is installed; install one, e.g. "
                + PACKAGE.format(source="en", target="de")
            )
        return {language.name: language.code for language in installed}

    def translate(self, text: str, source: str, target: str, config: ProviderConfig) -> str:
        languages = {language.code: language for language in _argos().get_installed_languages()}
        if source == "auto":
            raise NotInstalled("local: name the source language (--from); argos-translate does not detect it")
        pair = languages[source].get_translation(languages[target]) if source in languages else None
        if target not in languages or pair is None:
            raise NotInstalled(
                f"local: no language package from {source} to {target}; install it: "
                + PACKAGE.format(source=source, target=target)
            )
        try:
            return str(pair.translate(text))
        except Exception as error:
            raise ProviderError(f"local: {type(error).__name__}: {error}") from None


local = ArgosTranslator(
    name="local",
    description="argos-translate, offline (language packages installed here)",
    offline=True,
    auto_source=False,
)
