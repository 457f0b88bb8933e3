"""Which process owns a project's warehouse, and how the CLI reaches it.

``bizsight serve`` holds the warehouse read-write and writes ``.bizsight/server.json``: its
address, its PID and a random token, readable by its owner only (mode 0600). A command finds the
owner from DuckDB's lock, which names the holder's PID, and trusts the server file only when that
PID matches: a file left behind by a killed server is never taken for a running one.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bizsight.errors import WarehouseLockedError
from bizsight.services.project import Project, owned_here
from bizsight.warehouse.connection import lock_holder

SERVER_FILE = "server.json"


@dataclass(frozen=True)
class Owner:
    """A running server that owns the project: where to reach it and how to prove we may."""

    url: str
    pid: int
    token: str


def server_file(project: Project) -> Path:
    return project.paths.state_dir / SERVER_FILE


def announce(project: Project, url: str) -> Owner:
    """Write the server file for this process (a new token each start); readable by its owner
    only, created with that mode so the token is never readable by anyone else, even briefly."""
    owner = Owner(url=url, pid=os.getpid(), token="bzl_" + secrets.token_urlsafe(32))
    path = server_file(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"url": owner.url, "pid": owner.pid, "token": owner.token}, handle)
    partial.replace(path)
    return owner


def withdraw(project: Project, owner: Owner) -> None:
    """Remove the server file, if it is still this server's."""
    path = server_file(project)
    if _read(path) == owner:
        path.unlink(missing_ok=True)


def find_owner(project: Project) -> Owner | None:
    """The server to send work to, or None when this process may open the warehouse itself
    (nobody holds it, or this process is the server). Another process holding it that is not a
    server (a running ``bizsight ingest``, say) is an error: wait for it."""
    if owned_here(project):
        return None
    holder = lock_holder(project.paths.warehouse)
    if holder is None:
        return None
    announced = _read(server_file(project))
    if announced is not None and announced.pid == holder:
        return announced
    who = f"process {holder}" if holder else "another process"
    raise WarehouseLockedError(
        f"the warehouse {project.paths.warehouse} is in use by {who}, which is not a bizsight "
        "server; wait for it to finish (or stop it)"
    )


def _read(path: Path) -> Owner | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Owner(url=str(data["url"]), pid=int(data["pid"]), token=str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
