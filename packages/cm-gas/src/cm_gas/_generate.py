"""``cm-gas generate``: a validated OpenAPI 3.1 spec, a server module, requirements and a Dockerfile.

Everything is made in memory first (so an error writes nothing), then each file is written
atomically. The user's module is copied next to the server, so the folder runs on its own
(``uvicorn server:app``) and builds as a container image.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import json
import sys
from collections.abc import Collection
from pathlib import Path

from cm_common import InputError, atomic_write_text

from ._app import service
from ._auth import AuthMode
from ._loader import Source, load
from ._spec import to_yaml, validate
from ._version import __version__

SERVER = "server.py"


@dataclasses.dataclass(frozen=True)
class Generated:
    """What ``generate`` wrote: the folder, the files and the number of operations."""

    out: Path
    files: tuple[str, ...]
    operations: int


def _server_module(
    source: Source, title: str, version: str, auth: AuthMode, get: bool | Collection[str]
) -> str:
    module = source.module_name
    served = "".join(f"    {module}.{name},\n" for name in source.names)
    chosen = get if isinstance(get, bool) else sorted(get)
    gets = f"    get={chosen if isinstance(chosen, bool) else json.dumps(chosen)},\n" if get else ""
    return f'''"""The REST service of {source.path.name}, made by cm-gas {__version__}.

Run it from this folder: uvicorn server:app --host 127.0.0.1 --port 8000
The spec is at /openapi.json (and in openapi.yaml). CM_GAS_HOSTS: more Host names to answer to.
"""

import os

from cm_gas import service

import {module}

app = service(
{served}    title={json.dumps(title)},
    version={json.dumps(version)},
    auth={json.dumps(auth)},
{gets}    allow_hosts=[name for name in os.environ.get("CM_GAS_HOSTS", "").split(",") if name],
)
'''


def _requirements(source: Source) -> str:
    """cm-gas, and the installed distributions the user's module imports (pinned to what is here)."""
    lines = [f"cm-gas>={__version__}"]
    try:
        tree = ast.parse(source.path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return "\n".join(lines) + "\n"
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    local = {p.stem for p in source.path.parent.glob("*.py")}
    third_party = sorted(imported - set(sys.stdlib_module_names) - local - {"cm_gas", "__future__"})
    owners = importlib.metadata.packages_distributions() if third_party else {}  # scans every dist
    for name in third_party:
        for dist in owners.get(name, [name]):
            try:
                lines.append(f"{dist}=={importlib.metadata.version(dist)}")
            except importlib.metadata.PackageNotFoundError:
                lines.append(dist)
    return "\n".join(dict.fromkeys(lines)) + "\n"


DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home gas
USER gas
# The token (or users.json for Basic auth) lives here: mount a volume to keep it.
ENV CM_HOME=/home/gas/.cm
EXPOSE 8000
CMD ["uvicorn", "server:app", "--host", "0.0.0.0", "--port", "8000"]
"""


def generate(
    target: str,
    out: Path,
    *,
    every: bool = False,
    title: str | None = None,
    version: str = "0.1.0",
    auth: AuthMode = "token",
    get: bool | Collection[str] = False,
    docker: bool = False,
) -> Generated:
    """Write the spec, server, requirements (and with ``docker`` a Dockerfile) for ``target`` into ``out``."""
    source = load(target, every=every)
    if source.path.name == SERVER:
        raise InputError(f"{source.path}: rename it: the generated server is called {SERVER}")
    name = title or f"{source.module_name} service"
    # The spec needs no real secret: the placeholder token stays in memory.
    app = service(*source.targets, title=name, version=version, auth=auth, token="-", get=get)  # noqa: S106
    spec = app.openapi()
    validate(spec)
    files = {
        "openapi.yaml": to_yaml(spec),
        SERVER: _server_module(source, name, version, auth, get),
        "requirements.txt": _requirements(source),
    }
    copy = out / source.path.name
    if not copy.exists() or copy.resolve() != source.path.resolve():
        files[source.path.name] = source.path.read_text(encoding="utf-8")
    if docker:
        files["Dockerfile"] = DOCKERFILE
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: not a folder")
    for file, text in files.items():
        atomic_write_text(out / file, text)
    operations = sum(len(ops) for path, ops in spec["paths"].items() if path != "/health")
    return Generated(out, tuple(files), operations)
