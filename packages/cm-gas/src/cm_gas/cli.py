"""``cm-gas``: typed Python functions as REST services: generate, serve, call, benchmark."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from cm_common import InputError, OutputOption, command_app, output_format, print_records, run, say

from ._auth import AUTH_MODES, AuthMode

app = command_app(
    "gas", help="Typed Python functions as secure, documented REST services: generate, serve, call, bench."
)
user_app = command_app(help="Basic-auth users (scrypt-hashed in $CM_HOME/gas/users.json).")
app.add_typer(user_app, name="user")

TargetArgument = Annotated[str, typer.Argument(help="PATH.py, PATH.py:func, PATH.py:Class or PATH.py:a,b")]
AllOption = Annotated[bool, typer.Option("--all", help="every public function and class of the module")]
AuthOption = Annotated[str, typer.Option("--auth", help="token, basic or none")]
GetOption = Annotated[
    bool,
    typer.Option("--get", help="functions whose parameters are all scalars answer GET with a query string"),
]
UrlArgument = Annotated[str, typer.Argument(help="the service, e.g. http://127.0.0.1:8000/")]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="CM_GAS_TOKEN",
        help="bearer token (default: $CM_HOME/gas/token)",
        show_default=False,
    ),
]
UserOption = Annotated[str | None, typer.Option("--user", envvar="CM_GAS_USER", help="Basic-auth user")]
PasswordOption = Annotated[
    str | None,
    typer.Option("--password", envvar="CM_GAS_PASSWORD", help="Basic-auth password", show_default=False),
]


def _auth(value: str) -> AuthMode:
    for mode in AUTH_MODES:
        if value == mode:
            return mode
    raise InputError(f"--auth: expected token, basic or none, got {value!r}")


def _debug() -> bool:
    """``--debug`` (taken out of the arguments by cm_common.run) or CM_DEBUG: tracebacks in 500 answers."""
    return "--debug" in sys.argv[1:] or os.environ.get("CM_DEBUG", "") not in ("", "0", "false")


@app.command()
def generate(
    target: TargetArgument,
    every: AllOption = False,
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path("gas-service"),
    title: Annotated[str | None, typer.Option("--title", help="the spec's title")] = None,
    version: Annotated[str, typer.Option("--version", help="the spec's version")] = "0.1.0",
    auth: AuthOption = "token",
    get: GetOption = False,
    docker: Annotated[bool, typer.Option("--docker", help="also write a Dockerfile")] = False,
    output: OutputOption = None,
) -> None:
    """Write openapi.yaml (OpenAPI 3.1, validated), server.py, requirements.txt and the module."""
    from ._generate import generate as write

    made = write(
        target, out, every=every, title=title, version=version, auth=_auth(auth), get=get, docker=docker
    )
    say(f"generated {made.operations} operations in {made.out}: {', '.join(made.files)}")
    if output is not None:
        print_records(
            [{"out": str(made.out), "operations": made.operations, "files": list(made.files)}], output
        )


@app.command()
def serve(
    target: TargetArgument,
    every: AllOption = False,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="port (0: a free one)")] = 8000,
    auth: AuthOption = "token",
    get: GetOption = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="worker processes (uvicorn's)")] = 1,
    allow_host: Annotated[
        list[str] | None, typer.Option("--allow-host", help="another Host name to answer to (repeatable)")
    ] = None,
    max_body: Annotated[int, typer.Option("--max-body", min=1, help="largest request body, bytes")] = 1024
    * 1024,
    max_upload: Annotated[int, typer.Option("--max-upload", min=1, help="largest file, bytes")] = 10
    * 1024
    * 1024,
    background: Annotated[bool, typer.Option("--background", help="detach, record under --name")] = False,
    name: Annotated[
        str | None, typer.Option("--name", help="name in cm-gas list (default: the module)")
    ] = None,
) -> None:
    """Serve functions with uvicorn (``--debug``: tracebacks in error answers)."""
    from ._serve import Options, free_port, serve_background
    from ._serve import serve as run_server

    chosen = port if port or not background else 0
    if not background and port == 0:
        chosen = free_port(host)
    options = Options(
        target=target,
        every=every,
        host=host,
        port=chosen,
        auth=_auth(auth),
        get=get,
        allow_hosts=tuple(allow_host or ()),
        max_body=max_body,
        max_upload=max_upload,
        debug=_debug(),
        workers=workers,
    )
    if background:
        entry = serve_background(options, name or Path(target.rpartition(":")[0] or target).stem)
        say(f"service {entry.name} runs at {entry.url} (pid {entry.pid}, log {entry.log})")
        return
    if name:
        raise InputError("--name goes with --background")
    run_server(options)


@app.command("list")
def list_services(output: OutputOption = None) -> None:
    """The background services: name, state (running or dead), URL, pid, target, spec, log."""
    from ._registry import Registry

    rows = [entry.row() for entry in Registry().entries()]
    if not rows:
        say("no services (start one with cm-gas serve PATH.py --background)")
        return
    print_records(
        rows, output_format(output), columns=["name", "state", "url", "pid", "target", "auth", "spec", "log"]
    )


@app.command()
def stop(name: Annotated[str, typer.Argument(help="the service's name (cm-gas list)")]) -> None:
    """Stop a background service (SIGTERM, SIGKILL after 10 s) and forget it; a dead one is forgotten."""
    from ._registry import Registry

    ran = Registry().stop(name)
    say(f"stopped {name}" if ran else f"{name} was not running; forgotten")


@app.command()
def logs(
    name: Annotated[str, typer.Argument(help="the service's name (cm-gas list)")],
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="last N lines (0: all)")] = 50,
) -> None:
    """Print the end of a background service's log."""
    from ._registry import Registry

    log = Path(Registry().get(name).log)
    if not log.exists():
        raise InputError(f"{name}: no log at {log}")
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    typer.echo("\n".join(text[-lines:] if lines else text))


@app.command()
def token() -> None:
    """Print the bearer token (made, mode 0600, on first use), for scripts and curl."""
    from ._auth import service_token

    typer.echo(service_token())


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="user name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Add a user (or set a new password); the password is asked for, never an argument."""
    from ._auth import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    new = add_user(name, password)
    say(f"{'added' if new else 'changed the password of'} {name}")


@user_app.command("remove")
def user_remove(name: Annotated[str, typer.Argument(help="user name")]) -> None:
    """Remove a user."""
    from ._auth import remove_user

    remove_user(name)
    say(f"removed {name}")


@user_app.command("list")
def user_list(output: OutputOption = None) -> None:
    """The user names (never their hashes)."""
    from ._auth import load_users

    print_records([{"user": name} for name in sorted(load_users())], output_format(output), columns=["user"])


def _client(url: str, token: str | None, user: str | None, password: str | None) -> Any:
    from ._client import Client

    if user is not None and password is None:
        password = typer.prompt(f"password for {user}", hide_input=True)
    return Client(url, token=token, user=user, password=password)


def _arguments(client: Any, name: str, pairs: list[str]) -> dict[str, Any]:
    from ._client import coerce

    op = client.operation(name)
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise InputError(f"{pair!r}: expected name=value")
        values[key] = coerce(op, key, text)
    return values


@app.command()
def client(
    url: UrlArgument,
    token: TokenOption = None,
    user: UserOption = None,
    password: PasswordOption = None,
    output: OutputOption = None,
) -> None:
    """The functions of a service, from its spec: name, method, path, parameters, summary."""
    with _client(url, token, user, password) as gas:
        rows = [
            {
                "name": op.name,
                "method": op.method,
                "path": op.path,
                "call": op.signature(),
                "summary": op.summary,
            }
            for op in gas.operations().values()
        ]
    print_records(rows, output_format(output), columns=["name", "method", "path", "call", "summary"])


@app.command()
def call(
    url: UrlArgument,
    function: Annotated[str, typer.Argument(help="function name: add, or Class.method")],
    arguments: Annotated[
        list[str] | None, typer.Argument(help="name=value (JSON for non-strings, @FILE for files)")
    ] = None,
    token: TokenOption = None,
    user: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Call a function: ``cm-gas call URL add x=1 y=2`` prints the result as JSON."""
    import json

    with _client(url, token, user, password) as gas:
        result = gas.call(function, **_arguments(gas, function, arguments or []))
    if isinstance(result, bytes):
        sys.stdout.buffer.write(result)
    elif result is not None:
        typer.echo(json.dumps(result, indent=2))


@app.command()
def bench(
    url: UrlArgument,
    function: Annotated[str, typer.Argument(help="function name")],
    args: Annotated[
        list[str] | None, typer.Option("--args", "-a", help='"x=1 y=2" (name=value, repeatable)')
    ] = None,
    requests: Annotated[int, typer.Option("-n", "--requests", min=1, help="number of calls")] = 1000,
    concurrency: Annotated[int, typer.Option("-c", "--concurrency", min=1, help="calls at once")] = 10,
    token: TokenOption = None,
    user: UserOption = None,
    password: PasswordOption = None,
    output: OutputOption = None,
) -> None:
    """Latency (min, median, p99) and throughput of one function under concurrent calls."""
    import shlex

    from ._bench import bench as measure

    pairs = [pair for text in args or [] for pair in shlex.split(text)]
    with _client(url, token, user, password) as gas:
        result = measure(gas, function, _arguments(gas, function, pairs), requests, concurrency)
    columns = ["function", "requests", "concurrency", "errors", "min_ms", "median_ms", "p99_ms", "throughput"]
    print_records([result], output_format(output), columns=columns)


def main() -> NoReturn:
    """Entry point of ``cm-gas``."""
    run(app, prog_name="cm-gas")
