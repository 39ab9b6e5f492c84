"""``cm-sbatch trace -- CMD``: run a command while sampling GPU (NVML) or CPU usage and energy into a CSV.

One row per device per sample: ``time_s, device, utilization_pct, memory_mib, power_w, energy_j``.
GPUs come from NVML (nvidia-ml-py) where a driver answers; otherwise the CPU, from /proc/stat
and /proc/meminfo, with energy from RAPL (/sys/class/powercap) where it is readable.
"""

from __future__ import annotations

import csv
import logging
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from cm_common import InputError

COLUMNS = ["time_s", "device", "utilization_pct", "memory_mib", "power_w", "energy_j"]
Row = dict[str, Any]
Sampler = Callable[[], list[Row]]
_RAPL = Path("/sys/class/powercap")


def nvml_sampler(why: list[str] | None = None) -> Sampler | None:
    """A sampler of every NVIDIA GPU through NVML, or None when there is no driver or GPU.

    When it is None, the reason (no pynvml, NVML's own error, no device) is appended to ``why``.
    """
    try:
        import pynvml

        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception as error:  # no library, no driver, a driver error: the caller falls back to the CPU
        reason = (
            "pynvml is not installed"
            if isinstance(error, ImportError)
            else f"{type(error).__name__}: {error}"
        )
        logging.getLogger("cm_sbatch").debug("NVML not usable: %s", reason, exc_info=error)
        (why if why is not None else []).append(reason)
        return None
    if not handles:
        (why if why is not None else []).append("NVML sees no GPU")
        return None
    start: dict[int, float] = {}
    integrated = dict.fromkeys(range(len(handles)), 0.0)
    last = [time.monotonic()]

    def sample() -> list[Row]:
        now = time.monotonic()
        step, last[0] = now - last[0], now
        rows = []
        for index, handle in enumerate(handles):
            power = pynvml.nvmlDeviceGetPowerUsage(handle) / 1000.0
            try:
                total = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle) / 1000.0
                energy = total - start.setdefault(index, total)
            except pynvml.NVMLError:  # older GPUs: integrate the power
                integrated[index] += power * step
                energy = integrated[index]
            rows.append(
                {
                    "device": f"gpu{index}",
                    "utilization_pct": pynvml.nvmlDeviceGetUtilizationRates(handle).gpu,
                    "memory_mib": round(pynvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20, 1),
                    "power_w": round(power, 3),
                    "energy_j": round(energy, 3),
                }
            )
        return rows

    return sample


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


def _memory_used_mib() -> float:
    info = {}
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            info[key] = int(rest.split()[0])
    return round((info["MemTotal"] - info.get("MemAvailable", info.get("MemFree", 0))) / 1024, 1)


def rapl_domains(root: Path = _RAPL) -> list[tuple[Path, int]]:
    """Readable RAPL package counters: (energy_uj file, wrap-around range)."""
    found = []
    for domain in sorted(root.glob("intel-rapl:*")):
        if domain.name.count(":") != 1:
            continue
        energy, top = domain / "energy_uj", domain / "max_energy_range_uj"
        try:
            int(energy.read_text())
            found.append((energy, int(top.read_text()) if top.exists() else 2**32))
        except (OSError, ValueError):
            continue
    return found


def cpu_sampler(rapl_root: Path = _RAPL) -> Sampler:
    """A sampler of CPU utilisation, used memory and (where readable) RAPL energy and power."""
    domains = rapl_domains(rapl_root)
    previous = [_cpu_times()]
    counters = [int(path.read_text()) for path, _ in domains]
    energy = [0.0]
    last = [time.monotonic()]

    def sample() -> list[Row]:
        total, idle = _cpu_times()
        busy = (total - previous[0][0]) - (idle - previous[0][1])
        span = total - previous[0][0]
        previous[0] = (total, idle)
        now = time.monotonic()
        step, last[0] = now - last[0], now
        row: Row = {
            "device": "cpu",
            "utilization_pct": round(100.0 * busy / span, 1) if span > 0 else 0.0,
            "memory_mib": _memory_used_mib(),
            "power_w": "",
            "energy_j": "",
        }
        if domains:
            joules = 0.0
            for number, (path, top) in enumerate(domains):
                value = int(path.read_text())
                joules += ((value - counters[number]) % top) / 1e6
                counters[number] = value
            energy[0] += joules
            row["power_w"] = round(joules / step, 3) if step > 0 else ""
            row["energy_j"] = round(energy[0], 3)
        return [row]

    return sample


def default_csv() -> Path:
    """``trace-<SLURM_JOB_ID or local>.csv`` in the current folder, beside the job's output."""
    return Path(f"trace-{os.environ.get('SLURM_JOB_ID', 'local')}.csv")


def _emit(writer: csv.DictWriter[str], handle: TextIO, start: float, rows: list[Row]) -> None:
    stamp = round(time.monotonic() - start, 3)
    writer.writerows({"time_s": stamp, **row} for row in rows)
    handle.flush()


def trace(
    command: Sequence[str], *, interval: float = 1.0, csv_path: Path | None = None, gpu: bool | None = None
) -> int:
    """Run ``command`` while sampling every ``interval`` seconds into ``csv_path``; return its exit code.

    ``gpu`` None picks NVML when a GPU answers, True requires it, False samples the CPU.
    """
    if not command:
        raise InputError("trace: give the command after --, e.g. cm-sbatch trace -- python train.py")
    if interval <= 0:
        raise InputError(f"--interval: expected seconds > 0, got {interval}")
    why: list[str] = []
    sampler = nvml_sampler(why) if gpu is not False else None
    if sampler is None:
        if gpu:
            raise InputError(f"trace: --gpu given but NVML is not usable here: {why[0]}")
        sampler = cpu_sampler()
    path = csv_path or default_csv()
    start = time.monotonic()
    try:
        process = subprocess.Popen(list(command))
    except FileNotFoundError:
        raise InputError(f"trace: command not found: {command[0]}") from None
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        try:
            while True:
                try:
                    code = process.wait(timeout=interval)
                    break
                except subprocess.TimeoutExpired:
                    _emit(writer, handle, start, sampler())
        except BaseException:
            process.terminate()
            process.wait()
            raise
        _emit(writer, handle, start, sampler())
    return code
