"""Commands that go through the running server.

While ``bizsight serve`` owns a project, no other process can open its warehouse. A command that
needs it (ingest, refresh, status, query, ...) then sends itself to the server — the same
command with the same parsed values, paths made absolute — and the server runs it on its own
connection, writing jobs through its job runner. Output, progress and the exit code come back
as a stream of JSON lines, so the user sees what they would see running it alone.

:func:`through_owner` is the client's half (the first line of each such command);
:func:`serve_command` is the server's.
"""

from __future__ import annotations

import enum
import getpass
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from bizsight.cli.shell import fail, run

# The commands a server runs for the CLI (first word of the command line).
FORWARDED = frozenset(
    {
        "ingest",
        "refresh",
        "status",
        "query",
        "ask",
        "analyze",
        "forecast",
        "forecast-accuracy",
        "targets",
        "anomalies",
        "trends",
        "backup",
        "jobs",
        "alerts",
        "report",  # report send (the others read the metadata store, where they are typed)
    }
)
LOCAL_COMMANDS_PATH = "/api/v1/local/commands"
READ_TIMEOUT = 120.0  # seconds without a byte from the server (it sends a heartbeat every few)
MAX_WIDTH = 1000  # the widest layout the server draws for a client (api/routes/local.py); piped
# output is laid out wider still when the command runs here (terminal.PIPED_WIDTH)


def through_owner(ctx: typer.Context, project: Path) -> None:
    """When a server owns ``project``, run this command there and exit with its exit code;
    otherwise return, and the command opens the warehouse itself. Says which, in one line."""
    from bizsight.services.owner import find_owner
    from bizsight.services.project import Project
    from bizsight.terminal import error_console, remote_sink

    if remote_sink() is not None:
        return  # this is the server, running a command a client sent
    owner = run(lambda: find_owner(Project(project)))
    if owner is None:
        # Said on a terminal only: scripts and logs keep their one-line errors.
        if error_console().is_terminal and Project(project).paths.warehouse.exists():
            error_console().print(
                "[dim]no server owns this project: working on the warehouse directly[/]", soft_wrap=True
            )
        return
    error_console().print(
        f"[dim]sent to the bizsight server at {owner.url} (process {owner.pid}), which owns this project[/]",
        soft_wrap=True,
    )
    raise typer.Exit(_send(owner.url, owner.token, command_line(ctx)))


def command_line(ctx: typer.Context) -> list[str]:
    """The command being run as words, from its parsed values: subcommand names, every option
    that has a value, then ``--`` and the arguments. Paths are made absolute (the server runs
    elsewhere), so ``ingest data`` reaches it as ``ingest -- /home/me/shop/data``."""
    names: list[str] = []
    level: typer.Context | None = ctx
    while level is not None and level.parent is not None:
        names.append(str(level.info_name))
        level = level.parent  # type: ignore[assignment]
    options: list[str] = []
    arguments: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(str(param.name))
        if value is None:
            continue
        values = list(value) if isinstance(value, list | tuple) else [value]
        if param.param_type_name == "argument":
            arguments.extend(_word(v) for v in values)
        elif getattr(param, "is_flag", False) and isinstance(value, bool):
            flags = param.opts if value else param.secondary_opts  # --x, or --no-x
            options.extend(flags[:1])
        else:
            for v in values:
                options += [param.opts[0], _word(v)]
    return [*reversed(names), *options, "--", *arguments]


def _word(value: Any) -> str:
    if isinstance(value, Path):
        return str(value.resolve())
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _send(url: str, token: str, argv: list[str]) -> int:
    """Post the command, print what comes back as it comes, return the exit code."""
    from bizsight.terminal import RichReporter, console, error_console

    body = {
        "argv": argv,
        "width": min(console().width, MAX_WIDTH),
        "terminal": error_console().is_terminal,
        "color_system": console().color_system if console().is_terminal else None,
        "user": _login_name(),
    }
    request = urllib.request.Request(
        url + LOCAL_COMMANDS_PATH,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    bars: dict[str, RichReporter] = {}

    def show_progress(title: str, call: list[Any]) -> None:
        if call[0] == "stop":
            if title in bars:
                bars.pop(title).__exit__(None, None, None)
            return
        if title not in bars:
            bars[title] = RichReporter(title).__enter__()
        getattr(bars[title], call[0])(*call[1:])

    try:
        with urllib.request.urlopen(request, timeout=READ_TIMEOUT) as response:
            for line in response:
                event = json.loads(line)
                if "exit" in event:
                    return int(event["exit"])
                _show(event, show_progress)
    except urllib.error.HTTPError as err:
        fail(f"the bizsight server at {url} refused the command: {error_text(err)}")
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        fail(f"cannot reach the bizsight server at {url}: {reason}", code=1)
    except KeyboardInterrupt:
        fail(
            "stopped following the command; the server goes on with it (`bizsight jobs` lists it, "
            "`bizsight jobs cancel ID` stops a job)",
            code=130,
        )
    finally:
        for bar in bars.values():
            bar.__exit__(None, None, None)
    fail("the server closed the connection before the command finished (`bizsight jobs` says more)", code=1)


def _show(event: dict[str, Any], show_progress: Callable[[str, list[Any]], None]) -> None:
    if "stdout" in event:
        sys.stdout.write(event["stdout"])
        sys.stdout.flush()
    elif "stderr" in event:
        sys.stderr.write(event["stderr"])
        sys.stderr.flush()
    elif "progress" in event:
        show_progress(str(event["progress"]), list(event["call"]))


def error_text(err: urllib.error.HTTPError) -> str:
    """The message of the server's JSON error answer (or its HTTP status)."""
    try:
        return str(json.loads(err.read())["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {err.code}"


def serve_command(
    argv: list[str],
    emit: Callable[[dict[str, Any]], None],
    *,
    width: int,
    terminal: bool,
    color_system: str | None,
    user: str | None,
) -> int:
    """Run a command a client sent, in this (the server's) process; its exit code. Output and
    progress go to ``emit`` as events."""
    from bizsight.cli.shell import app
    from bizsight.terminal import RemoteSink, bind_sink

    sink = RemoteSink(emit, width=width, terminal=terminal, color_system=color_system, user=user)
    if not argv or argv[0] not in FORWARDED:
        sink.error_console.print(
            f"error: the server does not run `bizsight {' '.join(argv[:1])}` for the CLI"
        )
        return 2
    undo = bind_sink(sink)
    try:
        code = app(args=argv, standalone_mode=False, prog_name="bizsight")
        return int(code or 0)
    except Exception as err:  # a usage error (the client parsed the same words, so rare)
        message = err.format_message() if hasattr(err, "format_message") else str(err)
        sink.error_console.print(f"error: {message}", highlight=False)
        return int(getattr(err, "exit_code", 2))
    finally:
        undo()


def cli_user() -> str:
    """Who runs this command, for the job row: the client's user when the server runs it."""
    from bizsight.terminal import remote_sink

    sink = remote_sink()
    name = sink.user if sink and sink.user else _login_name()
    return f"cli:{name or 'unknown'}"


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name here (a container, a service)
        return None
