"""Reading workflow files: the native form and the cloudmesh-cc form, errors naming file, line and field."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cm_common import InputError, parse_yaml, paused_gc, read_text

from ._models import Job, WorkflowSpec

# Node fields of the cloudmesh-cc form that record a past run's state or bookkeeping, not what to run:
# read and dropped (docs/cc.md says why for each). ``parent`` becomes needs; ``shape``/``style`` are drawn.
_CLOUDMESH_STATE = {
    "status",
    "progress",
    "created",
    "modified",
    "instance",
    "done",
    "venv",
    "pid",
    "output",
    "number",
}
_ACTIONS = ("exec", "script", "python", "notebook")
_BY_SUFFIX = {".sh": "script", ".py": "python", ".ipynb": "notebook"}


def _line(text: str, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the value at ``path`` in the YAML ``text`` (the deepest part found)."""
    node: Any = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    line = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(part)]
            if not match:
                break
            key, node = match[0]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _problem(error: ValidationError) -> tuple[tuple[str | int, ...], str]:
    first = error.errors()[0]
    value = first.get("input")
    shown = f" (value {value!r})" if not isinstance(value, dict | list) and value is not None else ""
    return tuple(first["loc"]), f"{first['msg']}{shown}"


def _fail(source: str, text: str | None, path: Sequence[str | int], message: str) -> InputError:
    line = _line(text, path) if text else None
    where = f"{source}:{line}" if line else source
    field = ".".join(str(part) for part in path)
    return InputError(f"{where}: {'field ' + field + ': ' if field else ''}{message}")


def _job(raw: Any, prefix: tuple[str | int, ...], source: str, text: str | None) -> Job:
    if not isinstance(raw, dict):
        raise _fail(source, text, prefix, f"expected a mapping, found {type(raw).__name__}")
    try:
        return Job.model_validate(raw)
    except ValidationError as error:
        loc, message = _problem(error)
        raise _fail(source, text, (*prefix, *loc), message) from None


def _suffix(path: str) -> str:
    """``Path(path).suffix`` without making a Path (a tenth of the load time at 10,000 nodes)."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _cloudmesh_node(name: str, raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    node = {key: value for key, value in raw.items() if key not in _CLOUDMESH_STATE and value is not None}
    node.setdefault("name", name)
    parents = node.pop("parent", None) or []
    node["needs"] = [str(p) for p in (parents if isinstance(parents, list) else [parents])]
    if "label_format" in node:  # the template; cloudmesh-cc saves the drawn text as label beside it
        node["label"] = node.pop("label_format")
    if name in ("start", "end"):
        node.setdefault("shape", "diamond")  # as cloudmesh-cc draws them
    if not any(key in node for key in _ACTIONS):
        node["script"] = f"{node['name']}.sh"  # cloudmesh-cc runs NAME.sh by default
    command = node.get("exec")
    suffix = _suffix(command) if isinstance(command, str) and " " not in command else ""
    if suffix in (".py", ".ipynb"):
        node[_BY_SUFFIX[suffix]] = node.pop("exec")
    if node.get("kind", "local") == "local":
        node.pop("host", None)
        node.pop("user", None)
    script = node.get("script")
    suffix = _suffix(script) if isinstance(script, str) else ""
    if suffix in _BY_SUFFIX:
        node[_BY_SUFFIX[suffix]] = node.pop("script")
    return node


def _cloudmesh_jobs(data: dict[str, Any], source: str, text: str | None) -> list[Job]:
    flow = data["workflow"]
    if not isinstance(flow, dict) or not isinstance(flow.get("nodes"), dict):
        raise _fail(source, text, ("workflow", "nodes"), "expected a mapping of nodes")
    if not flow["nodes"]:
        raise _fail(source, text, ("workflow", "nodes"), "no nodes: a workflow needs at least one job")
    jobs = {
        name: _job(_cloudmesh_node(str(name), raw), ("workflow", "nodes", name), source, text)
        for name, raw in flow["nodes"].items()
    }
    for name, job in jobs.items():
        if job.name != str(name):
            field = ("workflow", "nodes", name, "name")
            raise _fail(source, text, field, f"{job.name!r} differs from the node's key {str(name)!r}")
    for index, chain in enumerate(_chains(flow.get("dependencies"))):
        names = [part.strip() for part in chain.split(",") if part.strip()]
        for before, after in itertools.pairwise(names):
            unknown = [name for name in (before, after) if name not in jobs]
            if unknown:
                where = ("workflow", "dependencies", index)
                raise _fail(source, text, where, f"unknown dependency {unknown[0]!r}")
            if before not in jobs[after].needs:
                jobs[after].needs.append(before)
    return list(jobs.values())


def _chains(dependencies: Any) -> list[str]:
    """Dependency chains: ``["a,b,c"]`` as written, or the edges cloudmesh-cc saves
    (``{"a-b": {"source": "a", "destination": "b"}}``) as ``"a,b"``."""
    if isinstance(dependencies, dict):
        return [
            f"{edge.get('source')},{edge.get('destination')}" if isinstance(edge, dict) else str(key)
            for key, edge in dependencies.items()
        ]
    return [str(chain) for chain in dependencies or []]


def _native_jobs(data: dict[str, Any], source: str, text: str | None) -> list[Job]:
    raw_jobs = data.get("jobs") or []
    if isinstance(raw_jobs, dict):
        items = [({"name": name, **(raw or {})}, ("jobs", name)) for name, raw in raw_jobs.items()]
    elif isinstance(raw_jobs, list):
        items = [(raw, ("jobs", index)) for index, raw in enumerate(raw_jobs)]
    else:
        raise _fail(source, text, ("jobs",), "expected a list or mapping of jobs")
    if not items:
        raise _fail(source, text, ("jobs",), "no jobs: a workflow needs at least one")
    return [_job(raw, path, source, text) for raw, path in items]


def spec_from_data(data: Any, source: str, base: Path, text: str | None = None) -> WorkflowSpec:
    """Validate parsed YAML (either form) into a :class:`WorkflowSpec`; ``base`` anchors relative paths."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping at the top, found {type(data).__name__}")
    cloudmesh = "workflow" in data
    jobs = _cloudmesh_jobs(data, source, text) if cloudmesh else _native_jobs(data, source, text)
    rest = {key: value for key, value in data.items() if key not in ("workflow", "jobs")}
    rest.setdefault("name", Path(source).stem if source.endswith((".yaml", ".yml")) else "workflow")
    try:
        return WorkflowSpec.model_validate({**rest, "jobs": jobs, "base": str(base)})
    except ValidationError as error:
        loc, message = _problem(error)
        raise _fail(source, text, loc, message) from None


def load_spec(path: str | Path) -> WorkflowSpec:
    """Read a workflow file in the native or the cloudmesh-cc form."""
    file = Path(path)
    text = read_text(file)
    with paused_gc():  # the parsed file stays alive while its jobs are validated
        return spec_from_data(parse_yaml(text, str(file)), str(file), file.resolve().parent, text)
