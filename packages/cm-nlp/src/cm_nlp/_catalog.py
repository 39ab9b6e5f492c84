"""The provider table that ``cm-nlp providers`` and ``GET /providers`` show."""

from __future__ import annotations

from typing import Any

from cm_common import InputError

from ._config import configured, env_name, nlp_settings
from ._registry import all_providers


def provider_records(kind: str | None = None) -> list[dict[str, Any]]:
    """Name, kind, whether a key is needed and set, and the settings of each provider (never a value)."""
    if kind not in (None, "translation", "sentiment"):
        raise InputError(f"kind: expected translation or sentiment, got {kind!r}")
    settings = nlp_settings()
    rows = []
    for found in all_providers():
        if kind and found.kind != kind:
            continue
        missing = found.requirement()
        names = [
            f"credentials.{found.name}.{s.key}" if s.secret else f"nlp.providers.{found.name}.{s.key}"
            for s in found.settings
        ]
        rows.append(
            {
                "name": found.name,
                "kind": found.kind,
                "needs_key": any(setting.secret and setting.required for setting in found.settings),
                "configured": missing is None and configured(found, settings),
                "description": found.description + (f"; needs {missing}" if missing else ""),
                "settings": ", ".join(names),
                "environment": ", ".join(env_name(found.name, s.key) for s in found.settings),
            }
        )
    return rows
