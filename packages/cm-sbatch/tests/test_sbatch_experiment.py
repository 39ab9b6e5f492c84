"""The Experiment API: expansion, naming, resolution, generation, and every bad-input case."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import yaml
from sbatch_helpers import EXAMPLES

from cm_common import InputError
from cm_sbatch import Experiment, SweepOutput, script_name

TEMPLATE = (
    "#!/bin/bash\n#SBATCH --time={slurm.time}\n"
    "echo {epoch} {experiment.lr} {data.train} ${SLURM_JOB_ID:-local}\n"
)
CONFIG = {
    "slurm": {"time": "00:01:00"},
    "data": {"root": "/scratch", "train": "{data.root}/train"},
    "experiment": {"epoch": [1, 2, 3], "lr": "0.1,0.01"},
}


def make(config: dict[str, object] | None = None, text: str = TEMPLATE, **options: object) -> Experiment:
    return Experiment("slurm.in.sh", [config if config is not None else CONFIG], text=text, **options)  # type: ignore[arg-type]


def test_count_iteration_and_names() -> None:
    exp = make()
    runs = list(exp)
    assert len(exp) == len(runs) == 6
    assert runs[0].id == "epoch_1_lr_0.1"
    assert runs[0].directory == "epoch_1/lr_0.1"
    assert runs[-1].parameters == {"epoch": 3, "lr": "0.01"}  # YAML's number, the comma form's text
    assert [r.index for r in runs] == list(range(6))


def test_len_does_not_materialise() -> None:
    values = {f"k{i}": list(range(100)) for i in range(6)}
    assert len(make({"experiment": values}, text="echo {k0}\n")) == 100**6


def test_flat_layout_and_script_name() -> None:
    assert [r.directory for r in make(layout="flat")][:2] == ["epoch_1_lr_0.1", "epoch_1_lr_0.01"]
    assert script_name("slurm.in.sh") == "slurm.sh"
    assert script_name("job.in") == "job"
    assert script_name("run.sh") == "run.sh"


def test_render_fills_every_kind_of_placeholder() -> None:
    exp = make(
        text="{epoch} {experiment.lr} {data.train} {os.CM_TEST_X} {cm.id} ${HOME} $USER {{x}}\n",
        env={"CM_TEST_X": "fromenv"},
    )
    assert exp.render(1) == "1 0.01 /scratch/train fromenv epoch_1_lr_0.01 ${HOME} $USER {x}\n"


def test_config_of_a_run_is_resolved_and_typed() -> None:
    exp = make()
    config = exp.config(3)
    assert config["experiment"] == {"epoch": 2, "lr": "0.01"}
    assert config["data"]["train"] == "/scratch/train"
    assert "sweep" not in config and "HOME" not in json.dumps(config)


def test_attributes_may_depend_on_the_run() -> None:
    config = {**CONFIG, "out": {"dir": "{data.root}/e{epoch}-lr{experiment.lr}", "id": "{cm.id}"}}
    exp = make(config, text="{out.dir} {out.id}\n")
    assert exp.render(0) == "/scratch/e1-lr0.1 epoch_1_lr_0.1\n"
    assert exp.config(5)["out"] == {"dir": "/scratch/e3-lr0.01", "id": "epoch_3_lr_0.01"}


def test_overrides_and_cli_sweep_on_top_of_configs() -> None:
    exp = make(overrides=["data.root=/fast", "slurm.time=00:09:00"], experiment="epoch=[7-8] seed=1,2")
    assert len(exp) == 2 * 2 * 2
    assert (
        exp.render(0)
        == "#!/bin/bash\n#SBATCH --time=00:09:00\necho 7 0.1 /fast/train ${SLURM_JOB_ID:-local}\n"
    )
    assert exp.sweep.keys == ["epoch", "seed", "lr"]


def test_configs_merge_deeply_in_order(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("data: {root: /a, train: '{data.root}/t'}\nexperiment: {epoch: [1]}\n")
    (tmp_path / "b.json").write_text('{"data": {"root": "/b"}, "experiment": {"lr": [0.5]}}')
    exp = Experiment("t.in.sh", [tmp_path / "a.yaml", tmp_path / "b.json"], text="{data.train} {epoch} {lr}")
    assert exp.render(0) == "/b/t 1 0.5"


def test_zip_repeat_include_exclude() -> None:
    config = {
        "experiment": {"lr": [0.1, 0.01], "batch": [16, 32], "gpu": ["a100", "k80"]},
        "sweep": {"zip": ["lr", "batch"], "exclude": ['gpu == "k80" and lr == 0.1'], "repeat": 2},
    }
    runs = list(make(config, text="{lr} {batch} {gpu} {repeat}\n"))
    combos = {(r.parameters["lr"], r.parameters["batch"], r.parameters["gpu"]) for r in runs}
    assert combos == {(0.1, 16, "a100"), (0.01, 32, "a100"), (0.01, 32, "k80")}
    assert len(runs) == 6 and {r.parameters["repeat"] for r in runs} == {1, 2}
    include = {"experiment": {"x": [1, 2, 3, 4]}, "sweep": {"include": ["x % 2 == 0"]}}
    assert [r.parameters["x"] for r in make(include, text="{x}")] == [2, 4]
    assert len(make(include, text="{x}")) == 2


def test_cloudmesh_ee_config_works_unchanged() -> None:
    exp = Experiment(EXAMPLES / "ee-slurm.in.sh", [EXAMPLES / "ee-config.yaml"])
    assert len(exp) == 6
    text = exp.render(0)
    assert "--job-name=directive_ubuntu_epoch_1_lr_0.1" in text
    assert "epoch 1 lr 0.1 on ubuntu, data in /tmp/scratch" in text
    config = exp.config(0)
    assert config["ee"] == {
        "time": "00:05:00",
        "identifier": "directive_ubuntu_epoch_1_lr_0.1",
        "uuid": config["ee"]["uuid"],
    }
    assert str(uuid.UUID(config["ee"]["uuid"])) == config["ee"]["uuid"]
    assert config["data"]["results"] == "/tmp/scratch/results"


def test_generate_writes_the_contract(tmp_path: Path) -> None:
    out = make().generate(tmp_path / "out")
    lines = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert len(lines) == 6
    assert lines[0] == {
        "id": "epoch_1_lr_0.1",
        "directory": "epoch_1/lr_0.1",
        "parameters": {"epoch": 1, "lr": "0.1"},
        "script": "epoch_1/lr_0.1/slurm.sh",
    }
    for line in lines:
        folder = tmp_path / "out" / line["directory"]
        assert (
            (tmp_path / "out" / line["script"]).read_text().startswith("#!/bin/bash\n#SBATCH --time=00:01:00")
        )
        assert yaml.safe_load((folder / "config.yaml").read_text())["experiment"] == line["parameters"]
        assert os.access(tmp_path / "out" / line["script"], os.X_OK)
    submit = (tmp_path / "out" / "submit.sh").read_text()
    assert "(cd epoch_1/lr_0.1 && sbatch slurm.sh)" in submit
    assert isinstance(out, SweepOutput) and len(out.experiments()) == 6


def test_generate_refuses_existing_output_and_force_keeps_job_records(tmp_path: Path) -> None:
    out = tmp_path / "out"
    make().generate(out)
    (out / "jobs.jsonl").write_text(
        '{"id": "epoch_1_lr_0.1", "job": "7", "submitted": "x", "array": false}\n'
    )
    (out / "epoch_1" / "lr_0.1" / "stale.txt").write_text("old")
    with pytest.raises(InputError, match="exists and is not empty; use --force"):
        make().generate(out)
    make(experiment="epoch=9").generate(out, force=True)
    assert SweepOutput(out).records()["epoch_1_lr_0.1"]["job"] == "7"
    assert not (out / "epoch_1").exists() and (out / "epoch_9" / "lr_0.1" / "slurm.sh").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_generation_leaves_nothing(tmp_path: Path) -> None:
    config = {"experiment": {"x": ["a b", "a/b"]}}
    with pytest.raises(InputError, match="would share the folder"):
        make(config, text="{x}").generate(tmp_path / "out")
    rules = {"experiment": {"x": [1, 2]}, "sweep": {"exclude": ["x > 0"]}}
    with pytest.raises(InputError, match="zero experiments"):
        make(rules, text="{x}").generate(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_names_are_sanitised_and_capped() -> None:
    config = {"experiment": {"path": ["/data/my set;rm -rf", "x" * 300], "n": [1]}}
    runs = list(make(config, text="{path}"))
    assert runs[0].id == "path_data-my-set-rm--rf_n_1"
    assert len(runs[1].id) <= 128 and len(runs[1].directory.split("/")[0]) <= 64
    assert runs[1].id == list(make(config, text="{path}"))[1].id


@pytest.mark.parametrize(
    ("config", "text", "message"),
    [
        (
            CONFIG,
            "{nope}\n{data.nothing} {epoch}\n{os.CM_SURELY_UNSET}",
            r"unresolved placeholders: slurm.in.sh:1: \{nope\}, slurm.in.sh:2: \{data.nothing\}, "
            r"slurm.in.sh:3: \{os.CM_SURELY_UNSET\}",
        ),
        ({**CONFIG, "a": "{b}", "b": "{a}"}, "{a}", "cyclic reference: a -> b -> a"),
        ({**CONFIG, "a": "{missing.key}"}, "{a}", r"unresolved placeholders: \{missing.key\} \(in a\)"),
        ({"experiment": {"x": []}}, "{x}", "zero experiments: experiment.x has no values"),
        ({"experiment": {"x": [1]}, "sweep": {"exclude": ["y == 1"]}}, "{x}", "unknown key 'y'"),
        ({"experiment": {"x": [1, 1]}}, "{x}", "would share the folder 'x_1'"),
        ({"experiment": {"x": [1, "1"]}}, "{x}", "would share the folder"),
        ({"experiment": {"x": [1, 2], "y": [1]}, "sweep": {"zip": ["x", "y"]}}, "{x}", "different counts"),
        ({"experiment": {"data": [1]}, "data": 2}, "{data}", "also an attribute or reserved"),
        ({"experiment": [1, 2]}, "x", "expected a mapping"),
        ({"experiment": {"x": [1]}, "sweep": {"repeat": 0}}, "{x}", "repeat: expected a whole number"),
        ({"experiment": {"x": [1]}, "sweep": {"bogus": 1}}, "{x}", "unknown field 'bogus'"),
    ],
)
def test_bad_input_is_named(config: dict[str, object], text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make(config, text=text, env={})


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(InputError, match=r"bad.yaml:\d+: invalid YAML"):
        Experiment("t.in.sh", [tmp_path / "bad.yaml"], text="x")
    (tmp_path / "bad.json").write_text('{"a": 1,\n "b": }')
    with pytest.raises(InputError, match=r"bad.json:2: invalid JSON"):
        Experiment("t.in.sh", [tmp_path / "bad.json"], text="x")
    with pytest.raises(InputError, match="no such template"):
        Experiment(tmp_path / "missing.in.sh", [])


@pytest.mark.parametrize(
    ("layout", "message"), [("flat", "share the folder"), ("hierarchical", "share the id")]
)
def test_ids_that_collide_across_keys_are_refused(tmp_path: Path, layout: str, message: str) -> None:
    config = {"experiment": {"a": ["x_b_y", "x"], "b": ["z", "y_b_z"]}}
    exp = make(config, text="{a} {b}", layout=layout)
    with pytest.raises(InputError, match=message):
        exp.generate(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_cloudmesh_sbatch_style_config(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "name: bench-rivanna\n"
        "sbatch:\n  mode: h\n  dir: localscratch\n"
        "run:\n  workdir: /scratch/{os.USER}/runs/{experiment.epoch}/{experiment.repeat}\n"
        "  venv: $HOME/ENV3\n"
        "experiment:\n  card_name: 'v100,a100'\n  repeat: '1,2'\n  epoch: 1,50,100\n"
        "  learning_rate: 0.001\n  no_cache: False\n"
    )
    text = "#SBATCH --job-name={sbatch.identifier}\ncd {run.workdir} && source {run.venv}/bin/activate\n"
    exp = Experiment("submit.in.sh", [tmp_path / "config.yaml"], text=text, env={"USER": "alice"})
    assert len(exp) == 2 * 2 * 3
    run = next(iter(exp))
    assert run.parameters == {
        "card_name": "v100",
        "repeat": "1",
        "epoch": "1",
        "learning_rate": 0.001,
        "no_cache": False,
    }
    assert exp.render(0) == (
        f"#SBATCH --job-name={run.id}\ncd /scratch/alice/runs/1/1 && source $HOME/ENV3/bin/activate\n"
    )
    config = exp.config(11)
    assert config["run"]["workdir"] == "/scratch/alice/runs/100/2"
    assert config["sbatch"] == {
        "mode": "h",
        "dir": "localscratch",
        "identifier": list(exp)[11].id,
        "uuid": config["sbatch"]["uuid"],
    }
