"""The CLI's cluster-profile face: ``cm-sbatch profile import|list|show`` and the pre-flight check
and cost views that ``check``, ``cost``, ``generate``, ``submit`` and ``resubmit`` show."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cm_common import (
    SUMMARY_AT,
    InputError,
    OutputOption,
    command_app,
    output_format,
    plural,
    print_records,
    say,
)

if TYPE_CHECKING:
    from ._profile import Profile

ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", help="cluster profile: a name in $CM_HOME/profiles, a host or a file"),
]
NoCheckOption = Annotated[bool, typer.Option("--no-check", help="skip the check against the profile")]

profile_app = command_app(
    "profile", help="Cluster profiles: partitions, their limits and charges, and named directives."
)


def _shown(rows: list[dict[str, Any]], fmt: str) -> tuple[list[dict[str, Any]], str]:
    if fmt == "table" and len(rows) > SUMMARY_AT:
        return rows[:SUMMARY_AT], f" (first {SUMMARY_AT} shown)"
    return rows, ""


def check_out(out: Path, profile: Profile, output: OutputOption, ids: set[str] | None = None) -> None:
    """Violations of ``profile``'s limits in the sweep at ``out``: a table, then InputError (exit 2)."""
    from ._preflight import plan, violations

    rows = violations(plan(out, profile, ids), profile)
    if not rows:
        return
    fmt = output_format(output)
    shown, more = _shown(rows, fmt)
    experiments = len({row["id"] for row in rows})
    what = f"{plural(len(rows), 'violation')} in {plural(experiments, 'experiment')}"
    print_records(shown, fmt, title=f"{what}{more}", least_useful=["suggestion", "partition"])
    raise InputError(f"{out}: {what} of profile {profile.name}'s limits (fix the scripts, or --no-check)")


def show_cost(
    out: Path, profile: Profile, output: OutputOption, ids: set[str] | None = None, *, used: bool = True
) -> str:
    """The cost table of the sweep at ``out`` (SU used from its job states when ``used``); the summary."""
    from ._jobs import SweepOutput
    from ._preflight import cost_summary, costs, plan

    elapsed = None
    if used:
        elapsed = {row["id"]: row["elapsed"] for row in SweepOutput(out).status() if row["elapsed"]}
    rows = costs(plan(out, profile, ids), profile, elapsed)
    summary = cost_summary(rows)
    fmt = output_format(output)
    shown, more = _shown(rows, fmt)
    print_records(shown, fmt, title=f"{summary}{more}", least_useful=["elapsed", "nodes", "hours"])
    return summary


@profile_app.command("import")
def import_command(
    name: Annotated[str, typer.Option("--name", help="profile name (and host)")] = "cluster",
    path: Annotated[Path | None, typer.Option("--file", help="write here, not $CM_HOME/profiles")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing profile")] = False,
) -> None:
    """Read the live cluster (scontrol show partition, sinfo) into a profile."""
    from ._profile import save_profile
    from ._profile_files import profiles_dir
    from ._profile_import import import_profile

    target = path or profiles_dir() / f"{name}.yaml"
    if target.exists() and not force:
        raise InputError(f"{target}: exists already (--force replaces it)")
    profile = import_profile(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_profile(profile, target)
    say(
        f"wrote {target}: {plural(len(profile.partitions), 'partition')}"
        f" (default {profile.default_partition})"
    )


@profile_app.command("list")
def list_command(output: OutputOption = None) -> None:
    """The profiles in $CM_HOME/profiles: name, hosts, partitions, directives."""
    from ._profile import read_profile
    from ._profile_files import known_profiles

    rows = []
    for name, path in known_profiles().items():
        profile = read_profile(path)
        rows.append(
            {
                "name": name,
                "hosts": ",".join(profile.hosts),
                "partitions": ",".join(profile.partitions),
                "directives": ",".join(profile.directives),
            }
        )
    print_records(rows, output_format(output), columns=["name", "hosts", "partitions", "directives"])


@profile_app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="profile name, host or file")], output: OutputOption = None
) -> None:
    """One profile's partitions and their limits."""
    from ._profile import load_profile

    profile = load_profile(name)
    rows = [
        {
            "partition": key,
            **part.model_dump(exclude={"charge", "gres"}),
            "gres": _gres(part.gres),
            "charge": _charge(part.charge.model_dump()),
        }
        for key, part in profile.partitions.items()
    ]
    print_records(
        rows, output_format(output), title=f"profile {profile.name} (default {profile.default_partition})"
    )


def _gres(table: dict[str, int]) -> str:
    return ",".join(f"{key}:{count}" for key, count in table.items())


def _charge(charge: dict[str, float]) -> str:
    terms = [f"{value:g}*{key}" for key, value in charge.items() if value]
    return " + ".join(terms) + " per hour" if terms else "free"
