"""An experiment: a template and configs that expand into many runs, each rendered and named.

The facade over a one-way flow: the configs are read and merged (``_config``), the sweep is
expanded (``_values``, ``_sweep``), every experiment is rendered into a record (``_render``),
and the records are written (``_write``, the only I/O) in the folder format of ``_folder``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cm_common import InputError, Variables, parse_yaml

from ._config import ConfigInput, merge_configs
from ._folder import CONFIG
from ._named import apply_profile
from ._render import LAYOUTS, Inputs, Layout, Renderer, Run
from ._sweep import Sweep
from ._values import Value, expand, parse_sweep_option
from ._write import write_sweep

if TYPE_CHECKING:
    from ._jobs import SweepOutput
    from ._profile import Profile


def script_name(template: str) -> str:
    """The rendered script's name: the template's without ``.in`` (``slurm.in.sh`` -> ``slurm.sh``)."""
    if ".in." in template:
        return template.replace(".in.", ".", 1)
    if template.endswith(".in"):
        return template[:-3]
    return template


def _os_names(names: str | Sequence[str]) -> list[str]:
    items = names.split(",") if isinstance(names, str) else [n for item in names for n in item.split(",")]
    return [name.strip() for name in items if name.strip()]


class Experiment:
    """A parameter sweep over one script template.

    ``Experiment("slurm.in.sh", ["config.yaml"], overrides=["data.batch=32"], experiment="epoch=1,2")``
    merges the configs in order, applies ``overrides`` and the ``experiment`` sweep on top,
    resolves references between attributes and checks every template placeholder: bad input
    raises :class:`cm_common.InputError` naming all problems. ``len()`` does not materialise
    the runs; iterating yields :class:`Run` objects in a fixed order.

    Configs are file paths (YAML, JSON, Python or notebook) or mappings; ``text`` gives the
    template's text directly (``template`` then only names it); ``env`` replaces ``os.environ``
    for ``{os.X}``; ``os_names`` (``--os HOME,USER``) makes those variables top-level attributes.
    ``layout`` defaults to ``flat`` (cloudmesh-ee's folder per experiment) for a config with an
    ``ee:`` section and to ``hierarchical`` (a folder level per key) for any other.
    ``profile`` (a :class:`Profile`, its name or file; default: the config's ``system.host``)
    provides the named directives of ``{slurm.sbatch}`` and ``{slurm.directive.KEY}``.
    """

    def __init__(
        self,
        template: str | os.PathLike[str],
        config: ConfigInput | Sequence[ConfigInput] = (),
        *,
        overrides: Sequence[str] | Mapping[str, Any] = (),
        experiment: str | Sequence[str] | Mapping[str, Any] | None = None,
        layout: Layout | None = None,
        env: Mapping[str, str] | None = None,
        text: str | None = None,
        os_names: str | Sequence[str] = (),
        profile: Profile | str | os.PathLike[str] | None = None,
    ) -> None:
        self.template = Path(template)
        if layout is not None and layout not in LAYOUTS:
            raise InputError(f"--layout: expected one of {', '.join(LAYOUTS)}, got {layout!r}")
        self.script = script_name(self.template.name)
        if text is None:
            try:
                text = self.template.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InputError(f"{self.template}: no such template") from None
            except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
                raise InputError(f"{self.template}: cannot read: {type(error).__name__}") from None
        configs = [config] if isinstance(config, str | os.PathLike | Mapping) else list(config)
        source = ", ".join(str(c) for c in configs if not isinstance(c, Mapping)) or "config"
        cli = self._cli_sweep(experiment)
        data, self.profile, derive = apply_profile(merge_configs(configs, overrides), cli, profile, text)
        inputs = Inputs(
            text=text,
            template=self.template.name,
            data=data,
            cli=cli,
            layout=layout,
            env=dict(os.environ if env is None else env),
            source=source,
            os_names=_os_names(os_names),
            variables=lambda: dict(Variables()),
            derive=derive,
        )
        self._renderer = Renderer(inputs)
        self.sweep: Sweep = self._renderer.sweep
        self.layout: Layout = self._renderer.layout

    @staticmethod
    def _cli_sweep(experiment: str | Sequence[str] | Mapping[str, Any] | None) -> dict[str, list[Value]]:
        if experiment is None:
            return {}
        if isinstance(experiment, Mapping):
            return {str(key): expand(value, f"experiment {key}") for key, value in experiment.items()}
        return parse_sweep_option(experiment)

    def __iter__(self) -> Iterator[Run]:
        return self._renderer.runs()

    def __len__(self) -> int:
        return len(self.sweep)

    def _position(self, run: Run | int) -> int:
        return run if isinstance(run, int) else run.index

    def render(self, run: Run | int) -> str:
        """The script of one run (a :class:`Run` or its position)."""
        return self._renderer.record(self._position(run)).script

    def config(self, run: Run | int) -> dict[str, Any]:
        """The fully resolved configuration of one run, as its ``config.yaml`` holds it."""
        record = self._renderer.record(self._position(run))
        loaded: dict[str, Any] = parse_yaml(record.config, f"{record.directory}/{CONFIG}")
        return loaded

    def write(
        self,
        out: str | os.PathLike[str],
        *,
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write every run under ``out`` atomically; return how many (see :func:`cm_sbatch.write_sweep`)."""
        return write_sweep(
            self._renderer.records(),
            out,
            script=self.script,
            nested=self.layout == "hierarchical",
            force=force,
            progress=progress,
        )

    def generate(
        self,
        out: str | os.PathLike[str],
        *,
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> SweepOutput:
        """Write every run under ``out`` atomically and return the folder as a :class:`SweepOutput`."""
        from ._jobs import SweepOutput

        self.write(out, force=force, progress=progress)
        self.output = SweepOutput(out)
        return self.output

    def submit(
        self,
        *,
        array: bool = False,
        max_parallel: int | None = None,
        dry_run: bool = False,
        ids: Sequence[str] | None = None,
        options: Sequence[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Submit the generated runs; the arguments are those of :meth:`SweepOutput.submit`."""
        return self._generated().submit(
            array=array,
            max_parallel=max_parallel,
            dry_run=dry_run,
            ids=ids,
            options=options,
            progress=progress,
        )

    def status(self) -> list[dict[str, Any]]:
        """The state of every generated run (see :meth:`SweepOutput.status`)."""
        return self._generated().status()

    def _generated(self) -> SweepOutput:
        output: SweepOutput | None = getattr(self, "output", None)
        if output is None:
            raise InputError("generate(out) first: nothing has been generated yet")
        return output
