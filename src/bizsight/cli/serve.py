"""``bizsight serve``: the web app and REST API, in one process that owns the warehouse."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from bizsight.cli.shell import ProjectOpt, app, fail, run

HostOpt = Annotated[str | None, typer.Option(help="Address to listen on (default: server.host, 127.0.0.1).")]
PortOpt = Annotated[int | None, typer.Option(help="Port (default: server.port, 8000).")]


@app.command()
def serve(host: HostOpt = None, port: PortOpt = None, project: ProjectOpt = Path()) -> None:
    """Serve the web app and the REST API (docs at /api/v1/docs).

    This process holds the warehouse read-write while it runs and does the work on it: loads,
    refreshes and backups run as jobs, one at a time, while pages and queries keep being answered.
    Other bizsight commands on the same project (ingest, refresh, status, query, analyze, ...)
    send themselves to it and show its answer. On first run it creates the user 'admin' and prints
    its password (or takes it from $BIZSIGHT_ADMIN_PASSWORD).
    """
    serve_project(project, host=host, port=port)


def serve_project(directory: Path, *, host: str | None, port: int | None) -> None:
    import uvicorn

    from bizsight.cli.remote import serve_command
    from bizsight.cli.users import print_login
    from bizsight.server import create_app
    from bizsight.services.owner import announce, withdraw
    from bizsight.services.project import Project
    from bizsight.services.users import ensure_admin, open_store
    from bizsight.terminal import console

    project = Project(directory.resolve())
    if not project.initialized:
        fail(f"{directory.resolve()} is not a bizsight project: run `bizsight init` or `bizsight demo` first")
    settings = run(lambda: project.settings.server)
    host, port = host or settings.host, port or settings.port
    require_free_port(host, port)  # before an admin account is made or anything is printed
    store = run(lambda: open_store(project))
    first = run(lambda: ensure_admin(store, settings))
    with ExitStack() as stack:
        warehouse = run(lambda: stack.enter_context(project.warehouse()))  # the one read-write connection
        if first is not None:
            print_login(*first)
        else:
            console().print(
                "Log in with your user (forgot the admin password? "
                f"`bizsight users reset-password admin -p {directory}`)."
            )
        console().print(
            f"bizsight is serving {project.root.resolve()} on [bold]http://{host}:{port}[/] "
            f"(API docs: http://{host}:{port}/api/v1/docs); Ctrl-C stops it."
        )
        # The CLI finds this server by the warehouse lock and reaches it with this file's token.
        owner = announce(project, f"http://{_loopback(host)}:{port}")
        stack.callback(withdraw, project, owner)
        app = create_app(
            project,
            store=store,
            warehouse=warehouse,
            commands=serve_command,
            local_token=owner.token,
            warm_pages=True,
        )
        _log_to_stderr()
        # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1; the app believes
        # it only from server.trusted_proxies (serving.deps.client_address)
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
    store.close()


def listen_address(directory: Path, host: str | None, port: int | None) -> tuple[str, int]:
    """Where ``bizsight serve`` on ``directory`` listens: the options, else ``server:`` in its
    bizsight.yml (defaults when there is none yet)."""
    from bizsight.services.project import Project

    settings = run(lambda: Project(directory).settings.server)
    return host or settings.host, port or settings.port


def require_free_port(host: str, port: int) -> None:
    """Exit with one line naming the port and ``--port`` when ``host:port`` cannot be listened
    on; checked before the server does anything, so nothing is half-done when it cannot start.

    Binds the way asyncio's server does (every address ``host`` resolves to, SO_REUSEADDR), so a
    port that only has connections closing on it (TIME_WAIT) counts as free.
    """
    import errno
    import socket

    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        fail(f"cannot listen on {host}: {err.strerror}; choose another address with --host")
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as err:
                if err.errno == errno.EADDRNOTAVAIL and len(addresses) > 1:
                    continue  # e.g. ::1 for localhost without IPv6: the server skips it too
                if err.errno == errno.EADDRINUSE:
                    fail(
                        f"Port {port} on {host} is in use: stop the other server or choose another "
                        "with --port"
                    )
                fail(f"cannot listen on {host}:{port}: {err.strerror}; choose another with --host or --port")


def _log_to_stderr() -> None:
    """Jobs and schedules say what they do in the server's log, beside uvicorn's lines."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
    logger = logging.getLogger("bizsight")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _loopback(host: str) -> str:
    """The address this machine's CLI reaches the server on."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
