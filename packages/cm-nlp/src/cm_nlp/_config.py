"""The ``nlp:`` section of the cm settings and each provider's keys, read when the provider is used.

A secret ``key`` of provider ``name`` comes from ``CM_NLP_<NAME>_<KEY>`` in the environment,
else ``credentials.<name>.<key>`` in ``$CM_HOME/settings.yaml``; any other setting (region,
endpoint, ...) from ``CM_NLP_<NAME>_<KEY>``, else ``nlp.providers.<name>.<key>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from cm_common import load_settings, settings_path

from ._errors import MissingSetting

if TYPE_CHECKING:
    from ._provider import Provider


class ProviderSettings(BaseModel):
    """Settings of one provider under ``nlp.providers.<name>``; other keys are its own options."""

    model_config = ConfigDict(extra="allow")

    timeout: float | None = Field(default=None, gt=0)
    retries: int | None = Field(default=None, ge=0, le=10)
    concurrency: int | None = Field(default=None, ge=1, le=64)
    rate: float | None = Field(default=None, gt=0, description="calls per second at most")


class NlpSettings(BaseModel):
    """The ``nlp:`` section of the settings."""

    model_config = ConfigDict(extra="forbid")

    provider: str = "google"
    sentiment: str = "vader"
    timeout: float = Field(default=10.0, gt=0, description="seconds a provider call may take")
    retries: int = Field(default=2, ge=0, le=10, description="retries of a transient failure")
    backoff: float = Field(default=0.5, ge=0, description="first retry delay, doubled each time")
    cache: bool = True
    providers: dict[str, ProviderSettings] = {}


def nlp_settings() -> NlpSettings:
    """The validated ``nlp:`` section (defaults when there is none)."""
    return load_settings().section("nlp", NlpSettings)


@dataclass(frozen=True)
class ProviderConfig:
    """What one provider call needs: its values (keys, region, ...) and the call policy."""

    values: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5
    concurrency: int = 4
    rate: float | None = None


def env_name(provider: str, key: str) -> str:
    """The environment variable of a provider setting: ``CM_NLP_LIBRE_API_KEY``."""
    return f"CM_NLP_{provider}_{key}".upper().replace("-", "_")


def _lookup(provider: Provider, key: str, secret: bool, own: ProviderSettings | None) -> str | None:
    value = os.environ.get(env_name(provider.name, key))
    if value:
        return value
    if secret:
        stored = load_settings().credentials.get(provider.name, {}).get(key)
        return stored.get_secret_value() if stored else None
    extra = (own.model_extra or {}) if own else {}
    found = extra.get(key)
    return None if found is None else str(found)


def where(provider: str, key: str, secret: bool) -> str:
    """Where a user sets a provider setting, for error messages and ``cm-nlp providers``."""
    place = f"credentials.{provider}.{key}" if secret else f"nlp.providers.{provider}.{key}"
    return f"{place} in {settings_path()} or {env_name(provider, key)}"


def resolve(provider: Provider, settings: NlpSettings | None = None) -> ProviderConfig:
    """The provider's values and call policy; a MissingSetting names a required key that is not set."""
    nlp = settings or nlp_settings()
    own = nlp.providers.get(provider.name)
    values: dict[str, str] = {}
    for setting in provider.settings:
        value = _lookup(provider, setting.key, setting.secret, own)
        if value is not None:
            values[setting.key] = value
        elif setting.required:
            place = where(provider.name, setting.key, setting.secret)
            raise MissingSetting(f"{provider.name} needs {setting.help}: set {place}")
    return ProviderConfig(
        values=values,
        timeout=(own.timeout if own and own.timeout else nlp.timeout),
        retries=(own.retries if own and own.retries is not None else nlp.retries),
        backoff=nlp.backoff,
        concurrency=(own.concurrency if own and own.concurrency else provider.concurrency),
        rate=(own.rate if own and own.rate else provider.rate),
    )


def configured(provider: Provider, settings: NlpSettings) -> bool:
    """True when every required setting of the provider is set (values are not shown)."""
    try:
        resolve(provider, settings)
    except MissingSetting:
        return False
    return True
