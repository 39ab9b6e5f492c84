"""CM_HOME and the settings file ``$CM_HOME/settings.yaml``, with ``CM_*`` environment overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from ._errors import InputError
from ._files import load_yaml
from ._home import settings_path
from ._output import OutputFormat

M = TypeVar("M", bound=BaseModel)


class Settings(BaseModel):
    """Settings shared by every cm package.

    Package sections (``sbatch:``, ``cc:``, ...) are kept as extra keys and validated by
    the package that owns them through :meth:`section`.
    """

    model_config = ConfigDict(extra="allow")

    output: OutputFormat = "table"
    debug: bool = False
    credentials: dict[str, dict[str, SecretStr]] = {}

    def section(self, name: str, model: type[M]) -> M:
        """Validate the package section ``name`` against ``model`` (empty when absent)."""
        raw = (self.model_extra or {}).get(name) or {}
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            raise InputError(f"{settings_path()}: {_first_problem(error, prefix=name)}") from None

    def credential(self, provider: str, key: str) -> str:
        """The secret ``key`` of ``provider``; an InputError names what is missing."""
        try:
            return self.credentials[provider][key].get_secret_value()
        except KeyError:
            raise InputError(
                f"{settings_path()}: no credential {provider}.{key} (set credentials.{provider}.{key})"
            ) from None


def _first_problem(error: ValidationError, prefix: str = "") -> str:
    problem = error.errors()[0]
    field = ".".join(str(part) for part in (prefix, *problem["loc"]) if part != "")
    value = problem.get("input")
    shown = f" (value {value!r})" if not isinstance(value, dict | list) and value is not None else ""
    return f"field {field or '<root>'}: {problem['msg']}{shown}"


def _env_overrides() -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for name in Settings.model_fields:
        value = os.environ.get(f"CM_{name.upper()}")
        if value is not None and name != "credentials":
            overrides[name] = value
    return overrides


def load_settings(path: Path | None = None) -> Settings:
    """Load and validate the settings file, then apply ``CM_<FIELD>`` environment overrides.

    A missing file gives the defaults; a malformed one raises an InputError naming the file.
    """
    file = path or settings_path()
    data: Any = load_yaml(file) if file.exists() else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{file}: expected a mapping at the top, found {type(data).__name__}")
    data.update(_env_overrides())
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise InputError(f"{file}: {_first_problem(error)}") from None
