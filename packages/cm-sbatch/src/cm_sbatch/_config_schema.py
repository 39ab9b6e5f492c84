"""The sweep config file format as a pydantic model, for its JSON Schema (docs/formats.md).

cm-sbatch reads configs with :mod:`._config` (no pydantic on that path, to keep commands fast);
this model mirrors what that reader accepts. The tests check that the two agree: the same
sections and ``sweep:`` fields, the example configs valid for both, bad ones refused by both.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool | None
# A list of values, a text in the cloudmesh comma and range forms ("0.1,0.01", "[1-3]"), or one value.
SweepValues = list[Scalar] | Scalar
# A rule ("lr == 0.1 and epoch > 1"), a mapping whose every key equals its value, or a list of them.
Rules = str | dict[str, Scalar] | list[str | dict[str, Scalar]]


class SweepSection(BaseModel):
    """The ``sweep:`` section: how the swept keys combine."""

    model_config = ConfigDict(extra="forbid")

    zip: list[str] | list[list[str]] = Field(
        default=[], description="sweep keys that vary together: one group, or a list of groups"
    )
    include: Rules = Field(default=[], description="if given, keep only experiments where one rule holds")
    exclude: Rules = Field(default=[], description="drop experiments where any rule holds")
    repeat: int = Field(default=1, ge=1, description="each combination this many times (sweep key repeat)")


class SweepConfig(BaseModel):
    """A sweep config file (YAML or JSON): the swept keys, how they combine, and free attributes.

    Every other top-level key is an attribute templates use as ``{section.key}``.
    """

    model_config = ConfigDict(extra="allow", title="cm-sbatch sweep config")

    experiment: dict[str, SweepValues] | None = Field(
        default=None, description="the swept keys and their values: every combination is one experiment"
    )
    experiments: dict[str, SweepValues] | None = Field(default=None, description="the same as experiment")
    sweep: SweepSection | None = None


__all__ = ["SweepConfig", "SweepSection"]
