"""Commands from the CLI on the server's machine (``bizsight ingest`` and co. while it serves)."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bizsight.api.deps import LocalCaller, StateDep
from bizsight.api.schemas.errors import ERRORS
from bizsight.errors import NotFoundError
from bizsight.serving.state import CommandRunner

router = APIRouter(prefix="/local", tags=["local"], responses=ERRORS)

HEARTBEAT = 5.0  # seconds: a line at least this often, so the client can tell a slow job from a dead server


class LocalCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    argv: list[str] = Field(min_length=1, max_length=500, description="the command line after `bizsight`")
    width: int = Field(default=100, ge=20, le=1000, description="the client's terminal width")
    terminal: bool = Field(default=False, description="the client's stderr is a terminal (progress bars)")
    color_system: Literal["standard", "256", "truecolor", "windows"] | None = None
    user: str | None = Field(default=None, max_length=64, description="the client's user name")


@router.post(
    "/commands",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            "description": "events, one JSON object per line",
        }
    },
)
def local_command(body: LocalCommand, caller: LocalCaller, state: StateDep) -> StreamingResponse:
    """Run a command line for the CLI of this machine: a stream of JSON lines — ``{"stdout": text}``,
    ``{"stderr": text}``, ``{"progress": title, "call": [...]}``, ``{"tick": 1}`` — ending with
    ``{"exit": code}``."""
    if state.commands is None:
        raise NotFoundError("this server does not take commands from the CLI")
    return StreamingResponse(_events(state.commands, body), media_type="application/x-ndjson")


def _events(commands: CommandRunner, body: LocalCommand) -> Iterator[str]:
    """Run the command on a thread of its own; yield its events as lines while it runs. The
    command goes on if the client goes away (a job it started is not stopped by that)."""
    events: queue.Queue[dict[str, Any]] = queue.Queue()

    def work() -> None:
        code = 1
        try:
            code = commands(
                body.argv,
                events.put,
                width=body.width,
                terminal=body.terminal,
                color_system=body.color_system,
                user=body.user,
            )
        finally:
            events.put({"exit": code})

    threading.Thread(target=work, name="bizsight-cli-command", daemon=True).start()
    while True:
        try:
            event = events.get(timeout=HEARTBEAT)
        except queue.Empty:
            event = {"tick": 1}
        yield json.dumps(event, default=str) + "\n"
        if "exit" in event:
            return
