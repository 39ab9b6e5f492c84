"""The sweep config's JSON Schema (docs/formats.md) agrees with the reader cm-sbatch runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from cm_common import InputError
from cm_sbatch._config import (
    META_FIELDS,
    META_SECTION,
    SWEEP_SECTIONS,
    build_spec,
    merge_configs,
    split_sweep,
)
from cm_sbatch._config_schema import SweepConfig, SweepSection

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CONFIGS = ["sweep/config.yaml", "sweep/ee-config.yaml", "earthquake/sweep.yaml", "hybrid/sweep.yaml"]
SCHEMA = SweepConfig.model_json_schema()


def read(data: dict[str, Any]) -> None:
    """What ``cm-sbatch generate`` does with a config up to the sweep: InputError if it is bad."""
    _, experiment, meta = split_sweep(merge_configs([data]))
    build_spec(experiment, meta)


def test_the_model_has_the_readers_sections_and_sweep_fields() -> None:
    assert set(SweepConfig.model_fields) == {*SWEEP_SECTIONS, META_SECTION}
    assert set(SweepSection.model_fields) == set(META_FIELDS)


@pytest.mark.parametrize("name", CONFIGS)
def test_the_example_configs_are_valid_for_both(name: str) -> None:
    data = yaml.safe_load((EXAMPLES / name).read_text())
    jsonschema.validate(data, SCHEMA)
    read(data)


@pytest.mark.parametrize(
    "data",
    [
        {"sweep": {"zipp": [["lr", "batch"]]}},
        {"sweep": {"repeat": 0}},
        {"experiment": {"lr": {"low": 0.1}}},
        {"experiment": {"lr": [[0.1, 0.2]]}},
        {"experiment": {"lr": [0.1]}, "sweep": {"zip": [[1, 2]]}},
    ],
)
def test_bad_configs_are_refused_by_both(data: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    with pytest.raises(InputError):
        read(data)
