"""Properties of every sweep: count = product, placeholders resolved or named, deterministic output."""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cm_common import InputError
from cm_sbatch import Experiment
from cm_sbatch._naming import segment

KEYS = ["epoch", "lr", "gpu", "seed"]
scalars = st.one_of(
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    # text that does not read as a range ("1-3" in a list is the cloudmesh range)
    st.text(alphabet="abcxyz019_-", min_size=1, max_size=6).filter(
        lambda t: not re.match(r"^-?\d+--?\d+$", t)
    ),
)
sweeps = st.dictionaries(
    st.sampled_from(KEYS),
    st.lists(scalars, min_size=1, max_size=4, unique_by=lambda v: (type(v), v)),
    min_size=1,
    max_size=4,
)


def _distinct_names(values: dict[str, list[object]]) -> bool:
    """True when no two values of one key sanitise to the same folder name."""
    return all(len({segment(key, v) for v in items}) == len(items) for key, items in values.items())


@given(sweeps)
@settings(max_examples=60, deadline=None)
def test_count_is_the_product_of_value_counts(values: dict[str, list[object]]) -> None:
    try:
        exp = Experiment("t.in.sh", [{"experiment": values}], text="x")
    except InputError as error:  # two values that would share a folder are refused, never merged
        assert "would share the folder" in str(error) and not _distinct_names(values)
        return
    expected = math.prod(len(items) for items in values.values())
    runs = list(exp)
    assert len(exp) == len(runs) == expected
    assert len({run.id for run in runs}) == expected == len({run.directory for run in runs})


ATTRIBUTES = {"data": {"root": "/r", "train": "{data.root}/t"}, "name": "demo"}
KNOWN = {"epoch": "3", "experiment.epoch": "3", "data.root": "/r", "data.train": "/r/t", "name": "demo"}
UNKNOWN = ["nope", "data.missing", "experiment.nothing", "os.CM_SURELY_UNSET_VAR"]
lines = st.lists(
    st.lists(st.sampled_from([*KNOWN, *UNKNOWN, "${HOME}", "plain text", "$x"]), max_size=4),
    min_size=1,
    max_size=6,
)


@given(lines)
@settings(max_examples=100, deadline=None)
def test_every_placeholder_is_resolved_or_reported(template: list[list[str]]) -> None:
    def token(word: str) -> str:
        return word if not re.fullmatch(r"[\w.]+", word) or word == "plain text" else f"{{{word}}}"

    text = "\n".join(" ".join(token(word) for word in line) for line in template) + "\n"
    missing = [
        f"t.in.sh:{number}: {{{word}}}"
        for number, line in enumerate(template, 1)
        for word in line
        if word in UNKNOWN
    ]
    config = {**ATTRIBUTES, "experiment": {"epoch": [3]}}
    if missing:
        with pytest.raises(InputError) as raised:
            Experiment("t.in.sh", [config], text=text, env={})
        assert all(item in str(raised.value) for item in missing)
        return
    rendered = Experiment("t.in.sh", [config], text=text, env={}).render(0)
    expected = "\n".join(" ".join(KNOWN.get(word, word) for word in line) for line in template) + "\n"
    assert rendered == expected


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
    }


@given(sweeps, st.sampled_from(["hierarchical", "flat"]))
@settings(max_examples=25, deadline=None)
def test_generation_is_deterministic(values: dict[str, list[object]], layout: str) -> None:
    assume(_distinct_names(values))  # sweeps whose folders would clash are refused (tested above)
    config = {**ATTRIBUTES, "experiment": values}
    text = "#SBATCH --job-name={cm.id}\necho " + " ".join(f"{{{key}}}" for key in values) + " {data.train}\n"
    with tempfile.TemporaryDirectory() as tmp:
        trees = []
        for name in ("a", "b"):
            Experiment("t.in.sh", [config], text=text, layout=layout).generate(Path(tmp) / name)  # type: ignore[arg-type]
            trees.append(_tree(Path(tmp) / name))
        assert trees[0] == trees[1]
        assert len([key for key in trees[0] if key.endswith("config.yaml")]) == math.prod(
            map(len, values.values())
        )
