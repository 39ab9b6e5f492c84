"""cloudmesh-ee and cloudmesh-sbatch users' own files: values kept as written, their template forms,
their config kinds, and the folders cloudmesh-ee 5.0.5 makes from the same files."""

from __future__ import annotations

import itertools
import json
import re
import shlex
import uuid
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sbatch_helpers import cli

from cm_common import InputError, Variables
from cm_sbatch import Experiment
from cm_sbatch._render import random_uuids

# A cloudmesh-ee config and template as its users write them (the ee: section, system.host,
# experiment.directive, the comma and range forms, quoted texts that look like numbers).
EE_TEMPLATE = (
    "#!/bin/bash\n"
    "#SBATCH --job-name={ee.identifier}\n"
    "#SBATCH --time={ee.time}\n"
    'echo "python {experiment.python} lr {experiment.lr} epoch {experiment.epoch}'
    ' seed {experiment.seed} on {system.host}"\n'
)
EE_CONFIG = """ee:
  time: "00:10:00"
system:
  host: ubuntu
experiment:
  directive: ubuntu
  python: "3.10,3.9"
  lr: "0.00005,1e3"
  epoch: "[1-2]"
  seed: "007"
"""
# What `cms ee generate --source=slurm.in.sh --config=config.yaml --name=ref --noos
# --output_dir=out` (cloudmesh-ee 5.0.5, --mode h by default) wrote for EE_CONFIG, listed once
# with `find out -type f | sort` and kept here so the comparison runs without the reference.
REFERENCE_FILES = [
    f"{experiment}/{name}"
    for experiment in [
        "directive_ubuntu_python_3.10_lr_0.00005_epoch_1_seed_007",
        "directive_ubuntu_python_3.10_lr_0.00005_epoch_2_seed_007",
        "directive_ubuntu_python_3.10_lr_1e3_epoch_1_seed_007",
        "directive_ubuntu_python_3.10_lr_1e3_epoch_2_seed_007",
        "directive_ubuntu_python_3.9_lr_0.00005_epoch_1_seed_007",
        "directive_ubuntu_python_3.9_lr_0.00005_epoch_2_seed_007",
        "directive_ubuntu_python_3.9_lr_1e3_epoch_1_seed_007",
        "directive_ubuntu_python_3.9_lr_1e3_epoch_2_seed_007",
    ]
    for name in ("config.yaml", "slurm.sh")
]
# Its first slurm.sh, as written.
REFERENCE_FIRST_SCRIPT = """#!/bin/bash
#SBATCH --job-name=directive_ubuntu_python_3.10_lr_0.00005_epoch_1_seed_007
#SBATCH --time=00:10:00
echo "python 3.10 lr 0.00005 epoch 1 seed 007 on ubuntu"
"""
# Its run with --experiment="directive=ubuntu epoch=[1-2] python=3.10,3.9": the option's keys, in its order.
REFERENCE_CLI_IDS = [
    "directive_ubuntu_epoch_1_python_3.10",
    "directive_ubuntu_epoch_1_python_3.9",
    "directive_ubuntu_epoch_2_python_3.10",
    "directive_ubuntu_epoch_2_python_3.9",
]


@pytest.fixture
def ee_dir(tmp_path: Path) -> Path:
    (tmp_path / "slurm.in.sh").write_text(EE_TEMPLATE)
    (tmp_path / "config.yaml").write_text(EE_CONFIG)
    return tmp_path


def _files(out: Path) -> list[str]:
    skip = {"manifest.jsonl", "submit.sh"}
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name not in skip)


def test_the_folders_are_the_ones_cloudmesh_ee_makes(ee_dir: Path) -> None:
    result = cli("generate", "slurm.in.sh", "--config", "config.yaml", "--out", "out", cwd=ee_dir)
    assert result.returncode == 0, result.stderr
    assert _files(ee_dir / "out") == REFERENCE_FILES
    first = ee_dir / "out" / REFERENCE_FILES[1]
    assert first.read_text() == REFERENCE_FIRST_SCRIPT
    mode = cli("generate", "slurm.in.sh", "-c", "config.yaml", "--out", "h", "--mode", "h", cwd=ee_dir)
    assert mode.returncode == 0, mode.stderr
    assert _files(ee_dir / "h") == REFERENCE_FILES


def test_experiment_option_keys_come_in_its_order(ee_dir: Path) -> None:
    exp = Experiment(
        ee_dir / "slurm.in.sh",
        [ee_dir / "config.yaml"],
        experiment="directive=ubuntu epoch=[1-2] python=3.10,3.9",
    )
    # the config's other keys follow (cloudmesh-ee drops them and leaves their placeholders as text)
    suffix = "_lr_0.00005_seed_007"
    assert [run.id for run in exp][::2] == [name + suffix for name in REFERENCE_CLI_IDS]


def test_values_stay_as_written_in_script_id_folder_config_and_manifest(tmp_path: Path) -> None:
    config = {"experiment": {"python": "3.10,3.9", "seed": "007", "lr": "0.00005", "n": "1e3", "ok": "True"}}
    exp = Experiment("run.in.sh", [config], text="echo {python} {seed} {lr} {n} {ok}\n", layout="flat")
    run = next(iter(exp))
    assert run.id == "python_3.10_seed_007_lr_0.00005_n_1e3_ok_True"
    assert exp.render(0) == "echo 3.10 007 0.00005 1e3 True\n"
    assert exp.config(0)["experiment"] == {
        "python": "3.10",
        "seed": "007",
        "lr": "0.00005",
        "n": "1e3",
        "ok": "True",
    }
    exp.generate(tmp_path / "out")
    line = (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()[0]
    assert (
        '"parameters": {"python": "3.10", "seed": "007", "lr": "0.00005", "n": "1e3", "ok": "True"}' in line
    )
    assert (tmp_path / "out" / "python_3.9_seed_007_lr_0.00005_n_1e3_ok_True" / "run.sh").exists()


def test_a_yaml_number_keeps_the_yaml_spelling(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "experiment:\n  lr: [0.10, 0.01]\n  big: 1.0e+3\n  flag: [True, false]\n"
    )
    exp = Experiment("t.in.sh", [tmp_path / "c.yaml"], text="{lr} {big} {flag}\n", layout="flat")
    assert exp.render(0) == "0.10 1.0e+3 True\n"
    assert next(iter(exp)).id == "lr_0.10_big_1.0e+3_flag_True"
    exp.generate(tmp_path / "out")
    line = (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()[0]
    assert '"parameters": {"lr": 0.10, "big": 1.0e+3, "flag": true}' in line
    config = (tmp_path / "out" / "lr_0.10_big_1.0e+3_flag_True" / "config.yaml").read_text()
    assert "experiment:\n  lr: 0.10\n  big: 1.0e+3\n  flag: True\n" in config


def test_set_and_experiment_options_keep_the_text() -> None:
    exp = Experiment(
        "t.in.sh",
        [{"data": {"lr": 1}, "experiment": {"x": [1]}}],
        overrides=["data.lr=0.00005", "experiment.v=3.10,3.9"],
        experiment=["seed=007,1e3"],
        text="{data.lr} {v} {seed}\n",
    )
    assert exp.render(0) == "0.00005 3.10 007\n"
    assert [run.parameters for run in exp][-1] == {"seed": "1e3", "x": 1, "v": "3.9"}


def test_only_rules_read_numbers() -> None:
    config = {
        "experiment": {"python": "3.10,3.9,3.8", "seed": "007,008"},
        "sweep": {"exclude": ["python == 3.1", "seed > 7"]},
    }
    runs = list(Experiment("t.in.sh", [config], text="{python} {seed}"))
    assert [(r.parameters["python"], r.parameters["seed"]) for r in runs] == [("3.9", "007"), ("3.8", "007")]
    text_rule = {"experiment": {"python": "3.10,3.1"}, "sweep": {"include": ["python == '3.10'"]}}
    assert [r.parameters["python"] for r in Experiment("t.in.sh", [text_rule], text="{python}")] == ["3.10"]


@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\A[0-9]{1,3}\.[0-9]{0,3}0{1,3}\Z"),  # trailing zeros
            st.from_regex(r"\A0{1,3}[0-9]{1,3}\Z"),  # leading zeros
            st.from_regex(r"\A[0-9]\.?[0-9]{0,2}[eE][-+]?[0-9]{1,2}\Z"),  # exponents
            st.sampled_from(["True", "False", "true", "FALSE", "yes", "null", "~"]),
            st.from_regex(r"\A[a-z][a-z0-9]{0,5}\Z"),  # words
        ),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    st.sampled_from(["comma", "list", "set", "option"]),
)
@settings(max_examples=60, deadline=None)
def test_manifest_reads_back_the_text_as_written(texts: list[str], form: str) -> None:
    import tempfile

    configs: list[dict[str, object]] = []
    overrides: list[str] = []
    option = None
    if form == "comma":
        configs = [{"experiment": {"v": ",".join(texts)}}]
    elif form == "list":
        configs = [{"experiment": {"v": texts}}]
    elif form == "set":
        overrides = [f"experiment.v={','.join(texts)}"]
    else:
        option = f"v={','.join(texts)}"
    exp = Experiment("t.in.sh", configs, overrides=overrides, experiment=option, text="{v}", layout="flat")
    with tempfile.TemporaryDirectory() as tmp:
        exp.generate(Path(tmp) / "out")
        lines = (Path(tmp) / "out" / "manifest.jsonl").read_text().splitlines()
        assert [json.loads(line)["parameters"]["v"] for line in lines] == texts
        assert [exp.render(i) for i in range(len(texts))] == texts
        for line in lines:
            entry = json.loads(line)
            config = yaml.safe_load((Path(tmp) / "out" / entry["directory"] / "config.yaml").read_text())
            assert config["experiment"]["v"] == entry["parameters"]["v"]


@pytest.mark.parametrize("name", ["experimnt", "experment", "Experiment", "EXPERIMENTS", "expreiment"])
def test_a_near_miss_section_is_named_with_the_suggestion(tmp_path: Path, name: str) -> None:
    (tmp_path / "c.yaml").write_text(f"{name}:\n  epoch: [1, 2]\n")
    with pytest.raises(
        InputError, match=rf"c.yaml: section '{name}' is not one cm-sbatch knows; did you mean"
    ):
        Experiment("t.in.sh", [tmp_path / "c.yaml"], text="x")


def test_experiments_is_the_cloudmesh_sbatch_spelling_and_far_names_are_attributes() -> None:
    exp = Experiment("t.in.sh", [{"experiments": {"epoch": "1,2"}, "experimental": {"a": 1}}], text="{epoch}")
    assert len(exp) == 2


def test_experiment_option_values_with_spaces_through_the_shell(tmp_path: Path) -> None:
    (tmp_path / "t.in.sh").write_text("{cmd}\nrun {msg!q}\n")
    args = ["generate", "t.in.sh", "-e", "cmd=echo a b", "-e", "msg='it is; rm -rf x'", "--out", "out"]
    result = cli(*args, "--layout", "flat", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    entry = json.loads((tmp_path / "out" / "manifest.jsonl").read_text())
    assert entry["parameters"] == {"cmd": "echo a b", "msg": "it is; rm -rf x"}
    assert (tmp_path / "out" / entry["script"]).read_text() == "echo a b\nrun 'it is; rm -rf x'\n"
    bad = cli("generate", "t.in.sh", "-e", "cmd=[1-", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip() == "error: --experiment cmd: '[1-': unbalanced brackets"


def test_quoting_form_for_values_from_elsewhere() -> None:
    config = {"data": {"path": "/data/my set"}, "experiment": {"name": ["a'b", "plain"]}}
    exp = Experiment("t.in.sh", [config], text="cd {data.path!q} && echo {name!q} {name}\n")
    assert exp.render(0) == "cd '/data/my set' && echo 'a'\"'\"'b' a'b\n"
    assert shlex.split(exp.render(1)) == ["cd", "/data/my set", "&&", "echo", "plain", "plain"]


def test_ee_uuid_is_fresh_per_experiment_and_kept_in_its_config(tmp_path: Path) -> None:
    config = {"ee": {"time": "1"}, "sbatch": {"mode": "h"}, "experiment": {"x": "1,2"}}
    text = "{ee.identifier} {ee.uuid} {sbatch.uuid}\n"
    exp = Experiment("t.in.sh", [config], text=text)
    exp.generate(tmp_path / "out")
    seen = set()
    for folder in ("x_1", "x_2"):
        script = (tmp_path / "out" / folder / "t.sh").read_text().split()
        saved = yaml.safe_load((tmp_path / "out" / folder / "config.yaml").read_text())
        assert script == [folder, saved["ee"]["uuid"], saved["sbatch"]["uuid"]]
        assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", saved["ee"]["uuid"])
        seen.add(saved["ee"]["uuid"])
    assert len(seen) == 2


def test_ee_uuids_are_random_version_4_uuids_across_batches() -> None:
    texts = list(itertools.islice(random_uuids(batch=8), 100))  # 12 batches and a part
    for text in texts:
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)
    assert len(set(texts)) == 100


def test_os_names_are_top_level_values_and_nothing_else_is_kept() -> None:
    env = {"HOME": "/home/alice", "USER": "alice", "SECRET_TOKEN": "s3cret"}
    exp = Experiment(
        "t.in.sh",
        [{"experiment": {"x": [1]}}],
        text="{HOME} {USER} {os.USER}\n",
        env=env,
        os_names="HOME,USER",
    )
    assert exp.render(0) == "/home/alice alice alice\n"
    assert exp.config(0) == {"HOME": "/home/alice", "USER": "alice", "experiment": {"x": 1}}
    with pytest.raises(InputError, match="--os NOPE: not set in the environment"):
        Experiment("t.in.sh", [], text="x", env=env, os_names=["NOPE"])
    with pytest.raises(InputError, match=r"unresolved placeholder: t.in.sh:1: \{HOME\}"):
        Experiment("t.in.sh", [], text="{HOME}", env=env)


def test_cloudmesh_variables_as_cloudmesh_and_cm() -> None:
    Variables().update_many({"debug": "true", "cloud": "aws"})
    config = {"run": {"flag": "{cloudmesh.debug}"}, "experiment": {"x": [1]}}
    exp = Experiment("t.in.sh", [config], text="{cloudmesh.debug} {cm.cloud} {cm.id} {run.flag}\n")
    assert exp.render(0) == "true aws x_1 true\n"
    assert "cloud" not in json.dumps(exp.config(0))
    with pytest.raises(InputError, match=r"\{cm.nothing\}"):
        Experiment("t.in.sh", [config], text="{cm.nothing}")


PY_CONFIG = '''"""A cloudmesh-ee config in Python."""
ee = {"time": "00:10:00"}
experiment = {
    "epoch": "[1-2]",
    "lr": [0.10, -1e-3],
    "flag": True,
}
name: str = "demo"
'''


def test_python_and_notebook_configs_are_read_not_run(tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text(PY_CONFIG)
    exp = Experiment("t.in.sh", [tmp_path / "c.py"], text="{ee.identifier} {lr} {name}\n")
    assert [run.id for run in exp] == [
        "epoch_1_lr_0.10_flag_True",
        "epoch_1_lr_1e-3_flag_True",  # a folder name never starts with a dash
        "epoch_2_lr_0.10_flag_True",
        "epoch_2_lr_1e-3_flag_True",
    ]
    assert exp.render(1) == "epoch_1_lr_1e-3_flag_True -1e-3 demo\n"
    cells = [
        {"cell_type": "markdown", "source": ["# notes\n"]},
        {"cell_type": "code", "source": ["ee = {'time': '1'}\n", "experiment = {'x': '1,2'}\n"]},
        {"cell_type": "code", "source": "experiment = {'x': '3.10,3.9'}"},
    ]
    (tmp_path / "c.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4}))
    notebook = Experiment("t.in.sh", [tmp_path / "c.ipynb"], text="{x}")
    assert [run.id for run in notebook] == ["x_3.10", "x_3.9"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import os\nx = 1\n", r"c.py:1: import is not an assignment of a literal"),
        ("x = 1\nexperiment = dict(epoch=[1, 2])\n", r"c.py:2: a call, not a literal"),
        ("x = 1\nprint(x)\n", r"c.py:2: a call is not an assignment of a literal"),
        ("a, b = 1, 2\n", r"c.py:1: assign is not an assignment of a literal"),
        ("x = y\n", r"c.py:1: a name, not a literal"),
        ("x = (\n", r"c.py:1: invalid Python"),
    ],
)
def test_python_configs_with_code_are_errors(tmp_path: Path, source: str, message: str) -> None:
    (tmp_path / "c.py").write_text(source)
    with pytest.raises(InputError, match=message) as raised:
        Experiment("t.in.sh", [tmp_path / "c.py"], text="x")
    assert "convert it to YAML" in str(raised.value) or "invalid Python" in str(raised.value)


def test_notebook_errors_name_the_cell_and_line(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "source": ["x = 1\n"]},
        {"cell_type": "code", "source": ["x = 1\n", "run()\n"]},
    ]
    (tmp_path / "c.ipynb").write_text(json.dumps({"cells": cells}))
    with pytest.raises(InputError, match=r"c.ipynb \(cell 2\):2: a call is not an assignment"):
        Experiment("t.in.sh", [tmp_path / "c.ipynb"], text="x")


def test_json_keeps_spelling_and_unknown_kinds_are_named(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"experiment": {"lr": [0.10, 1E3], "v": "3.10,3.9"}}')
    exp = Experiment("t.in.sh", [tmp_path / "c.json"], text="{lr} {v}", layout="flat")
    assert [exp.render(i) for i in range(4)] == ["0.10 3.10", "0.10 3.9", "1E3 3.10", "1E3 3.9"]
    (tmp_path / "c.toml").write_text("x = 1\n")
    with pytest.raises(InputError, match=r"c.toml: unsupported config type .toml"):
        Experiment("t.in.sh", [tmp_path / "c.toml"], text="x")
