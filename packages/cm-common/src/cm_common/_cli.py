"""Running a Typer app the cm way, and the umbrella ``cm`` command.

Every cm CLI goes through :func:`run`: a :class:`CmError` becomes one line on stderr and
its exit code (2 bad input, 1 runtime failure); a traceback only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
import typer.core

from ._errors import CmError, InputError
from ._home import settings_path
from ._output import OutputFormat, print_records, say
from ._variables import Variables, parse_assignment

ENTRY_POINT_GROUP = "cm.commands"

OutputOption = Annotated[
    OutputFormat | None,
    typer.Option("--output", "-o", help="table, json, yaml or csv (default from settings)"),
]


def output_format(choice: OutputFormat | None) -> OutputFormat:
    """The output format asked for, else the one in the settings."""
    if choice:
        return choice
    if "CM_OUTPUT" not in os.environ and not settings_path().exists():
        return "table"  # the default, without loading pydantic for the settings
    from ._settings import load_settings

    return load_settings().output


def _split_debug(argv: list[str]) -> tuple[list[str], bool]:
    """Take ``--debug`` out of the arguments before a ``--``."""
    end = argv.index("--") if "--" in argv else len(argv)
    head = [arg for arg in argv[:end] if arg != "--debug"]
    debug = len(head) != end or os.environ.get("CM_DEBUG", "") not in ("", "0", "false")
    return head + argv[end:], debug


def _fail(message: str, code: int) -> NoReturn:
    say(f"error: {message}")
    raise SystemExit(code)


def run(app: typer.Typer, argv: Sequence[str] | None = None, prog_name: str | None = None) -> NoReturn:
    """Run ``app`` with cm's error handling and exit.

    Typer itself reports usage errors (exit 2); cm errors and unexpected failures are
    turned into one line here.
    """
    args, debug = _split_debug(list(sys.argv[1:] if argv is None else argv))
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name=prog_name, standalone_mode=True)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except CmError as error:
        if debug:
            raise
        _fail(error.message, error.exit_code)
    except Exception as error:
        if debug:
            raise
        _fail(f"{type(error).__name__}: {error} (run with --debug for the traceback)", 1)
    raise SystemExit(0)


class _Umbrella(typer.core.TyperGroup):
    """``cm``: its own commands plus one subcommand per installed package, loaded on demand."""

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points  # slow to import; only the umbrella needs it

        return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        own = super().get_command(ctx, cmd_name)
        if own is not None:
            return own
        plugin = self._plugins().get(cmd_name)
        if plugin is None:
            return None
        loaded = plugin.load()
        return typer.main.get_command(loaded) if isinstance(loaded, typer.Typer) else loaded


app = typer.Typer(
    cls=_Umbrella,
    name="cm",
    help="cm: hybrid analytics workflows. Subcommands come from the installed cm-* packages.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("set")
def set_variables(assignments: Annotated[list[str], typer.Argument(help="key=value pairs")]) -> None:
    """Set persistent variables: ``cm set cloud=aws``."""
    Variables().update_many(dict(parse_assignment(item) for item in assignments))


@app.command("get")
def get_variable(name: str) -> None:
    """Print the value of one variable."""
    variables = Variables()
    if name not in variables:
        raise InputError(f"variable {name!r} is not set")
    typer.echo(variables[name])


@app.command("unset")
def unset_variable(names: list[str]) -> None:
    """Remove variables."""
    variables = Variables()
    for name in names:
        if name not in variables:
            raise InputError(f"variable {name!r} is not set")
        del variables[name]


@app.command("vars")
def list_variables(output: OutputOption = None) -> None:
    """List all variables."""
    records = [{"name": key, "value": value} for key, value in sorted(Variables().items())]
    print_records(records, output_format(output), columns=["name", "value"])


def main() -> NoReturn:
    """Entry point of the ``cm`` command."""
    run(app, prog_name="cm")
