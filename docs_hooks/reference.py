"""mkdocs hook: the CLI reference from the Typer apps and the file formats' JSON Schemas.

Both are made at build time from the installed packages (never copied by hand), as pages
``reference/cli.md`` and files ``reference/schemas/NAME.json`` of the site.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import typer.main
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

# (program, module holding its Typer ``app``)
CLIS = [
    ("cm", "cm_common._cli"),
    ("cm-sbatch", "cm_sbatch.cli"),
    ("cm-cc", "cm_cc.cli"),
    ("cm-gas", "cm_gas.cli"),
    ("cm-nlp", "cm_nlp.cli"),
    ("cm-vm", "cm_vm.cli"),
]
# (schema file name, module, pydantic model)
SCHEMAS = [
    ("workflow", "cm_cc", "WorkflowSpec"),
    ("manifest-line", "cm_cc._sweep", "Experiment"),
    ("sweep-config", "cm_sbatch._config_schema", "SweepConfig"),
    ("profile", "cm_sbatch", "Profile"),
    ("settings", "cm_common", "Settings"),
]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# Typer ships its own copy of click: its objects are used through their attributes only.
def _param_row(param: Any, ctx: Any) -> str:
    if param.param_type_name == "option":
        record = param.get_help_record(ctx)
        names, help_text = record if record else ("/".join(param.opts), "")
    else:
        names, help_text = param.human_readable_name, getattr(param, "help", None) or ""
        if not param.required:
            names += " (optional)"
    return f"| `{_cell(names)}` | {_cell(help_text)} |"


def _command(
    lines: list[str], command: Any, path: list[str], parent: Any, skip: frozenset[str] = frozenset()
) -> None:
    ctx = command.context_class(command, info_name=path[-1], parent=parent)
    lines += [f"## {' '.join(path)}", ""]
    if command.help:
        lines += [command.help.strip(), ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += ["```", f"{' '.join(path)} {usage}".rstrip(), "```", ""]
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    if params:
        lines += ["| argument or option | meaning |", "|---|---|"]
        lines += [_param_row(p, ctx) for p in params]
        lines.append("")
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden and name not in skip:
                _command(lines, sub, [*path, name], ctx)


def cli_markdown() -> str:
    """Every command of every cm program: usage, help, arguments and options."""
    lines = [
        "# CLI reference",
        "",
        "Generated from the programs' Typer apps when the site is built. Every `cm-NAME ...`",
        "command is also `cm NAME ...` (when cm-common is installed with that package).",
        "",
    ]
    packages = frozenset(program.removeprefix("cm-") for program, _ in CLIS[1:])
    for program, module in CLIS:
        app = importlib.import_module(module).app
        # the umbrella's package subcommands are documented once, under their own programs
        _command(
            lines, typer.main.get_command(app), [program], None, packages if program == "cm" else frozenset()
        )
    return "\n".join(lines) + "\n"


def schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each file format's pydantic model, by file name."""
    made = {}
    for name, module, model in SCHEMAS:
        made[name] = getattr(importlib.import_module(module), model).model_json_schema()
    return made


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages and schema files to the site."""
    files.append(File.generated(config, "reference/cli.md", content=cli_markdown()))
    for name, schema in schemas().items():
        text = json.dumps(schema, indent=2) + "\n"
        files.append(File.generated(config, f"reference/schemas/{name}.json", content=text))
    return files
