"""The kinds of cloud cm-vm knows by name, and how a settings entry becomes a libcloud driver.

A kind is a row of data, not code: which libcloud provider, which credentials it takes in
order, where the region goes, and which create_node arguments carry a key pair or group.
A cloud whose kind is not here names its libcloud ``provider`` and ``args`` in the settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cm_common import InputError

from ._models import CloudConfig


@dataclass(frozen=True)
class Kind:
    """How to build and use the driver of one kind of cloud."""

    provider: str
    args: tuple[str, ...] = ()
    region_arg: str | None = "region"
    required_options: tuple[str, ...] = ()
    option_defaults: dict[str, Any] = field(default_factory=dict)
    key_arg: str | None = None
    group_arg: str | None = None
    endpoint_arg: str | None = None


KINDS: dict[str, Kind] = {
    "aws": Kind("ec2", ("key", "secret"), key_arg="ex_keyname", group_arg="ex_security_groups"),
    "google": Kind("gce", ("user_id", "key"), region_arg="datacenter", required_options=("project",)),
    "azure": Kind("azure_arm", ("tenant_id", "subscription_id", "key", "secret")),
    "openstack": Kind(
        "openstack",
        ("key", "secret"),
        region_arg="ex_force_service_region",
        option_defaults={"ex_force_auth_version": "3.x_password"},
        key_arg="ex_keyname",
        endpoint_arg="ex_force_auth_url",
    ),
    "dummy": Kind("dummy", (), region_arg=None),
}
ALIASES = {"ec2": "aws", "gce": "google", "azure_arm": "azure", "chameleon": "openstack"}


def kind_of(cloud: CloudConfig) -> Kind:
    """The kind of ``cloud``: a known one, or one built from its ``provider`` and ``args``."""
    known = KINDS.get(ALIASES.get(cloud.kind, cloud.kind))
    if known is not None and cloud.provider is None and cloud.args is None:
        return known
    if known is not None:
        args = tuple(cloud.args) if cloud.args is not None else known.args
        return Kind(**{**known.__dict__, "provider": cloud.provider or known.provider, "args": args})
    return Kind(cloud.provider or cloud.kind, tuple(cloud.args or ("key", "secret")))


def credential(name: str, cloud: CloudConfig) -> str | None:
    """The value of credential ``name``: from the settings, else the environment variable named."""
    if name in cloud.credentials:
        return cloud.credentials[name].get_secret_value()
    variable = cloud.env.get(name)
    return os.environ.get(variable) if variable else None


def missing(cloud_name: str, cloud: CloudConfig) -> list[str]:
    """What the entry lacks before a driver can be built, each as one readable phrase."""
    kind = kind_of(cloud)
    problems = []
    for name in kind.args:
        if credential(name, cloud):
            continue
        variable = cloud.env.get(name)
        where = f"environment variable {variable} is unset" if variable else f"set credentials.{name}"
        problems.append(f"credential {name} ({where})")
    for name in kind.required_options:
        if name not in cloud.options:
            problems.append(f"option {name} (set options.{name})")
    if kind.endpoint_arg and not cloud.endpoint and kind.endpoint_arg not in cloud.options:
        problems.append("endpoint (set endpoint: the identity URL)")
    if kind.provider == "ec2" and cloud.region is None and cloud.endpoint is None:
        problems.append("region (set region, e.g. us-east-1)")
    return problems


def _endpoint_kwargs(kind: Kind, endpoint: str) -> dict[str, Any]:
    if kind.endpoint_arg:
        return {kind.endpoint_arg: endpoint}
    parts = urlsplit(endpoint if "//" in endpoint else f"https://{endpoint}")
    if not parts.hostname:
        raise InputError(f"endpoint {endpoint!r}: expected a URL such as https://ec2.example.org:8773")
    kwargs: dict[str, Any] = {"host": parts.hostname, "secure": parts.scheme != "http"}
    if parts.port:
        kwargs["port"] = parts.port
    return kwargs


def driver_arguments(cloud_name: str, cloud: CloudConfig) -> tuple[list[str], dict[str, Any]]:
    """Positional and keyword arguments of the driver's constructor; an InputError says what is missing."""
    problems = missing(cloud_name, cloud)
    if problems:
        raise InputError(f"cloud {cloud_name!r}: missing {'; '.join(problems)} (see cm-vm config check)")
    kind = kind_of(cloud)
    args = [credential(name, cloud) or "" for name in kind.args]
    kwargs: dict[str, Any] = {**kind.option_defaults, **cloud.options}
    if cloud.region and kind.region_arg:
        kwargs[kind.region_arg] = cloud.region
    if cloud.endpoint:
        kwargs.update(_endpoint_kwargs(kind, cloud.endpoint))
    if kind.provider == "ec2":
        kwargs["signature_version"] = "4"  # with v2 an S3-like answer parses as an empty list
    return args, kwargs
