"""A profile read from the live cluster: ``scontrol show partition`` for the limits and charges,
``sinfo`` for cores, memory and gres per node. The parsers are pure; :func:`import_profile` asks Slurm.
"""

from __future__ import annotations

from collections.abc import Iterable

from cm_common import RuntimeFailure, slurm_call

from ._profile import UNLIMITED, Charge, Partition, Profile, size_text
from ._request import parse_gres

SINFO_FORMAT = "%P|%c|%m|%G"


def parse_partitions(text: str) -> dict[str, dict[str, str]]:
    """``scontrol show partition -o``: each partition's ``Key=Value`` fields, by name."""
    found = {}
    for line in text.splitlines():
        fields = dict(word.split("=", 1) for word in line.split() if "=" in word)
        if "PartitionName" in fields:
            found[fields["PartitionName"]] = fields
    return found


def parse_sinfo(text: str) -> dict[str, dict[str, str]]:
    """``sinfo -h -o '%P|%c|%m|%G'``: per partition its smallest cores and memory per node and all gres."""
    found: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) != 4:
            continue
        name = parts[0].rstrip("*")
        cores, memory, gres = (part.rstrip("+") for part in parts[1:])
        row = found.setdefault(name, {"cores": cores, "memory": memory, "gres": ""})
        if cores.isdigit() and row["cores"].isdigit():
            row["cores"] = str(min(int(cores), int(row["cores"])))
        if memory.isdigit() and row["memory"].isdigit():
            row["memory"] = str(min(int(memory), int(row["memory"])))
        if gres and gres != "(null)":
            row["gres"] = ",".join(filter(None, [row["gres"], gres]))
    return found


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def _time(value: str | None) -> str | None:
    return None if value is None or value in UNLIMITED or value == "NONE" else value


def _charge(weights: str | None) -> Charge:
    """``TRESBillingWeights=CPU=1.0,Mem=0.25G,GRES/gpu=2.0`` as SU per core, GB and GPU hour."""
    charge = Charge(core=1)
    if not weights or weights == "(null)":
        return charge
    for item in weights.split(","):
        key, _, raw = item.partition("=")
        value = raw.rstrip("GgMm")
        try:
            number = float(value)
        except ValueError:
            continue
        if key.lower() == "cpu":
            charge.core = number
        elif key.lower() == "mem":
            charge.gb = number if raw[-1:] in "Gg" else number * 1024  # Slurm's Mem weight is per MB
        elif key.lower().startswith("gres/gpu"):
            charge.gpu = number
        elif key.lower() == "node":
            charge.node = number
    return charge


def _gres(text: str) -> dict[str, int]:
    table: dict[str, int] = {}
    for item in parse_gres(_strip_sockets(text)):
        table[item.key] = max(table.get(item.key, 0), item.count)
    return table


def _strip_sockets(text: str) -> str:
    """``gpu:a100:4(S:0-1),gpu:v100:2`` -> ``gpu:a100:4,gpu:v100:2``."""
    out, depth = [], 0
    for char in text:
        depth += char == "("
        if depth == 0:
            out.append(char)
        depth -= char == ")"
    return "".join(out)


def build_profile(name: str, partitions: str, sinfo: str, hosts: Iterable[str] = ()) -> Profile:
    """A profile from the text of ``scontrol show partition -o`` and ``sinfo -h -o SINFO_FORMAT``."""
    fields, nodes = parse_partitions(partitions), parse_sinfo(sinfo)
    if not fields:
        raise RuntimeFailure("scontrol show partition: no partitions")
    table = {}
    default = next((key for key, row in fields.items() if row.get("Default") == "YES"), next(iter(fields)))
    for key, row in fields.items():
        node = nodes.get(key, {})
        memory = _number(row.get("MaxMemPerNode")) or _number(node.get("memory"))
        per_cpu = _number(row.get("MaxMemPerCPU"))
        table[key] = Partition(
            max_time=_time(row.get("MaxTime")),
            default_time=_time(row.get("DefaultTime")),
            max_nodes=_number(row.get("MaxNodes")) or _number(row.get("TotalNodes")),
            cores_per_node=_number(row.get("MaxCPUsPerNode")) or _number(node.get("cores")),
            mem_per_core=None if per_cpu is None else size_text(per_cpu),
            mem_per_node=None if memory is None else size_text(memory),
            default_mem_per_core=size_text(n) if (n := _number(row.get("DefMemPerCPU"))) else None,
            gres=_gres(node.get("gres", "")),
            charge=_charge(row.get("TRESBillingWeights")),
        )
    return Profile(name=name, hosts=list(hosts) or [name], default_partition=default, partitions=table)


def import_profile(name: str) -> Profile:
    """The live cluster's profile (one scontrol and one sinfo call)."""
    partitions = slurm_call(["scontrol", "show", "partition", "-o"])
    if partitions.returncode != 0:
        raise RuntimeFailure(f"scontrol show partition failed: {partitions.stderr.strip()}")
    sinfo = slurm_call(["sinfo", "-h", "-o", SINFO_FORMAT])
    if sinfo.returncode != 0:
        raise RuntimeFailure(f"sinfo failed: {sinfo.stderr.strip()}")
    return build_profile(name, partitions.stdout, sinfo.stdout)
