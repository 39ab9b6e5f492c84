"""The ``clouds:`` and ``vm:`` sections of the settings: loading, choosing the cloud, checking, importing.

Secrets live in ``$CM_HOME/settings.yaml``, which cm-vm writes with mode 0600; they are
shown masked and never printed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cm_common import (
    InputError,
    Variables,
    atomic_write_text,
    file_lock,
    load_settings,
    load_yaml,
    settings_path,
)

from ._kinds import kind_of, missing
from ._models import CloudConfig, Clouds, Defaults, VmSettings

MASK = "********"
# The dummy cloud works with no settings at all, for a first try without an account.
BUILTIN = {"dummy": CloudConfig(kind="dummy", defaults=Defaults(image="1", size="1"))}


def clouds() -> dict[str, CloudConfig]:
    """Every configured cloud (plus the built-in ``dummy`` unless configured otherwise)."""
    configured = load_settings().section("clouds", Clouds).root
    return {**BUILTIN, **configured}


def vm_settings() -> VmSettings:
    """The ``vm:`` section."""
    return load_settings().section("vm", VmSettings)


def choose(name: str | None) -> tuple[str, CloudConfig]:
    """The cloud to use: ``--cloud``, else ``cm get cloud``, else ``vm.cloud`` in the settings."""
    chosen = name or Variables().get("cloud") or vm_settings().cloud
    known = clouds()
    if not chosen:
        raise InputError(
            f"no cloud chosen: pass --cloud or run `cm set cloud=NAME` (clouds: {', '.join(known)})"
        )
    if chosen not in known:
        raise InputError(f"unknown cloud {chosen!r} (configured: {', '.join(known)}; see cm-vm config check)")
    return chosen, known[chosen]


def masked(cloud: CloudConfig) -> dict[str, str]:
    """The credentials of ``cloud`` with every value masked; env-held ones name their variable."""
    shown = {key: MASK for key in cloud.credentials}
    shown.update({key: f"${var}" for key, var in cloud.env.items() if key not in shown})
    return shown


def check() -> list[dict[str, Any]]:
    """One record per cloud: kind, region or endpoint, status and exactly what is missing."""
    records = []
    for name, cloud in clouds().items():
        problems = missing(name, cloud)
        records.append(
            {
                "cloud": name,
                "kind": cloud.kind,
                "provider": kind_of(cloud).provider,
                "where": cloud.endpoint or cloud.region or "",
                "credentials": ", ".join(f"{k}={v}" for k, v in masked(cloud).items()),
                "status": "ok" if not problems else "missing: " + "; ".join(problems),
            }
        )
    return records


def file_problem(path: Path | None = None) -> str | None:
    """Why the settings file is unsafe for secrets (readable by others), or None."""
    file = path or settings_path()
    if not file.exists():
        return None
    mode = stat.S_IMODE(file.stat().st_mode)
    return f"{file} is readable by others (mode {mode:o}; run chmod 600)" if mode & 0o077 else None


def save(entries: dict[str, dict[str, Any]]) -> Path:
    """Add or replace cloud entries in the settings file (locked, atomic, mode 0600)."""
    path = settings_path()
    with file_lock(path.with_name(path.name + ".lock")):
        data = (load_yaml(path) if path.exists() else None) or {}
        if not isinstance(data, dict):
            raise InputError(f"{path}: expected a mapping at the top")
        section = data.get("clouds") or {}
        section.update(entries)
        try:
            Clouds.model_validate(section)
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise InputError(f"imported cloud entry {where}: {problem['msg']}") from None
        data["clouds"] = section
        atomic_write_text(path, yaml.safe_dump(data, sort_keys=False), mode=0o600)
    return path


# cloudmesh.yaml credential names, per kind, mapped to this package's credential names.
_CREDENTIALS = {
    "aws": {"EC2_ACCESS_ID": "key", "EC2_SECRET_KEY": "secret"},
    "azure": {
        "AZURE_TENANT_ID": "tenant_id",
        "AZURE_SUBSCRIPTION_ID": "subscription_id",
        "AZURE_APPLICATION_ID": "key",
        "AZURE_SECRET_KEY": "secret",
    },
    "google": {"client_email": "user_id", "path_to_json_file": "key"},
    "openstack": {"OS_USERNAME": "key", "OS_PASSWORD": "secret", "username": "key", "password": "secret"},
}
_PLACEHOLDERS = {"", "TBD", "tbd", "TODO", "XXX"}


def _given(value: Any) -> bool:
    return value is not None and str(value).strip() not in _PLACEHOLDERS and "xxxx" not in str(value)


def _defaults(default: dict[str, Any], creds: dict[str, Any]) -> dict[str, Any]:
    out = {key: default[key] for key in ("image", "size", "username") if _given(default.get(key))}
    extra = {
        "security_group": creds.get("EC2_SECURITY_GROUP"),
        "key_file": creds.get("EC2_PRIVATE_KEY_FILE_PATH") or creds.get("key_path"),
        "key": creds.get("EC2_PRIVATE_KEY_FILE_NAME"),
    }
    out.update({key: str(value) for key, value in extra.items() if _given(value)})
    if out.get("key_file", "").endswith(".pub"):
        out["key_file"] = out["key_file"][: -len(".pub")]
    return out


def _where(kind: str, default: dict[str, Any], creds: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    region = {
        "aws": creds.get("region"),
        "azure": creds.get("AZURE_REGION"),
        "google": default.get("zone") or creds.get("zone"),
        "openstack": creds.get("region_name") or creds.get("OS_REGION_NAME"),
    }.get(kind)
    if _given(region):
        out["region"] = str(region)
    endpoint = auth.get("auth_url") or creds.get("OS_AUTH_URL")
    if kind == "openstack" and _given(endpoint):
        out["endpoint"] = str(endpoint)
    options: dict[str, Any] = {}
    if kind == "google" and _given(creds.get("project_id")):
        options["project"] = str(creds["project_id"])
    if kind == "openstack":
        tenant = auth.get("project_name") or creds.get("OS_TENANT_NAME") or creds.get("OS_PROJECT_NAME")
        domain = auth.get("user_domain_name") or creds.get("OS_USER_DOMAIN_NAME")
        options.update(
            {k: str(v) for k, v in (("ex_tenant_name", tenant), ("ex_domain_name", domain)) if _given(v)}
        )
    if options:
        out["options"] = options
    return out


def from_cloudmesh(name: str, entry: Any, source: str) -> dict[str, Any]:
    """The settings entry for cloud ``name`` of a cloudmesh.yaml (``cloudmesh.cloud.NAME``)."""
    if not isinstance(entry, dict):
        raise InputError(f"{source}: cloudmesh.cloud.{name}: expected a mapping")
    cm, default, creds = (entry.get(key) or {} for key in ("cm", "default", "credentials"))
    for key, value in (("cm", cm), ("default", default), ("credentials", creds)):
        if not isinstance(value, dict):
            raise InputError(f"{source}: cloudmesh.cloud.{name}.{key}: expected a mapping")
    kind = str(cm.get("kind") or name)
    kind = {"ec2": "aws", "gce": "google", "azure_arm": "azure", "chameleon": "openstack"}.get(kind, kind)
    auth = creds["auth"] if isinstance(creds.get("auth"), dict) else {}
    flat = {**creds, **auth}
    secrets = {
        ours: str(flat[theirs])
        for theirs, ours in _CREDENTIALS.get(kind, {}).items()
        if _given(flat.get(theirs))
    }
    result: dict[str, Any] = {"kind": kind}
    if _given(cm.get("label")):
        result["label"] = str(cm["label"])
    if "active" in cm:
        result["active"] = str(cm["active"]).lower() in ("true", "yes", "1")
    if secrets:
        result["credentials"] = secrets
    result.update(_where(kind, default, creds, auth))
    defaults = _defaults(default, creds)
    if defaults:
        result["defaults"] = defaults
    return result


def read_cloudmesh(path: Path) -> dict[str, dict[str, Any]]:
    """Every cloud of a cloudmesh.yaml, as settings entries."""
    data = load_yaml(path)
    section = (data or {}).get("cloudmesh", {}).get("cloud") if isinstance(data, dict) else None
    if not isinstance(section, dict) or not section:
        raise InputError(f"{path}: no cloudmesh.cloud section with clouds")
    return {str(name): from_cloudmesh(str(name), entry, str(path)) for name, entry in section.items()}


def default_cloudmesh_file() -> Path:
    """``~/.cloudmesh/cloudmesh.yaml``."""
    return Path(os.path.expanduser("~/.cloudmesh/cloudmesh.yaml"))
