"""What the server process owns: the project, its warehouse (the one read-write connection),
the metadata store, the job runner and its scheduler, the rate limiters and the request telemetry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bizsight.app.store import MetadataStore
from bizsight.services.job_runner import JobRunner
from bizsight.services.limits import RateLimiter
from bizsight.services.login_guard import LoginGuard
from bizsight.services.project import Project
from bizsight.services.scheduler import Scheduler
from bizsight.serving.telemetry import Telemetry
from bizsight.warehouse.connection import Warehouse


class CommandRunner(Protocol):
    """Runs a command line the CLI sent (``bizsight.cli.remote.serve_command``); its exit code."""

    def __call__(
        self,
        argv: list[str],
        emit: Callable[[dict[str, Any]], None],
        *,
        width: int,
        terminal: bool,
        color_system: str | None,
        user: str | None,
    ) -> int: ...


@dataclass
class AppState:
    project: Project
    store: MetadataStore
    warehouse: Warehouse
    runner: JobRunner
    login_guard: LoginGuard
    query_limiter: RateLimiter
    telemetry: Telemetry = field(default_factory=Telemetry)
    # Commands the CLI sends while this server owns the project (``bizsight serve`` sets both).
    commands: CommandRunner | None = None
    local_token: str | None = None
    scheduler: Scheduler | None = None  # set by the app's lifespan, after the runner starts

    @classmethod
    def build(
        cls,
        project: Project,
        store: MetadataStore,
        warehouse: Warehouse,
        runner: JobRunner,
        *,
        commands: CommandRunner | None = None,
        local_token: str | None = None,
    ) -> AppState:
        server = project.settings.server
        return cls(
            project=project,
            store=store,
            warehouse=warehouse,
            runner=runner,
            commands=commands,
            local_token=local_token,
            login_guard=LoginGuard(
                per_minute=server.login_per_minute,
                lock_after=server.login_lock_after,
                lock_minutes=server.login_lock_minutes,
                spray_accounts=server.login_spray_accounts,
            ),
            query_limiter=RateLimiter(server.queries_per_minute, what="queries"),
        )
