"""Running a Typer app the cm way, and the umbrella ``cm`` command.

Every cm CLI goes through :func:`run`: a :class:`CmError` or a usage error becomes one line on
stderr and its exit code (2 bad input or usage, 1 runtime failure); a traceback only with
``--debug``; and the command gets ``--version``.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, NoReturn

import typer
import typer.core

# typer bundles click here and exports no public name for its usage errors.
from typer._click.exceptions import NoArgsIsHelpError, NoSuchOption, UsageError

from ._errors import CmError, InputError
from ._home import settings_path
from ._output import OutputFormat, print_records, say
from ._variables import Variables, parse_assignment

ENTRY_POINT_GROUP = "cm.commands"

OutputOption = Annotated[
    OutputFormat | None,
    typer.Option("--output", "-o", help="table, json, yaml or csv (default from settings)"),
]


QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="print nothing but errors")]

Version = str | Callable[[], str] | None


def command_app(name: str | None = None, *, help: str, **options: Any) -> typer.Typer:
    """A cm command's Typer app: help without arguments, no completion installer, plain help text
    (rich's help formatter costs 70 ms of every ``--help``); ``options`` go to Typer as they are."""
    return typer.Typer(
        name=name, help=help, no_args_is_help=True, add_completion=False, rich_markup_mode=None, **options
    )


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


def _close(word: str, choices: Sequence[str]) -> str:
    """The choice ``word`` was most likely meant to be, or "" when none is close."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return matches[0] if matches else ""


def _options(command: Any) -> list[str]:
    return [name for param in command.params for name in param.opts if name.startswith("--")]


def usage_line(error: UsageError) -> str:
    """A usage error in one line, with a suggestion only when one is close."""
    ctx = error.ctx
    message = re.split(r"\.? (?:Did you mean|\(Possible options)", error.format_message())[0].rstrip(".")
    guess = ""
    if isinstance(error, NoSuchOption) and ctx is not None:
        guess = _close(error.option_name, _options(ctx.command))
    unknown = re.match(r"No such command '(.+)'", message)
    if unknown and ctx is not None:
        guess = _close(unknown.group(1), getattr(ctx.command, "list_commands", lambda _ctx: [])(ctx))
    where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    hint = f" (did you mean {guess}?)" if guess else where
    return f"{message[:1].lower()}{message[1:]}{hint}"


def _version_text(version: Version, prog_name: str) -> str:
    if callable(version):
        return version()
    if version is None:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed

        try:
            version = installed(prog_name)
        except PackageNotFoundError:
            version = "unknown"
    return f"{prog_name} {version}"


def add_version_option(command: Any, prog_name: str, version: Version = None) -> None:
    """Give a click command (a Typer app's) ``--version``: ``prog_name`` and ``version`` on stdout.

    ``version`` is a text, a function returning the whole text, or None for the version of the
    installed distribution named ``prog_name``.
    """

    def show(ctx: Any, _param: Any, value: bool) -> None:
        if value and not ctx.resilient_parsing:
            typer.echo(_version_text(version, prog_name))
            ctx.exit()

    option = typer.core.TyperOption(
        param_decls=["--version"],
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=show,
        help="show the version and exit",
    )
    command.params.append(option)


def run(
    app: typer.Typer,
    argv: Sequence[str] | None = None,
    prog_name: str | None = None,
    version: Version = None,
) -> NoReturn:
    """Run ``app`` with cm's error handling and ``--version``, and exit.

    ``main()`` of a package's CLI is this one call: ``run(app, prog_name="cm-<name>")``. Usage
    errors, cm errors and unexpected failures each become one line on stderr. ``--version``
    prints ``version`` (default: the installed distribution named ``prog_name``).
    """
    args, debug = _split_debug(list(sys.argv[1:] if argv is None else argv))
    command = typer.main.get_command(app)
    name = prog_name or command.name or "cm"
    add_version_option(command, name, version)
    try:
        result = command.main(args=args, prog_name=name, standalone_mode=False)
    except NoArgsIsHelpError as error:
        if error.format_message():  # typer's rich help has printed itself already
            typer.echo(error.format_message())
        raise SystemExit(2) from None
    except UsageError as error:
        _fail(usage_line(error), 2)
    except (KeyboardInterrupt, typer.Abort):
        _fail("interrupted", 130)
    except CmError as error:
        if debug:
            raise
        _fail(error.message, error.exit_code)
    except Exception as error:
        if debug:
            raise
        _fail(f"{type(error).__name__}: {error} (run with --debug for the traceback)", 1)
    raise SystemExit(result if isinstance(result, int) else 0)


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
        command = typer.main.get_command(loaded) if isinstance(loaded, typer.Typer) else loaded
        if plugin.dist is not None:
            add_version_option(command, plugin.dist.name, plugin.dist.version)
        return command


def installed_versions() -> str:
    """Every installed cm package with its version, one per line: cm-common and each ``cm.commands`` one."""
    from importlib.metadata import entry_points
    from importlib.metadata import version as installed

    found = {"cm-common": installed("cm-common")}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.dist is not None:
            found[point.dist.name] = point.dist.version
    return "\n".join(f"{name} {found[name]}" for name in sorted(found))


app = command_app(
    "cm",
    help="cm: hybrid analytics workflows. Subcommands come from the installed cm-* packages.",
    cls=_Umbrella,
)


@app.command("set")
def set_variables(assignments: Annotated[list[str], typer.Argument(help="key=value pairs")]) -> None:
    """Set persistent variables, for example: cm set cloud=aws"""
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
    run(app, prog_name="cm", version=installed_versions)
