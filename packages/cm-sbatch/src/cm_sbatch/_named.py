"""Named directives, as cloudmesh-ee users know them: ``system.host`` picks a profile and
``experiment.directive`` (or ``card_name``) one of its directives for each experiment.

The template's ``{slurm.sbatch}`` becomes that directive's ``#SBATCH`` lines and
``{slurm.directive.KEY}`` (``gres``, ``partition``, ...) its single values; ``{slurm.name}``
and ``{slurm.host}`` the names. A directive that leaves a key out writes it as empty text.
A config's own ``slurm`` section keeps its other keys (``{slurm.time}``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cm_common import InputError

from ._profile_files import known_profiles
from ._values import Value, expand

if TYPE_CHECKING:  # pydantic is loaded only when a profile is in effect
    from ._profile import Profile

DIRECTIVE_KEYS = ("directive", "card_name")
SECTION = "slurm"
SECTION_KEYS = ("host", "name", "sbatch", "directive")  # what a profile adds to the slurm section
_USES = re.compile(r"\{slurm\.(?:sbatch|directive|name|host)\b")
Derive = Callable[[dict[str, Any]], dict[str, Any]]


def slurm_section(profile: Profile, name: str, host: str) -> dict[str, Any]:
    """What ``{slurm.X}`` finds for the directive ``name`` ("" for none)."""
    entry = profile.directive(name) if name else {}
    keys = sorted({key for directive in profile.directives.values() for key in directive} | set(entry))
    return {
        "host": host,
        "name": name,
        "sbatch": "\n".join(f"#SBATCH --{key}={value}" for key, value in entry.items()),
        "directive": {key: entry.get(key, "") for key in keys},
    }


def _experiment(data: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in ("experiment", "experiments"):
        if isinstance(data.get(name), Mapping):
            found.update(data[name])
    return found


def _directive_key(data: Mapping[str, Any], cli: Mapping[str, list[Value]]) -> tuple[str, list[str]] | None:
    """(sweep key, its directive names) of ``experiment.directive`` or ``card_name``, if swept."""
    experiment = _experiment(data)
    for key in DIRECTIVE_KEYS:
        if key in cli:
            return key, [str(value) for value in cli[key]]
        if key in experiment:
            return key, [str(value) for value in expand(experiment[key], f"experiment.{key}")]
    return None


def apply_profile(
    data: dict[str, Any],
    cli: Mapping[str, list[Value]],
    profile: Profile | str | os.PathLike[str] | None = None,
    text: str = "",
) -> tuple[dict[str, Any], Profile | None, Derive | None]:
    """The config with its ``slurm`` section, the profile in effect, and how each experiment's
    ``slurm`` section is completed (None when the directive is not swept).

    No profile (neither ``profile`` nor ``system.host``, or a host no profile knows while the
    template ``text`` uses no ``{slurm.sbatch}``, ``{slurm.directive.KEY}``, ...): the config as it is.
    """
    system = data.get("system")
    host = system.get("host") if isinstance(system, Mapping) else None
    if profile is None and (host is None or (not _USES.search(text) and not known_profiles())):
        return data, None, None  # nothing to look up: the profile model is not even loaded
    from ._profile import Profile, find_profile, load_profile

    if isinstance(profile, Profile):
        chosen = profile
    elif profile is not None or _USES.search(text):
        chosen = load_profile(profile or str(host))
    else:  # a host without a profile is fine while the template asks nothing of one
        found = find_profile(str(host))
        if found is None:
            return data, None, None
        chosen = found
    own = data.get(SECTION) or {}
    if not isinstance(own, Mapping) or set(own) & set(SECTION_KEYS):
        taken = sorted(set(own) & set(SECTION_KEYS)) if isinstance(own, Mapping) else [SECTION]
        raise InputError(
            f"{SECTION}.{taken[0]}: the config sets it, and profile {chosen.name}'s directives make it;"
            " rename one"
        )
    where = str(host or chosen.name)
    swept = _directive_key(data, cli)
    if swept is None:
        fixed = str(system.get("directive") or "") if isinstance(system, Mapping) else ""
        return {**data, SECTION: {**own, **slurm_section(chosen, fixed, where)}}, chosen, None
    key, names = swept
    sections = {name: slurm_section(chosen, name, where) for name in names}

    def derive(resolved: dict[str, Any]) -> dict[str, Any]:
        mine = resolved[SECTION]
        return {**resolved, SECTION: {**mine, **sections[str(mine["name"])]}}

    return {**data, SECTION: {**own, "name": f"{{experiment.{key}}}"}}, chosen, derive
