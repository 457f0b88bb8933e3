"""Jobs: the work that writes to the warehouse or runs long (ingest, refresh, backup, ...).

In the server, one :class:`~bizsight.services.job_runner.JobRunner` runs them one at a time on
a thread of its own, while request threads keep reading through cursors of the same connection
(they see the new data when the job commits). The job row in the metadata store is the truth about a job: state, progress,
result, error. Without a server, :func:`perform` runs the same work in the calling process.

A job kind is a function ``work(ctx) -> result`` plus ``summary(result) -> dict`` for the job
row; kinds register themselves with :func:`job_kind` (see :mod:`bizsight.services.job_kinds`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizsight.console import Reporter
from bizsight.errors import BizsightError, InvalidArgumentError, JobCancelledError
from bizsight.services.project import Project

if TYPE_CHECKING:  # the metadata store (SQLAlchemy): only a server's runner opens one
    from bizsight.app.store import MetadataStore
    from bizsight.services.job_runner import JobRunner


@dataclass
class JobContext:
    """What a job's work gets: the project, its parameters and a reporter. Each report is also
    the point where a cancel request takes effect (the work's open transaction then rolls back)."""

    project: Project
    params: dict[str, Any]
    reporter: Reporter
    job_id: int | None = None
    store: MetadataStore | None = None
    cancelled: Callable[[], str | None] = lambda: None

    def step(self, message: str) -> None:
        self._check()
        self.reporter.step(message)

    def advance(self, done: float, total: float, message: str = "") -> None:
        self._check()
        self.reporter.advance(done, total, message)

    def warn(self, message: str) -> None:
        self.reporter.warn(message)

    def _check(self) -> None:
        reason = self.cancelled()
        if reason:
            raise JobCancelledError(reason)


@dataclass(frozen=True)
class JobKind:
    name: str
    work: Callable[[JobContext], Any]
    summary: Callable[[Any], dict[str, Any]]
    label: str


KINDS: dict[str, JobKind] = {}

# What to do after a job succeeds: ``hook(project, store, kind, result)`` gives the jobs to
# queue (kind, params); an alert check after each refresh is one (services/job_kinds.py).
FollowUp = Callable[[Project, "MetadataStore | None", str, Any], list[tuple[str, dict[str, Any]]]]
FOLLOW_UPS: list[FollowUp] = []


def after_job(hook: FollowUp) -> FollowUp:
    """Register ``hook``, asked after every successful job which jobs to queue next."""
    FOLLOW_UPS.append(hook)
    return hook


def follow_ups(
    project: Project, store: MetadataStore | None, name: str, result: Any
) -> list[tuple[str, dict[str, Any]]]:
    """The jobs to queue after job ``name`` succeeded with ``result``."""
    from bizsight.services import job_kinds  # noqa: F401  (registers the built-in follow-ups)

    return [job for hook in FOLLOW_UPS for job in hook(project, store, name, result)]


def job_kind(
    name: str, *, label: str, summary: Callable[[Any], dict[str, Any]]
) -> Callable[[Callable[[JobContext], Any]], Callable[[JobContext], Any]]:
    """Register ``work`` as the job kind ``name`` (``label`` is what people read)."""

    def register(work: Callable[[JobContext], Any]) -> Callable[[JobContext], Any]:
        KINDS[name] = JobKind(name, work, summary, label)
        return work

    return register


def kind(name: str) -> JobKind:
    from bizsight.services import job_kinds  # noqa: F401  (registers the built-in kinds)

    if name not in KINDS:
        raise InvalidArgumentError(f"unknown job kind '{name}' (known: {', '.join(sorted(KINDS))})")
    return KINDS[name]


# The runner of each project this process serves (the server registers its own).
RUNNERS: dict[Path, JobRunner] = {}


def runner_of(project: Project) -> JobRunner | None:
    return RUNNERS.get(project.root.resolve())


def perform(
    project: Project,
    name: str,
    params: dict[str, Any],
    reporter: Reporter,
    *,
    requested_by: str | None,
    origin: str,
) -> Any:
    """Do job ``name`` and return its result: through this process's runner when it serves the
    project (a job row, one writer at a time), else right here."""
    runner = runner_of(project)
    if runner is not None:
        return runner.run(name, params, reporter, requested_by=requested_by, origin=origin)
    result = kind(name).work(JobContext(project, params, reporter))
    for after, after_params in follow_ups(project, None, name, result):
        try:  # the work is done and committed: what follows it warns, it does not undo it
            kind(after).work(JobContext(project, after_params, reporter))
        except BizsightError as err:
            reporter.warn(f"{kind(after).label} after {kind(name).label.lower()}: {err}")
    return result
