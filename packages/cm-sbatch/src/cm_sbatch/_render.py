"""Rendering (pure): a merged config and a template become one :class:`Record` per experiment.

Everything that is the same for every experiment (attributes that do not depend on the sweep,
the template's fixed placeholders, most of ``config.yaml``) is resolved once; per experiment
only the swept values are filled in, so rendering 100,000 of them is cheap. Nothing here
touches a file: the writer (``_write``) does that.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import getitem
from typing import Any, Literal, NamedTuple

import yaml

from cm_common import InputError, Placeholder, Template, lookup_path, resolve_references

from ._config import build_spec, split_sweep
from ._naming import MAX_NAME, cap, segment, value_text
from ._sweep import Sweep
from ._values import Scalar, Value, as_number

Layout = Literal["hierarchical", "flat"]
LAYOUTS: tuple[Layout, ...] = ("hierarchical", "flat")
BUILTIN = "cm"
CLOUDMESH = "cloudmesh"
RUN_FIELDS = ("id", "directory", "index")
COMPAT_SECTIONS = ("ee", "sbatch")
RESERVED = frozenset({"experiment", "experiments", "sweep", "os"})
_MARK = "cmsbatch0identifier0mark"
_UUID_MARK = "cmsbatch0uuid0mark"
_AXIS = "\0axis"
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump_yaml(data: Any) -> str:
    """YAML text as config.yaml holds it: keys in order, block style, one line per scalar."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=2**30
    )
    return text


def random_uuids(batch: int = 1024) -> Iterator[str]:
    """Random (version 4) UUIDs' text, as ``str(uuid.uuid4())`` gives, without building the objects:
    ``batch`` of them from one read of ``os.urandom``, their version and variant bits set at once."""
    mask = int.from_bytes(bytes.fromhex("ffffffffffff0fff3fffffffffffffff") * batch)
    bits = int.from_bytes(bytes.fromhex("00000000000040008000000000000000") * batch)
    while True:
        h = ((int.from_bytes(os.urandom(16 * batch)) & mask) | bits).to_bytes(16 * batch).hex()
        for at in range(0, 32 * batch, 32):
            u = h[at : at + 32]
            yield f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"


def yaml_value(value: Value) -> str:
    """How config.yaml writes a sweep value: a config's number in its own spelling, text as text."""
    if value.number is None and value.data is not None:
        return dump_yaml({"k": str(value)})[3:-1]
    same = yaml.load(str(value), Loader=_Loader) if value.data is not None else None  # noqa: S506
    if value.data is None or (type(same) is type(value.number) and same == value.number):
        return str(value) or "null"
    return dump_yaml({"k": value.number})[3:-1]


def _escape(text: str) -> str:
    """``text`` as a literal part of a format string."""
    return text.replace("{", "{{").replace("}", "}}")


def _placeholder_paths(raw: Any) -> Iterator[str]:
    if isinstance(raw, str):
        if "{" in raw:
            yield from (p.path for p in Template(raw).placeholders)
    elif isinstance(raw, Mapping):
        for value in raw.values():
            yield from _placeholder_paths(value)
    elif isinstance(raw, list):
        for value in raw:
            yield from _placeholder_paths(value)


@dataclass(frozen=True)
class Run:
    """One experiment of a sweep: its position, id, directory and parameters (as the manifest holds them)."""

    index: int
    id: str
    directory: str
    parameters: dict[str, Scalar]


@dataclass(slots=True)  # not frozen: made once per experiment, a frozen one takes four times longer
class Record:
    """What the writer writes for one experiment: its folder, script, config.yaml and manifest entry."""

    index: int
    id: str
    directory: str
    parameters: str  # the manifest's parameters object, as JSON text
    script: str
    config: str


class _Current(NamedTuple):
    position: int
    id: str
    directory: str
    uuid: str


@dataclass(frozen=True)
class Inputs:
    """What a rendering is made from: the template, the merged config and the options."""

    text: str
    template: str  # the template's name, for errors
    data: dict[str, Any]
    cli: dict[str, list[Value]]
    layout: Layout | None = None  # None: cloudmesh-ee's one folder per experiment for an ee: config
    env: Mapping[str, str] | None = None
    source: str = "config"
    os_names: Sequence[str] = ()
    variables: Callable[[], Mapping[str, str]] = dict
    # completes each experiment's resolved attributes (the named directives of a profile)
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None


class Renderer:
    """The compiled sweep of one template: iterate :meth:`records` or :meth:`runs`."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        ee_config = isinstance(inputs.data.get("ee"), Mapping)
        self.layout: Layout = inputs.layout or ("flat" if ee_config else "hierarchical")
        self._env = dict(inputs.env or {})
        self._source = inputs.source
        self._new_uuid = random_uuids().__next__
        attributes, raw_experiment, meta = split_sweep(inputs.data, inputs.source)
        self._add_os(attributes, inputs.os_names)
        cli = inputs.cli
        self._order = [*inputs.os_names, *self._section_order(inputs.data)]
        sweep_keys = set(raw_experiment) | set(cli)
        repeat = meta.get("repeat")
        if isinstance(as_number(repeat), int) and not isinstance(repeat, bool) and as_number(repeat) != 1:
            sweep_keys.add("repeat")
        self._builtin = BUILTIN not in attributes
        self._cloudmesh = CLOUDMESH not in attributes
        self._stamped = {
            key
            for key in COMPAT_SECTIONS
            if isinstance(attributes.get(key), Mapping) and "identifier" not in attributes[key]
        }
        self._uuids = {key for key in self._stamped if "uuid" not in attributes[key]}
        clash = sorted(sweep_keys & (set(attributes) | RESERVED | ({BUILTIN} if self._builtin else set())))
        if clash:
            raise InputError(f"experiment.{clash[0]}: the name is also an attribute or reserved; rename one")
        template = Template(inputs.text, inputs.template)
        self._variables = self._load_variables(template, attributes)
        dynamic, needed = self._dependencies(attributes, sweep_keys)
        static_raw = {key: value for key, value in attributes.items() if key not in dynamic}
        own = {key: value for key, value in raw_experiment.items() if key not in cli}
        context = {**static_raw, "experiment": own, **self._variable_sections()}
        resolved = resolve_references(context, env=self._env, source=self._source)
        resolved_experiment = resolved.pop("experiment")
        for name in self._variable_sections():
            resolved.pop(name)
        self._static: dict[str, Any] = resolved
        self._needed = {key: static_raw[key] for key in needed}
        self._dynamic = {key: attributes[key] for key in attributes if key in dynamic}
        # keys given with --experiment first, in its order (as cloudmesh-ee), then the config's others
        ordered = {**cli, **{key: resolved_experiment.get(key) for key in raw_experiment if key not in cli}}
        self.sweep = Sweep(build_spec(ordered, meta))
        self._prepare_values()
        self._compile_template(template)
        self._compile_config()
        self._check_first()

    # ---- construction -------------------------------------------------------------------

    def _add_os(self, attributes: dict[str, Any], names: Sequence[str]) -> None:
        """``--os HOME,USER``: those environment variables as top-level attributes, nothing more."""
        for name in names:
            if name in attributes or name in RESERVED:
                raise InputError(f"--os {name}: the config has an attribute of that name already")
            if name not in self._env:
                raise InputError(f"--os {name}: not set in the environment")
            attributes[name] = self._env[name]

    def _load_variables(self, template: Template, attributes: Mapping[str, Any]) -> dict[str, str]:
        """The persistent variables (``cm set``), read only when ``{cloudmesh.X}`` or ``{cm.X}`` asks."""
        paths = [p.path for p in template.placeholders] + list(_placeholder_paths(attributes))
        for path in paths:
            head, _, rest = path.partition(".")
            if (head == CLOUDMESH and self._cloudmesh) or (
                head == BUILTIN and self._builtin and rest not in RUN_FIELDS
            ):
                return {str(key): str(value) for key, value in self.inputs.variables().items()}
        return {}

    def _variable_sections(self) -> dict[str, Any]:
        sections: dict[str, Any] = {}
        if self._variables and self._cloudmesh:
            sections[CLOUDMESH] = self._variables
        if self._variables and self._builtin:
            sections[BUILTIN] = self._variables
        return sections

    @staticmethod
    def _section_order(data: Mapping[str, Any]) -> list[str]:
        order: list[str] = []
        for key in data:
            name = "experiment" if key in ("experiment", "experiments") else key
            if name not in order and name != "sweep":
                order.append(name)
        return order if "experiment" in order else [*order, "experiment"]

    def _dependencies(self, attributes: Mapping[str, Any], sweep_keys: set[str]) -> tuple[set[str], set[str]]:
        """(attributes that depend on the run, static attributes those refer to)."""

        def target(path: str) -> str | None:
            head, _, rest = path.partition(".")
            if head == "os":
                return None
            if head in sweep_keys or head == "experiment":
                return _AXIS
            if head == BUILTIN and self._builtin:
                return _AXIS if rest in RUN_FIELDS else None
            if head in self._stamped and (rest == "identifier" or (rest == "uuid" and head in self._uuids)):
                return _AXIS
            if path in attributes:
                return path
            return head if head in attributes else None

        targets = {
            key: {target(path) for path in _placeholder_paths(value)} for key, value in attributes.items()
        }
        dynamic = {key for key, found in targets.items() if _AXIS in found}
        grown = True
        while grown:
            more = {key for key, found in targets.items() if key not in dynamic and found & dynamic}
            dynamic |= more
            grown = bool(more)
        needed: set[str] = set()
        todo = [t for key in dynamic for t in targets[key] if t and t != _AXIS and t not in dynamic]
        while todo:
            key = todo.pop()
            if key not in needed:
                needed.add(key)
                todo.extend(t for t in targets[key] if t and t != _AXIS)
        return dynamic, needed

    def _prepare_values(self) -> None:
        keys, values = self.sweep.keys, self.sweep.values
        self._segments = [
            [segment(key, value) for value in items] for key, items in zip(keys, values, strict=True)
        ]
        self._texts = [[str(value) for value in items] for items in values]
        # per key, per value: its line of config.yaml's experiment section and its manifest pair
        yaml_keys = [f"  {dump_yaml({key: 0})[:-4]}: " for key in keys]
        self._yaml_lines = [
            [f"{key_text}{yaml_value(value)}\n" for value in items]
            for key_text, items in zip(yaml_keys, values, strict=True)
        ]
        self._json_pairs = [
            [f"{json.dumps(key)}: {value.json}" for value in items]
            for key, items in zip(keys, values, strict=True)
        ]
        for key, items, segments in zip(keys, values, self._segments, strict=True):
            seen: dict[str, Value] = {}
            for value, name in zip(items, segments, strict=True):
                if name in seen:
                    raise InputError(
                        f"experiment.{key}: values {str(seen[name])!r} and {str(value)!r} "
                        f"would share the folder {name!r}"
                    )
                seen[name] = value

    def _classify(self, path: str) -> tuple[str, Any]:
        head, _, rest = path.partition(".")
        if head in self.sweep.keys and not rest:
            return "axis", self.sweep.keys.index(head)
        if head == "experiment":
            return ("axis", self.sweep.keys.index(rest)) if rest in self.sweep.keys else ("missing", None)
        if head == BUILTIN and self._builtin and rest in RUN_FIELDS:
            return "run", rest
        if head in self._stamped and head not in self._dynamic:
            if rest == "identifier":
                return "run", "id"
            if rest == "uuid" and head in self._uuids:
                return "run", "uuid"
        if head in self._dynamic or path in self._dynamic:
            return "dyn", path
        try:
            found = lookup_path({**self._variable_sections(), **self._static}, path, self._env)
            return "text", value_text(found)
        except KeyError:
            return "missing", None

    def _compile_template(self, template: Template) -> None:
        """The script as one format string; its fields: the swept, run and dynamic slots, in that order."""
        fmt: list[str | tuple[str, Any, bool]] = []  # literal text or a slot: (kind, what, quote)
        slots: dict[tuple[str, Any, bool], None] = {}  # the distinct slots, in the order met
        missing: list[Placeholder] = []
        for part in template.parts:
            if isinstance(part, str):
                fmt.append(_escape(part))
                continue
            kind, what = self._classify(part.path)
            if kind == "text":
                fmt.append(_escape(part.text(what)))
            elif kind == "missing":
                missing.append(part)
            else:
                fmt.append((kind, what, part.quote))
                slots[(kind, what, part.quote)] = None
        self._placeholders = template.placeholders
        if missing:
            self._unresolved(missing)
        ordered = sorted(slots, key=lambda slot: ("axis", "run", "dyn").index(slot[0]))
        self._format = "".join(p if isinstance(p, str) else f"{{{ordered.index(p)}}}" for p in fmt)
        # a swept value's text in the script, quoted where its placeholder asks, made once per value
        self._axis_slots = [
            (what, [shlex.quote(text) for text in self._texts[what]] if quote else self._texts[what])
            for kind, what, quote in ordered
            if kind == "axis"
        ]
        fields = _Current._fields
        self._run_slots = [
            (fields.index("position" if what == "index" else what), quote)
            for kind, what, quote in ordered
            if kind == "run"
        ]
        self._dyn_slots = [(what, quote) for kind, what, quote in ordered if kind == "dyn"]
        self._resolves = bool(self._dynamic or self._dyn_slots)

    def _unresolved(self, missing: Sequence[Placeholder]) -> None:
        where = ", ".join(f"{self.inputs.template}:{p.line}: {p}" for p in missing)
        plural = "s" if len(missing) > 1 else ""
        raise InputError(f"unresolved placeholder{plural}: {where}")

    def _compile_config(self) -> None:
        """config.yaml as one format string: {0} the id, {1} the uuid, then one field per swept key
        (its line) and one per dynamic section."""
        chunks: list[str] = []
        self._dyn_sections: list[str] = []
        lines = 2 + len(self.sweep.keys)
        for key in self._order:
            if key == "experiment":
                fields = "".join(f"{{{n}}}" for n in range(2, lines))
                chunks.append(f"experiment:\n{fields}" if fields else "experiment: {{}}\n")
            elif key in self._dynamic:
                chunks.append(f"{{{lines + len(self._dyn_sections)}}}")
                self._dyn_sections.append(key)
            elif key in self._stamped:
                marks = {"identifier": _MARK, **({"uuid": _UUID_MARK} if key in self._uuids else {})}
                text = _escape(dump_yaml({key: {**self._static[key], **marks}}))
                chunks.append(text.replace(_MARK, "'{0}'").replace(_UUID_MARK, "{1}"))
            else:
                chunks.append(_escape(dump_yaml({key: self._static[key]})))
        self._config_format = "".join(chunks)

    def _check_first(self) -> None:
        if not self._resolves:
            return
        for position, index, run_id, directory in self._indexed():
            resolved = self._resolve_dynamic(index, _Current(position, run_id, directory, ""))
            missing = []
            for placeholder in self._placeholders:
                if self._classify(placeholder.path)[0] == "dyn":
                    try:
                        lookup_path(resolved, placeholder.path, self._env)
                    except KeyError:
                        missing.append(placeholder)
            if missing:
                self._unresolved(missing)
            return

    # ---- experiments ----------------------------------------------------------------------

    # Per experiment, the tables made once per value are read with map(getitem, tables, index):
    # an index holds one position per key, as each list of tables holds one table per key.

    def _name(self, index: tuple[int, ...]) -> tuple[str, str]:
        flat = "_".join(map(getitem, self._segments, index)) if index else "default"
        if len(flat) > MAX_NAME:
            flat = cap(flat, MAX_NAME, json.dumps(self._texts_of(index)))
        if self.layout == "flat" or not index:
            return flat, flat
        return flat, "/".join(map(getitem, self._segments, index))

    def _texts_of(self, index: tuple[int, ...]) -> dict[str, str]:
        return {key: texts[i] for key, texts, i in zip(self.sweep.keys, self._texts, index, strict=True)}

    def _indexed(self) -> Iterator[tuple[int, tuple[int, ...], str, str]]:
        for position, index in enumerate(self.sweep.indices()):
            run_id, directory = self._name(index)
            yield position, index, run_id, directory

    def _parameters(self, index: tuple[int, ...]) -> dict[str, Scalar]:
        return {key: value.data for key, value in self.sweep.parameters(index).items()}

    def runs(self) -> Iterator[Run]:
        """Every experiment as a :class:`Run`, in a fixed order."""
        for position, index, run_id, directory in self._indexed():
            yield Run(position, run_id, directory, self._parameters(index))

    def _resolve_dynamic(self, index: tuple[int, ...], current: _Current) -> dict[str, Any]:
        context: dict[str, Any] = {**self._needed, **self._dynamic, **self._variable_sections()}
        for key in self._stamped & context.keys():
            context[key] = {**context[key], "identifier": current.id}
            if key in self._uuids:
                context[key]["uuid"] = current.uuid
        texts = self._texts_of(index)
        context["experiment"] = texts
        context.update(texts)
        if self._builtin:
            run_fields = {"id": current.id, "directory": current.directory, "index": current.position}
            context[BUILTIN] = {**context.get(BUILTIN, {}), **run_fields}
        resolved = resolve_references(context, env=self._env, source=self._source)
        return self.inputs.derive(resolved) if self.inputs.derive else resolved

    def _record(self, position: int, index: tuple[int, ...], run_id: str, directory: str) -> Record:
        uuid = self._new_uuid() if self._uuids else ""
        run = (position, run_id, directory, uuid)  # as _Current holds them
        script = [texts[index[what]] for what, texts in self._axis_slots]
        for at, quote in self._run_slots:
            text = str(run[at])
            script.append(shlex.quote(text) if quote else text)
        config = [run_id, uuid, *map(getitem, self._yaml_lines, index)]
        if self._resolves:
            resolved = self._resolve_dynamic(index, _Current(*run))
            for path, quote in self._dyn_slots:
                text = value_text(lookup_path(resolved, path, self._env))
                script.append(shlex.quote(text) if quote else text)
            config += [dump_yaml({key: resolved[key]}) for key in self._dyn_sections]
        parameters = ", ".join(map(getitem, self._json_pairs, index))
        return Record(
            position,
            run_id,
            directory,
            f"{{{parameters}}}",
            self._format.format(*script),
            self._config_format.format(*config),
        )

    def records(self) -> Iterator[Record]:
        """Every experiment's :class:`Record`, in the order of :meth:`runs`."""
        for position, index, run_id, directory in self._indexed():
            yield self._record(position, index, run_id, directory)

    def record(self, position: int) -> Record:
        """The record of the experiment at ``position``."""
        for found, index, run_id, directory in self._indexed():
            if found == position:
                return self._record(found, index, run_id, directory)
        raise IndexError(f"no run {position}: the sweep has {len(self.sweep)}")
