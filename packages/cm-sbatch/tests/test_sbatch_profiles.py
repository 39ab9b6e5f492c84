"""Cluster profiles: the example's table, named directives, checks, charges, raises and reasons."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from sbatch_helpers import cli

from cm_common import CommandResult, InputError, Runner, job_states, parse_yaml
from cm_sbatch import Experiment, SweepOutput
from cm_sbatch._charge import charge, elapsed_hours
from cm_sbatch._limits import check_request
from cm_sbatch._profile import dump_profile, megabytes, minutes, parse_profile, read_profile
from cm_sbatch._profile_import import build_profile
from cm_sbatch._raises import parse_reasons, raise_script, reason, set_directive
from cm_sbatch._request import Request, request, sbatch_options

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "profiles" / "university.yaml"


@pytest.fixture
def profiles() -> Path:
    """$CM_HOME/profiles holding the shipped example profile."""
    folder = Path(os.environ["CM_HOME"]) / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    return folder


def _req(script: str) -> Request:
    return request(sbatch_options(script), read_profile(EXAMPLE))


# ---- the profile model ------------------------------------------------------------------------


def test_example_profile_round_trips_and_holds_the_published_table() -> None:
    profile = read_profile(EXAMPLE)
    text = dump_profile(profile)
    again = parse_profile(parse_yaml(text, "dumped"), "dumped")
    assert again == profile and dump_profile(again) == text
    standard, gpu, dev = (profile.partitions[name] for name in ("standard", "gpu", "dev"))
    assert (standard.max_time, standard.max_nodes, standard.max_cores, standard.mem_per_core) == (
        "7-00:00:00",
        1,
        40,
        "9G",
    )
    assert (gpu.max_time, gpu.max_nodes, gpu.charge.core, gpu.charge.gpu) == ("3-00:00:00", 4, 1.0, 2.0)
    assert set(gpu.gres) == {"gpu:v100", "gpu:a100", "gpu:a6000", "gpu:rtx3090"}
    assert dev.max_time == "1:00:00" and dev.charge.per_hour(8, 0, 9216, 2) == 0
    assert profile.directives["a100-dgx"]["reservation"] == "bi_fox_dgx"
    assert profile.directives["parallel"]["nodes"] == "2"


def test_a_bad_profile_names_the_file_and_field(tmp_path: Path) -> None:
    data = parse_yaml(EXAMPLE.read_text(), str(EXAMPLE))
    data["partitions"]["gpu"]["max_time"] = "three days"
    with pytest.raises(InputError, match=r"bad\.yaml: partitions\.gpu\.max_time: .*not a Slurm time"):
        parse_profile(data, "bad.yaml")
    data = parse_yaml(EXAMPLE.read_text().replace("max_time: '1:00:00'", "max_time: 1:00:00"), "x")
    with pytest.raises(InputError, match=r"partitions\.dev\.max_time: .*3600: write the time as text"):
        parse_profile(data, "bad.yaml")
    data = parse_yaml(EXAMPLE.read_text(), str(EXAMPLE))
    data["directives"]["a100"]["partition"] = "gpus"
    with pytest.raises(InputError, match=r"directives\.a100: partition 'gpus' is not a partition"):
        parse_profile(data, "bad.yaml")


def test_slurm_times_and_sizes() -> None:
    assert [minutes(t) for t in ("90", "1:30", "1:30:00", "2-00", "2-01:30", "1-00:00:30")] == [
        90,
        1.5,
        90,
        2880,
        2970,
        1440.5,
    ]
    assert [megabytes(s) for s in ("9G", "512M", "2048", "1T")] == [9216, 512, 2048, 1048576]
    assert elapsed_hours("01:30:00") == 1.5 and elapsed_hours("1-00:00:00") == 24
    assert elapsed_hours("") is None


# ---- named directives ---------------------------------------------------------------------------

TEMPLATE = """#!/bin/bash
{slurm.sbatch}
#SBATCH --time={slurm.time}
echo gres={slurm.directive.gres} reservation={slurm.directive.reservation} card={slurm.name}
"""


def test_named_directives_become_sbatch_lines_per_experiment(profiles: Path, tmp_path: Path) -> None:
    config = {
        "system": {"host": "rivanna"},
        "slurm": {"time": "2:00:00"},
        "experiment": {"card_name": "a100,a100-dgx,parallel"},
    }
    exp = Experiment("job.in.sh", config, text=TEMPLATE)
    scripts = {run.parameters["card_name"]: exp.render(run) for run in exp}
    assert scripts["a100"].splitlines()[1:4] == [
        "#SBATCH --partition=gpu",
        "#SBATCH --gres=gpu:a100:1",
        "#SBATCH --time=2:00:00",
    ]
    assert "echo gres=gpu:a100:1 reservation= card=a100" in scripts["a100"]
    assert "#SBATCH --reservation=bi_fox_dgx\n#SBATCH --constraint=a100_80gb" in scripts["a100-dgx"]
    assert "reservation=bi_fox_dgx card=a100-dgx" in scripts["a100-dgx"]
    assert "#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=4" in scripts["parallel"]
    assert exp.profile is not None and exp.profile.name == "university"
    assert exp.config(0)["slurm"]["directive"]["gres"] == "gpu:a100:1"


def test_directive_from_the_command_line_and_a_fixed_one(profiles: Path) -> None:
    config = {"system": {"host": "university"}, "slurm": {"time": "1:00"}}
    exp = Experiment("job.in.sh", config, text=TEMPLATE, experiment="directive=v100,rtx3090")
    assert ["gres=gpu:v100:1" in exp.render(0), "gres=gpu:rtx3090:1" in exp.render(1)] == [True, True]
    fixed = {"system": {"host": "university", "directive": "a6000"}, "slurm": {"time": "1:00"}}
    assert "#SBATCH --gres=gpu:a6000:1" in Experiment("job.in.sh", fixed, text=TEMPLATE).render(0)


def test_unknown_host_and_directive_list_the_known_ones(profiles: Path, tmp_path: Path) -> None:
    config = {"system": {"host": "summit"}, "slurm": {"time": "1:00"}, "experiment": {"directive": "a100"}}
    with pytest.raises(InputError, match=r"no profile for host 'summit' \(known: university\)"):
        Experiment("job.in.sh", config, text=TEMPLATE)
    config["system"] = {"host": "rivanna"}
    config["experiment"] = {"directive": "a100,k80"}
    with pytest.raises(InputError, match=r"no directive 'k80' \(known: v100, a100, a6000, rtx3090, a100-dgx"):
        Experiment("job.in.sh", config, text=TEMPLATE)
    config["slurm"] = {"sbatch": "mine"}
    config["experiment"] = {"directive": "a100"}
    with pytest.raises(InputError, match=r"slurm\.sbatch: the config sets it"):
        Experiment("job.in.sh", config, text=TEMPLATE)


def test_a_host_without_profile_is_fine_when_the_template_asks_nothing_of_one(profiles: Path) -> None:
    config = {"system": {"host": "ubuntu"}, "experiment": {"x": "1,2"}}
    exp = Experiment("job.in.sh", config, text="#!/bin/bash\necho {x}\n")
    assert exp.profile is None and exp.render(1) == "#!/bin/bash\necho 2\n"


# ---- the #SBATCH parser and the checks ----------------------------------------------------------


def test_sbatch_options_as_sbatch_reads_them() -> None:
    script = (
        "#!/bin/bash\n#SBATCH -p gpu -t 10\n#SBATCH --gres gpu:a100:2\n# a comment\n"
        "#SBATCH --mem=8G  # per node\n\necho hi\n#SBATCH --time=99\n"
    )
    assert sbatch_options(script) == {"partition": "gpu", "time": "10", "gres": "gpu:a100:2", "mem": "8G"}
    req = _req(script)
    assert (req.partition, req.minutes, req.gpus, req.mem_per_node_mb, req.cores) == ("gpu", 10, 2, 8192, 1)


def _broken(script: str) -> list[tuple[str, str, str, str]]:
    found = check_request(_req(script), read_profile(EXAMPLE))
    return [(v.option, v.requested, v.limit, v.suggestion) for v in found]


def test_violations_name_the_limit_and_the_partitions_that_allow_it() -> None:
    assert _broken("#SBATCH -p gpu\n#SBATCH --time=4-00:00:00\n#SBATCH --gres=gpu:a100:1\n") == [
        (
            "time",
            "4-00:00:00",
            "max_time 3-00:00:00",
            "no partition allows the whole request; time alone: standard",
        )
    ]
    assert _broken("#SBATCH -p gpu\n#SBATCH -t 4-00:00:00\n") == [
        ("time", "4-00:00:00", "max_time 3-00:00:00", "allowed by: standard")
    ]
    assert _broken("#SBATCH -p standard\n#SBATCH -c 48 -t 1:00:00\n") == [
        ("cores", "48", "max_cores 40", "no partition allows it")  # 48 on one node: none has so many
    ]
    assert _broken("#SBATCH -p standard\n#SBATCH -n 48 -N 2 -t 1:00:00\n") == [
        ("nodes", "2", "max_nodes 1", "allowed by: parallel, gpu"),
        ("cores", "48", "max_cores 40", "allowed by: parallel, gpu"),
    ]
    assert _broken("#SBATCH -p dev\n#SBATCH --mem-per-cpu=12G -t 30\n") == [
        ("memory per core", "12G", "mem_per_core 9G", "no partition allows it")
    ]
    assert _broken("#SBATCH -p standard\n#SBATCH -N 2 -t 1:00:00\n") == [
        ("nodes", "2", "max_nodes 1", "allowed by: parallel, gpu, dev")
    ]
    gres = _broken("#SBATCH -p gpu\n#SBATCH --gres=gpu:k80:1 -t 1:00:00\n")
    assert gres[0][:2] == ("gres", "gpu:k80:1") and "gpu:a100:8" in gres[0][2]
    assert _broken("#SBATCH -p gpu\n#SBATCH --gres=gpu:a100:9 -t 1:00:00\n")[0][:2] == ("gres", "gpu:a100:9")
    assert _broken("#SBATCH -p large\n") == [
        ("partition", "large", "not a partition of university", "allowed by: standard, parallel, gpu, dev")
    ]
    assert _broken("#SBATCH -p gpu -t 1-00:00:00\n#SBATCH --gpus-per-node=v100:4 -N 4\n") == []


def _out(tmp_path: Path, scripts: dict[str, str]) -> Path:
    """A generated sweep whose experiments' scripts are ``scripts`` (by value of x)."""
    (tmp_path / "job.in.sh").write_text("#!/bin/bash\n{head}\necho {x}\n")
    config = {"system": {"host": "university"}, "experiment": {"x": ",".join(scripts)}, "head": "{x}"}
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = cli("generate", "job.in.sh", "-c", "config.json", "--out", "out", "--no-check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    for entry in SweepOutput(out).experiments():
        (out / entry["script"]).write_text(f"#!/bin/bash\n{scripts[entry['parameters']['x']]}echo\n")
    return out


def test_check_and_generate_report_every_violation_in_one_table(profiles: Path, tmp_path: Path) -> None:
    out = _out(
        tmp_path,
        {"ok": "#SBATCH -p gpu -t 2:00:00 --gres=gpu:v100:1\n", "long": "#SBATCH -p gpu -t 4-00:00:00\n"},
    )
    result = cli("check", str(out), "-o", "json")
    assert result.returncode == 2
    assert json.loads(result.stdout) == [
        {
            "id": "x_long",
            "partition": "gpu",
            "option": "time",
            "requested": "4-00:00:00",
            "limit": "max_time 3-00:00:00",
            "suggestion": "allowed by: standard",
        }
    ]
    assert result.stderr.strip().splitlines() == [
        f"error: {out}: 1 violation in 1 experiment of profile university's limits"
        " (fix the scripts, or --no-check)"
    ]
    submitted = cli("submit", str(out), "--dry-run", "-o", "json")
    assert submitted.returncode == 2 and "1 violation" in submitted.stderr
    assert cli("submit", str(out), "--dry-run", "--no-check", "-o", "json").returncode == 0
    # generate checks what it wrote: the same sweep with a 4-day time from the config
    (tmp_path / "t.in.sh").write_text("#!/bin/bash\n{slurm.sbatch}\n#SBATCH -t {t}\n")
    config = {
        "system": {"host": "university"},
        "experiment": {"directive": "a100", "t": "1:00:00,4-00:00:00"},
    }
    (tmp_path / "c.json").write_text(json.dumps(config))
    generated = cli("generate", "t.in.sh", "-c", "c.json", "--out", "o2", cwd=tmp_path)
    assert (
        generated.returncode == 2
        and "4-00:00:00" in generated.stdout
        and "time alone: standard" in generated.stdout
    )
    assert (tmp_path / "o2" / "manifest.jsonl").exists()  # written, to be looked at
    config["experiment"]["t"] = "1:00:00"
    (tmp_path / "c.json").write_text(json.dumps(config))
    clean = cli("generate", "t.in.sh", "-c", "c.json", "--out", "o3", cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert cli("check", str(tmp_path / "o3")).returncode == 0


def test_check_without_a_profile_says_so(tmp_path: Path) -> None:
    (tmp_path / "job.in.sh").write_text("#!/bin/bash\necho {x}\n")
    assert cli("generate", "job.in.sh", "-e", "x=1", "--out", "out", cwd=tmp_path).returncode == 0
    result = cli("check", str(tmp_path / "out"))
    assert result.returncode == 2 and "no profile: give --profile NAME" in result.stderr


# ---- charges ------------------------------------------------------------------------------------


def test_charges_are_the_hand_computed_sums(profiles: Path, tmp_path: Path) -> None:
    profile = read_profile(EXAMPLE)
    gpu = _req("#SBATCH -p gpu -t 3:00:00 -c 8 --gres=gpu:a100:2\n")
    assert charge(gpu, profile) == (8 + 2 * 2) * 3  # 36
    standard = _req("#SBATCH -p standard -t 7-00:00:00 -c 40\n")
    assert charge(standard, profile) == 40 * 7 * 24  # 6720
    assert charge(_req("#SBATCH -p dev -t 1:00:00 -c 4\n"), profile) == 0
    parallel = _req("#SBATCH -p parallel -t 10:00:00 -N 2 --ntasks-per-node=4\n")
    assert charge(parallel, profile) == 2 * 4 * 10  # 80
    out = _out(
        tmp_path,
        {
            "gpu": "#SBATCH -p gpu -t 3:00:00 -c 8 --gres=gpu:a100:2\n",
            "standard": "#SBATCH -p standard -t 7-00:00:00 -c 40\n",
            "dev": "#SBATCH -p dev -t 1:00:00 -c 4\n",
            "parallel": "#SBATCH -p parallel -t 10:00:00 -N 2 --ntasks-per-node=4\n",
        },
    )
    result = cli("cost", str(out), "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert {key: row["su_requested"] for key, row in rows.items()} == {
        "x_gpu": 36,
        "x_standard": 6720,
        "x_dev": 0,
        "x_parallel": 80,
    }
    assert result.stderr.strip() == "6836 SU requested"
    # after a run: the outcome records' elapsed time (as cm-cc writes them) gives the SU used
    records = [
        {"id": "x_gpu", "job": "1", "state": "COMPLETED", "elapsed": "01:30:00"},
        {"id": "x_parallel", "job": "2", "state": "FAILED", "elapsed": "00:15:00", "exit_code": 1},
    ]
    (out / "jobs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    after = cli("cost", str(out), "-o", "json")
    used = {row["id"]: row["su_used"] for row in json.loads(after.stdout)}
    assert used == {"x_gpu": 18, "x_standard": None, "x_dev": None, "x_parallel": 2}
    assert after.stderr.strip() == "6836 SU requested, 20 SU used"
    assert "6836 SU requested, 20 SU used" in cli("cost", str(out)).stdout


# ---- raises and reasons -------------------------------------------------------------------------


def test_set_directive_replaces_or_inserts_one_line() -> None:
    script = "#!/bin/bash\n#SBATCH -t 10\n#SBATCH --mem=1G\n#SBATCH --time=20\necho --time=5\n"
    assert set_directive(script, "time", "01:00:00") == (
        "#!/bin/bash\n#SBATCH --time=01:00:00\n#SBATCH --mem=1G\necho --time=5\n"
    )
    assert set_directive("#!/bin/bash\n#SBATCH -p gpu\necho\n", "mem", "2G") == (
        "#!/bin/bash\n#SBATCH -p gpu\n#SBATCH --mem=2G\necho\n"
    )


def test_raises_are_capped_by_the_partition_limits() -> None:
    profile = read_profile(EXAMPLE)
    script = "#!/bin/bash\n#SBATCH -p gpu -c 4\n#SBATCH --time=1-00:00:00\n#SBATCH --mem-per-cpu=4G\necho\n"
    raised = raise_script(script, profile, time="+2h", mem="x2", source="job.sh")
    assert (raised.time, raised.mem) == ("1-02:00:00", "8G")
    assert sbatch_options(raised.text)["time"] == "1-02:00:00"
    assert sbatch_options(raised.text)["mem-per-cpu"] == "8G"
    assert raise_script(script, profile, time="x3", mem=None, source="job.sh").time == "3-00:00:00"
    with pytest.raises(
        InputError,
        match=r"job\.sh: time 4-00:00:00 is over partition gpu's max_time 3-00:00:00 \(.*standard\)",
    ):
        raise_script(script, profile, time="+3d", mem=None, source="job.sh")
    with pytest.raises(InputError, match=r"memory per core 12G is over partition gpu's mem_per_core 9G"):
        raise_script(script, profile, time=None, mem="x3", source="job.sh")
    with pytest.raises(InputError, match=r"--time: expected x2, \+2h or a Slurm time, got 'soon'"):
        raise_script(script, profile, time="soon", mem=None, source="job.sh")
    with pytest.raises(InputError, match=r"--reason: unknown reason 'slow' \(one of cancelled, exit"):
        parse_reasons("oom,slow")


def _recorded(stdout: str) -> Runner:
    """A Slurm runner that answers squeue with recorded output (this cluster cannot enforce memory)."""

    def run(args: Sequence[str], *, timeout: float) -> CommandResult:
        return CommandResult(0, stdout if args[0] == "squeue" else "")

    return run


def test_reasons_from_recorded_squeue_output() -> None:
    """The test cluster runs jobacct_gather/none and task/none, so it cannot kill a job for its
    memory (OUT_OF_MEMORY); squeue output recorded on a cluster that does is parsed instead."""
    recorded = (
        "101|OUT_OF_MEMORY|0:41|node1|0:125\n102|TIMEOUT|1:00|node1|0:15\n103|NODE_FAIL|3:02|node2|0:0\n"
        "104|PREEMPTED|0:10|node1|0:15\n105|FAILED|0:01|node1|3:0\n106|COMPLETED|0:05|node1|0:0\n"
    )
    states = job_states(["101", "102", "103", "104", "105", "106"], run=_recorded(recorded))
    assert {key: reason(job) for key, job in states.items()} == {
        "101": "oom",
        "102": "timeout",
        "103": "node_fail",
        "104": "preempted",
        "105": "exit",
        "106": None,
    }
    assert states["105"].exit_code == "3:0"


def test_resubmit_failed_picks_by_reason_and_raises_the_scripts(profiles: Path, tmp_path: Path) -> None:
    script = "#SBATCH -p gpu -t 2:00:00 --mem-per-cpu=2G\n"
    out = _out(tmp_path, {"a": script, "b": script, "c": script})
    records = [
        {"id": "x_a", "job": "1", "state": "OUT_OF_MEMORY", "exit_code": "0:125"},
        {"id": "x_b", "job": "2", "state": "TIMEOUT"},
        {"id": "x_c", "job": "3", "state": "COMPLETED"},
    ]
    (out / "jobs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    plan = cli("resubmit", str(out), "--failed", "--dry-run", "-o", "json")
    assert [(r["id"], r["reason"]) for r in json.loads(plan.stdout)] == [("x_a", "oom"), ("x_b", "timeout")]
    result = cli(
        "resubmit", str(out), "--failed", "--reason", "oom", "--mem", "x2", "--dry-run", "-o", "json"
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["id"], r["state"], r["reason"], r["mem"]) for r in rows] == [
        ("x_a", "OUT_OF_MEMORY", "oom", "4G")
    ]
    assert "resubmitting 1 experiment: 2 SU requested" in result.stderr
    assert not (out / "x_a" / "job.sh.1").exists()  # a dry run writes nothing
    longer = cli("resubmit", str(out), "--failed", "--reason", "timeout", "--time", "x2", "--dry-run")
    assert "resubmitting 1 experiment: 4 SU requested" in longer.stderr  # 1 core, 4 hours, as raised
    capped = cli("resubmit", str(out), "--failed", "--reason", "timeout", "--time", "+3d", "-o", "json")
    assert capped.returncode == 2
    assert "time 3-02:00:00 is over partition gpu's max_time 3-00:00:00" in capped.stderr
    assert (out / "x_b" / "job.sh").read_text() == f"#!/bin/bash\n{script}echo\n"  # untouched
    assert cli("resubmit", str(out), "--all", "--mem", "x2").returncode == 2


# ---- profile import (parsing; the live cluster in test_sbatch_profiles_slurm) ---------------------

RECORDED_PARTITIONS = (
    "PartitionName=standard Default=YES MaxNodes=1 MaxTime=7-00:00:00 DefaultTime=01:00:00 "
    "MaxCPUsPerNode=UNLIMITED MaxMemPerCPU=9216 DefMemPerCPU=9216 TotalNodes=100 "
    "TRESBillingWeights=CPU=1.0\n"
    "PartitionName=gpu Default=NO MaxNodes=4 MaxTime=3-00:00:00 DefaultTime=NONE TotalNodes=20 "
    "MaxMemPerNode=UNLIMITED TRESBillingWeights=CPU=1.0,Mem=0.0G,GRES/gpu=2.0\n"
    "PartitionName=dev Default=NO MaxNodes=2 MaxTime=01:00:00 TotalNodes=4 TRESBillingWeights=CPU=0\n"
)
RECORDED_SINFO = (
    "standard*|40|375000|(null)\ngpu|40|375000|gpu:a100:8(S:0-1)\ngpu|28|255000|gpu:v100:4(S:0-1)\n"
    "dev|4|36000|(null)\n"
)


def test_profile_from_recorded_scontrol_and_sinfo_output() -> None:
    profile = build_profile("uni", RECORDED_PARTITIONS, RECORDED_SINFO)
    assert profile.default_partition == "standard"
    standard, gpu, dev = (profile.partitions[name] for name in ("standard", "gpu", "dev"))
    assert (standard.max_time, standard.max_nodes, standard.cores_per_node, standard.mem_per_core) == (
        "7-00:00:00",
        1,
        40,
        "9G",
    )
    assert standard.default_time == "01:00:00" and standard.default_mem_per_core == "9G"
    assert gpu.gres == {"gpu:a100": 8, "gpu:v100": 4} and gpu.cores_per_node == 28
    assert (gpu.charge.core, gpu.charge.gpu, gpu.max_time) == (1.0, 2.0, "3-00:00:00")
    assert dev.charge.core == 0 and dev.max_nodes == 2
    assert parse_profile(parse_yaml(dump_profile(profile), "x"), "x") == profile
