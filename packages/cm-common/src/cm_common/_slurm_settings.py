"""The ``slurm:`` section of the settings file: how patiently and how politely cm talks to Slurm."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ._settings import load_settings


class SlurmSettings(BaseModel):
    """Limits of every Slurm command cm runs (``slurm:`` in ``$CM_HOME/settings.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float = Field(30.0, gt=0, description="seconds one Slurm command may take")
    retries: int = Field(3, ge=0, description="tries after the first when the controller does not answer")
    backoff: float = Field(1.0, ge=0, description="seconds before the first retry; doubles with each")
    batch: int = Field(200, ge=1, le=5000, description="job ids named in one query")


def load_slurm_settings() -> SlurmSettings:
    """The ``slurm:`` section of the settings (defaults when absent); InputError names a bad field."""
    return load_settings().section("slurm", SlurmSettings)
