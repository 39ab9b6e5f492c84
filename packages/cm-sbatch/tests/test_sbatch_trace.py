"""The trace samplers and the energy that status sums from their CSVs."""

from __future__ import annotations

import time
from pathlib import Path

from cm_sbatch import cpu_sampler, nvml_sampler, trace_energy
from cm_sbatch._trace import rapl_domains


def test_cpu_sampler_reads_proc_and_a_rapl_tree(tmp_path: Path) -> None:
    package = tmp_path / "intel-rapl:0"
    package.mkdir()
    (package / "energy_uj").write_text("999000000\n")
    (package / "max_energy_range_uj").write_text("1000000000\n")
    (tmp_path / "intel-rapl:0:0").mkdir()  # a sub-domain: counted inside its package, not again
    (tmp_path / "intel-rapl:0:0" / "energy_uj").write_text("5\n")
    assert [path.parent.name for path, _ in rapl_domains(tmp_path)] == ["intel-rapl:0"]
    sample = cpu_sampler(tmp_path)
    time.sleep(0.05)
    (package / "energy_uj").write_text("1000000\n")  # wrapped around: 1 J + 1 J
    first = sample()[0]
    assert first["device"] == "cpu" and 0 <= first["utilization_pct"] <= 100 and first["memory_mib"] > 0
    assert first["energy_j"] == 2.0 and first["power_w"] > 0


def test_cpu_sampler_without_rapl_leaves_energy_empty(tmp_path: Path) -> None:
    row = cpu_sampler(tmp_path / "none")()[0]
    assert row["energy_j"] == "" and row["power_w"] == ""


def test_nvml_sampler_is_none_without_a_gpu_driver() -> None:
    if Path("/proc/driver/nvidia").exists():
        sampler = nvml_sampler()
        assert sampler is not None and sampler()[0]["device"] == "gpu0"
    else:
        why: list[str] = []
        assert nvml_sampler(why) is None
        assert len(why) == 1 and why[0] != ""  # NVML's own reason (or that pynvml is missing), never a guess


def test_trace_energy_sums_the_last_value_of_each_device(tmp_path: Path) -> None:
    header = "time_s,device,utilization_pct,memory_mib,power_w,energy_j\n"
    (tmp_path / "trace-1.csv").write_text(
        header + "0.1,gpu0,50,10,100,1.5\n0.2,gpu0,50,10,100,3.0\n0.2,gpu1,5,1,50,2\n"
    )
    (tmp_path / "trace-2.csv").write_text(header + "0.1,cpu,20,100,,\n")
    (tmp_path / "trace-3.csv").write_text(header + "0.1,cpu,20,100,10,0.5\n")
    assert trace_energy(tmp_path) == 5.5
    assert trace_energy(tmp_path / "trace-2-only") is None
