"""An experiment: a template and configs that expand into many runs, each rendered and named.

Everything that is the same for every run (attributes that do not depend on the sweep, the
template's fixed placeholders, most of ``config.yaml``) is resolved once; per run only the
swept values are filled in, so generating 100,000 runs is mostly file writing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from cm_common import InputError, Placeholder, Template, lookup_path, resolve_references

from ._config import ConfigInput, build_spec, merge_configs, split_sweep
from ._naming import MAX_NAME, cap, segment, value_text
from ._sweep import Sweep
from ._values import Scalar, expand, parse_sweep_option

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._jobs import SweepOutput

Layout = Literal["hierarchical", "flat"]
LAYOUTS: tuple[Layout, ...] = ("hierarchical", "flat")
BUILTIN = "cm"
COMPAT_SECTIONS = ("ee", "sbatch")
RESERVED = frozenset({"experiment", "experiments", "sweep", "os"})
_MARK = "cmsbatch0identifier0mark"
_AXIS = "\0axis"
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_yaml(data: Any) -> str:
    """YAML text as config.yaml holds it: keys in order, block style, one line per scalar."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=2**30
    )
    return text


def script_name(template: str) -> str:
    """The rendered script's name: the template's without ``.in`` (``slurm.in.sh`` -> ``slurm.sh``)."""
    if ".in." in template:
        return template.replace(".in.", ".", 1)
    if template.endswith(".in"):
        return template[:-3]
    return template


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
    """One experiment of a sweep: its position, id (= flat directory name), directory and parameters."""

    index: int
    id: str
    directory: str
    parameters: dict[str, Scalar]


class Experiment:
    """A parameter sweep over one script template.

    ``Experiment("slurm.in.sh", ["config.yaml"], overrides=["data.batch=32"], experiment="epoch=1,2")``
    merges the configs in order, applies ``overrides`` and the ``experiment`` sweep on top,
    resolves references between attributes and checks every template placeholder: bad input
    raises :class:`cm_common.InputError` naming all problems. ``len()`` does not materialise
    the runs; iterating yields :class:`Run` objects in a fixed order.

    Configs are file paths (YAML or JSON) or mappings; ``text`` gives the template's text
    directly (``template`` then only names it); ``env`` replaces ``os.environ`` for ``{os.X}``.
    """

    def __init__(
        self,
        template: str | os.PathLike[str],
        config: ConfigInput | Sequence[ConfigInput] = (),
        *,
        overrides: Sequence[str] | Mapping[str, Any] = (),
        experiment: str | Mapping[str, Any] | None = None,
        layout: Layout = "hierarchical",
        env: Mapping[str, str] | None = None,
        text: str | None = None,
    ) -> None:
        self.template = Path(template)
        if layout not in LAYOUTS:
            raise InputError(f"--layout: expected one of {', '.join(LAYOUTS)}, got {layout!r}")
        self.layout: Layout = layout
        self.script = script_name(self.template.name)
        self._script_json = json.dumps(self.script)[1:-1]
        if text is None:
            try:
                text = self.template.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InputError(f"{self.template}: no such template") from None
            except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
                raise InputError(f"{self.template}: cannot read: {type(error).__name__}") from None
        self._env = dict(os.environ if env is None else env)
        configs = [config] if isinstance(config, str | os.PathLike | Mapping) else list(config)
        self._source = ", ".join(str(c) for c in configs if not isinstance(c, Mapping)) or "config"
        data = merge_configs(configs, overrides)
        attributes, raw_experiment, meta = split_sweep(data)
        cli = self._cli_sweep(experiment)
        self._order = self._section_order(data)
        sweep_keys = set(raw_experiment) | set(cli)
        if isinstance(meta.get("repeat"), int) and meta["repeat"] > 1:
            sweep_keys.add("repeat")
        self._builtin = BUILTIN not in attributes
        self._stamped = {
            key
            for key in COMPAT_SECTIONS
            if isinstance(attributes.get(key), Mapping) and "identifier" not in attributes[key]
        }
        clash = sorted(sweep_keys & (set(attributes) | RESERVED | ({BUILTIN} if self._builtin else set())))
        if clash:
            raise InputError(f"experiment.{clash[0]}: the name is also an attribute or reserved; rename one")
        dynamic, needed = self._dependencies(attributes, sweep_keys)
        static_raw = {key: value for key, value in attributes.items() if key not in dynamic}
        own = {key: value for key, value in raw_experiment.items() if key not in cli}
        resolved = resolve_references({**static_raw, "experiment": own}, env=self._env, source=self._source)
        self._static: dict[str, Any] = resolved
        resolved_experiment = resolved.pop("experiment")
        self._needed = {key: static_raw[key] for key in needed}
        self._dynamic = {key: attributes[key] for key in attributes if key in dynamic}
        ordered = {key: cli.get(key, resolved_experiment.get(key)) for key in raw_experiment}
        self.sweep = Sweep(build_spec({**ordered, **cli}, meta))
        self._prepare_values()
        self._compile_template(text)
        self._compile_config()
        self._check_first()

    # ---- construction -------------------------------------------------------------------

    @staticmethod
    def _cli_sweep(experiment: str | Mapping[str, Any] | None) -> dict[str, list[Scalar]]:
        if experiment is None:
            return {}
        if isinstance(experiment, str):
            return parse_sweep_option(experiment)
        return {str(key): expand(value, f"experiment {key}") for key, value in experiment.items()}

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
            head = path.split(".", 1)[0]
            if head == "os":
                return None
            if head in sweep_keys or head == "experiment" or (head == BUILTIN and self._builtin):
                return _AXIS
            if head in self._stamped and path == f"{head}.identifier":
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
        self._texts = [[value_text(value) for value in items] for items in values]
        self._yaml_keys = [f"  {dump_yaml({key: 0})[:-4]}: " for key in keys]
        self._yaml_values = [[dump_yaml({"k": value})[3:-1] for value in items] for items in values]
        self._json_keys = [f"{json.dumps(key)}: " for key in keys]
        self._json_values = [[json.dumps(value) for value in items] for items in values]
        for key, items, segments in zip(keys, values, self._segments, strict=True):
            seen: dict[str, Scalar] = {}
            for value, name in zip(items, segments, strict=True):
                if name in seen:
                    raise InputError(
                        f"experiment.{key}: values {seen[name]!r} and {value!r} "
                        f"would share the folder {name!r}"
                    )
                seen[name] = value

    def _classify(self, path: str) -> tuple[str, Any]:
        head, _, rest = path.partition(".")
        if head in self.sweep.keys and not rest:
            return "axis", self.sweep.keys.index(head)
        if head == "experiment":
            return ("axis", self.sweep.keys.index(rest)) if rest in self.sweep.keys else ("missing", None)
        if head == BUILTIN and self._builtin:
            return ("cm", rest) if rest in ("id", "directory", "index") else ("missing", None)
        if head in self._stamped and rest == "identifier" and head not in self._dynamic:
            return "cm", "id"
        if head in self._dynamic or path in self._dynamic:
            return "dyn", path
        try:
            return "text", value_text(lookup_path(self._static, path, self._env))
        except KeyError:
            return "missing", None

    def _compile_template(self, text: str) -> None:
        template = Template(text, self.template.name)
        fmt: list[str] = []
        self._slots: list[tuple[str, Any]] = []
        missing: list[Placeholder] = []
        for part in template.parts:
            if isinstance(part, str):
                fmt.append(part.replace("{", "{{").replace("}", "}}"))
                continue
            kind, what = self._classify(part.path)
            if kind == "text":
                fmt.append(str(what).replace("{", "{{").replace("}", "}}"))
            elif kind == "missing":
                missing.append(part)
            else:
                fmt.append("{}")
                self._slots.append((kind, what))
        self._placeholders = template.placeholders
        if missing:
            self._unresolved(missing)
        self._format = "".join(fmt)
        self._needs_dynamic = any(kind == "dyn" for kind, _ in self._slots)

    def _unresolved(self, missing: Sequence[Placeholder]) -> None:
        where = ", ".join(f"{self.template.name}:{p.line}: {{{p.path}}}" for p in missing)
        plural = "s" if len(missing) > 1 else ""
        raise InputError(f"unresolved placeholder{plural}: {where}")

    def _compile_config(self) -> None:
        chunks: list[str | tuple[str, str]] = []
        for key in self._order:
            if key == "experiment":
                chunks.append(("experiment", key))
            elif key in self._dynamic:
                chunks.append(("dyn", key))
            elif key in self._stamped:
                stamped = dump_yaml({key: {**self._static[key], "identifier": _MARK}})
                chunks.append(("stamp", stamped))
            elif chunks and isinstance(chunks[-1], str):
                chunks[-1] += dump_yaml({key: self._static[key]})
            else:
                chunks.append(dump_yaml({key: self._static[key]}))
        self._config_chunks = chunks

    def _check_first(self) -> None:
        if not (self._dynamic or self._needs_dynamic):
            return
        for run in self:
            resolved = self._resolve_dynamic(run)
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

    # ---- runs -----------------------------------------------------------------------------

    def _name(self, index: tuple[int, ...]) -> tuple[str, str]:
        segments = [names[i] for names, i in zip(self._segments, index, strict=True)]
        flat = "_".join(segments) if segments else "default"
        if len(flat) > MAX_NAME:
            flat = cap(flat, MAX_NAME, json.dumps(self.sweep.parameters(index), default=str))
        if self.layout == "flat" or not segments:
            return flat, flat
        return flat, "/".join(segments)

    def _indexed(self) -> Iterator[tuple[int, tuple[int, ...], str, str]]:
        for position, index in enumerate(self.sweep.indices()):
            run_id, directory = self._name(index)
            yield position, index, run_id, directory

    def __iter__(self) -> Iterator[Run]:
        for position, index, run_id, directory in self._indexed():
            yield Run(position, run_id, directory, self.sweep.parameters(index))

    def __len__(self) -> int:
        return len(self.sweep)

    def _resolve_dynamic(self, run: Run) -> dict[str, Any]:
        context: dict[str, Any] = {**self._needed, **self._dynamic}
        for key in self._stamped & context.keys():
            context[key] = {**context[key], "identifier": run.id}
        context["experiment"] = run.parameters
        context.update(run.parameters)
        if self._builtin:
            context[BUILTIN] = {"id": run.id, "directory": run.directory, "index": run.index}
        return resolve_references(context, env=self._env, source=self._source)

    def _fill(self, index: tuple[int, ...], run: Run, resolved: Mapping[str, Any] | None) -> str:
        args: list[str] = []
        for kind, what in self._slots:
            if kind == "axis":
                args.append(self._texts[what][index[what]])
            elif kind == "cm":
                args.append(value_text(getattr(run, "index" if what == "index" else what)))
            else:
                assert resolved is not None
                args.append(value_text(lookup_path(resolved, what, self._env)))
        return self._format.format(*args)

    def _config_text(self, index: tuple[int, ...], run_id: str, resolved: Mapping[str, Any] | None) -> str:
        parts: list[str] = []
        for chunk in self._config_chunks:
            if isinstance(chunk, str):
                parts.append(chunk)
            elif chunk[0] == "stamp":
                parts.append(chunk[1].replace(_MARK, f"'{run_id}'"))
            elif chunk[0] == "experiment":
                if not index:
                    parts.append("experiment: {}\n")
                    continue
                parts.append("experiment:\n")
                for key_text, values, i in zip(self._yaml_keys, self._yaml_values, index, strict=True):
                    parts.append(f"{key_text}{values[i]}\n")
            else:
                assert resolved is not None
                parts.append(dump_yaml({chunk[1]: resolved[chunk[1]]}))
        return "".join(parts)

    def _files(
        self, position: int, index: tuple[int, ...], run_id: str, directory: str
    ) -> tuple[str, str, str]:
        """(script, config.yaml text, manifest line) of one run, the fast path of :meth:`generate`."""
        resolved = None
        run = Run(position, run_id, directory, {})
        if self._dynamic or self._needs_dynamic:
            run = Run(position, run_id, directory, self.sweep.parameters(index))
            resolved = self._resolve_dynamic(run)
        parameters = ", ".join(
            f"{key}{values[i]}"
            for key, values, i in zip(self._json_keys, self._json_values, index, strict=True)
        )
        # ids and folders hold only [A-Za-z0-9._+-/]: JSON strings as they are
        line = (
            f'{{"id": "{run_id}", "directory": "{directory}", '
            f'"parameters": {{{parameters}}}, "script": "{directory}/{self._script_json}"}}\n'
        )
        return self._fill(index, run, resolved), self._config_text(index, run_id, resolved), line

    # ---- public ---------------------------------------------------------------------------

    def _find(self, run: Run | int) -> tuple[tuple[int, ...], Run]:
        wanted = run if isinstance(run, int) else run.index
        for position, index, run_id, directory in self._indexed():
            if position == wanted:
                return index, Run(position, run_id, directory, self.sweep.parameters(index))
        raise IndexError(f"no run {wanted}: the sweep has {len(self)}")

    def render(self, run: Run | int) -> str:
        """The script of one run (a :class:`Run` or its position)."""
        index, found = self._find(run)
        return self._files(found.index, index, found.id, found.directory)[0]

    def config(self, run: Run | int) -> dict[str, Any]:
        """The fully resolved configuration of one run, as its ``config.yaml`` holds it."""
        index, found = self._find(run)
        loaded: dict[str, Any] = yaml.safe_load(self._files(found.index, index, found.id, found.directory)[1])
        return loaded

    def generate(
        self,
        out: str | os.PathLike[str],
        *,
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> SweepOutput:
        """Write every run under ``out`` atomically (see :func:`cm_sbatch.write_sweep`)."""
        from ._generate import write_sweep
        from ._jobs import SweepOutput

        write_sweep(self, Path(out), force=force, progress=progress)
        self.output = SweepOutput(out)
        return self.output

    def submit(self, **options: Any) -> list[dict[str, Any]]:
        """Submit the generated runs; ``options`` as for :meth:`SweepOutput.submit`."""
        return self._generated().submit(**options)

    def status(self) -> list[dict[str, Any]]:
        """The state of every generated run (see :meth:`SweepOutput.status`)."""
        return self._generated().status()

    def _generated(self) -> SweepOutput:
        output: SweepOutput | None = getattr(self, "output", None)
        if output is None:
            raise InputError("generate(out) first: nothing has been generated yet")
        return output
