"""The server's job runner: one job at a time on a thread of its own, each a row in the metadata
store (state, progress, result, error) that the API, the pages and the CLI read.

Kept apart from :mod:`bizsight.services.jobs` (the kinds and :func:`~bizsight.services.jobs.perform`)
so that a command run without a server does not import the store's SQLAlchemy models.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bizsight.app import jobs as job_rows
from bizsight.app.models import Job, JobState, utcnow
from bizsight.console import NullReporter, Reporter
from bizsight.errors import BizsightError, JobCancelledError
from bizsight.services.jobs import RUNNERS, JobContext, follow_ups, kind
from bizsight.services.project import Project

if TYPE_CHECKING:
    from bizsight.app.store import MetadataStore

log = logging.getLogger("bizsight.jobs")
PERSIST_EVERY = 0.5  # seconds between writes of a running job's progress to its row


@dataclass
class _Running:
    """The runner's memory of a job it has taken: who follows it and how it ended."""

    followers: list[queue.Queue[tuple[Any, ...]]] = field(default_factory=list)
    cancel_reason: str | None = None
    outcome: tuple[bool, Any] | None = None  # (ok, result or exception), for a follower
    done: threading.Event = field(default_factory=threading.Event)


class JobRunner:
    """Runs the project's jobs one at a time on its own thread (one writer at a time)."""

    def __init__(self, project: Project, store: MetadataStore) -> None:
        self.project = project
        self.store = store
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._jobs: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.current: int | None = None

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> None:
        with self.store.session() as s:
            left = job_rows.interrupt_unfinished(s)  # by a process that died: never resumed
        if left:
            log.warning("jobs %s were unfinished when the server last stopped: marked interrupted", left)
        self._thread = threading.Thread(target=self._work, name="bizsight-jobs", daemon=True)
        self._thread.start()
        RUNNERS[self.project.root.resolve()] = self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking jobs; the running one is asked to stop (its transaction rolls back) and is
        marked interrupted. Jobs still queued are marked interrupted at the next start."""
        RUNNERS.pop(self.project.root.resolve(), None)
        with self._lock:
            running = self._jobs.get(self.current) if self.current is not None else None
            if running is not None:
                running.cancel_reason = "the server is stopping"
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    @contextmanager
    def running(self) -> Iterator[JobRunner]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    # -- asking -------------------------------------------------------------------------------

    def submit(
        self,
        name: str,
        params: dict[str, Any],
        *,
        requested_by: str | None,
        origin: str,
        schedule_id: int | None = None,
        late: bool = False,
        follower: queue.Queue[tuple[Any, ...]] | None = None,
    ) -> int:
        """Queue a job; its id. The job row says when it starts, how far it is and how it ended.
        A ``follower`` queue receives its progress events, then ``("end",)``."""
        kind(name)  # an unknown kind is refused before anything is stored
        with self.store.session() as s:
            job_id = job_rows.create(
                s,
                name,
                params,
                requested_by=requested_by,
                origin=origin,
                schedule_id=schedule_id,
                late=late,
            ).id
        with self._lock:
            self._jobs[job_id] = _Running(followers=[follower] if follower is not None else [])
        self._queue.put(job_id)
        return job_id

    def run(
        self,
        name: str,
        params: dict[str, Any],
        reporter: Reporter,
        *,
        requested_by: str | None,
        origin: str,
    ) -> Any:
        """Submit a job and wait for it, relaying its progress to ``reporter``; its result, or its
        error raised here."""
        events: queue.Queue[tuple[Any, ...]] = queue.Queue()
        job_id = self.submit(name, params, requested_by=requested_by, origin=origin, follower=events)
        with self._lock:
            running = self._jobs[job_id]
        reporter.step(f"job {job_id} queued")
        while True:
            event = events.get()
            if event[0] == "end":
                break
            getattr(reporter, event[0])(*event[1:])
        running.done.wait()
        with self._lock:
            self._jobs.pop(job_id, None)
        assert running.outcome is not None
        ok, value = running.outcome
        if not ok:
            raise value
        return value

    def cancel(self, job_id: int, *, by: str | None) -> Job:
        """Cancel a queued job at once; ask a running one to stop at its next step."""
        reason = f"cancelled by {by}" if by else "cancelled"
        with self.store.session() as s:
            job = job_rows.get(s, job_id)
            if JobState(job.state).finished:
                return job
            job.cancel_requested = True
            if job.state == JobState.QUEUED.value:
                job.state, job.finished_at, job.error = JobState.CANCELLED.value, utcnow(), reason
        with self._lock:
            running = self._jobs.get(job_id)
            if running is not None:
                running.cancel_reason = reason
        with self.store.session() as s:
            return job_rows.get(s, job_id)

    # -- the worker ---------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                running = self._jobs.setdefault(job_id, _Running())
                self.current = job_id
            try:
                self._run_one(job_id, running)
            finally:
                with self._lock:
                    self.current = None
                    if not running.followers:
                        self._jobs.pop(job_id, None)
                for follower in running.followers:
                    follower.put(("end",))
                running.done.set()

    def _run_one(self, job_id: int, running: _Running) -> None:
        with self.store.session() as s:
            job = job_rows.get(s, job_id)
            if job.state != JobState.QUEUED.value:  # cancelled while queued
                running.outcome = (False, JobCancelledError(job.error or "cancelled"))
                return
            job.state, job.started_at = JobState.RUNNING.value, utcnow()
            name, params = job.kind, dict(job.params)
            log.info("job %d (%s) started, asked by %s", job_id, name, job.requested_by or job.origin)
        progress = _Progress(self.store, job_id, running)
        context = JobContext(
            self.project,
            params,
            progress,
            job_id=job_id,
            store=self.store,
            cancelled=lambda: running.cancel_reason,
        )
        spec = kind(name)
        try:
            result = spec.work(context)
            summary = spec.summary(result)
        except JobCancelledError as err:
            stopping = running.cancel_reason == "the server is stopping"
            state = JobState.INTERRUPTED if stopping else JobState.CANCELLED
            self._finish(job_id, state, progress, error=str(err))
            running.outcome = (False, err)
        except BizsightError as err:
            self._finish(job_id, JobState.FAILED, progress, error=str(err))
            running.outcome = (False, err)
        except Exception as err:  # a bug: the job says so, the server goes on
            text = str(err).splitlines()[0] if str(err) else ""
            self._finish(
                job_id, JobState.FAILED, progress, error=f"internal error: {type(err).__name__}: {text}"
            )
            running.outcome = (False, err)
        else:
            self._finish(job_id, JobState.SUCCEEDED, progress, result=summary)
            running.outcome = (True, result)
            self._follow(job_id, name, result)

    def _follow(self, job_id: int, name: str, result: Any) -> None:
        """Queue what follows a successful job (an alert check after a refresh)."""
        try:
            jobs = follow_ups(self.project, self.store, name, result)
        except Exception:  # a follow-up never fails the job that is done
            log.exception("job %d: deciding what follows it failed", job_id)
            return
        for after, params in jobs:
            queued = self.submit(after, params, requested_by=None, origin="after-job")
            log.info("job %d (%s) queued after job %d (%s)", queued, after, job_id, name)

    def _finish(
        self,
        job_id: int,
        state: JobState,
        progress: _Progress,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        level = logging.INFO if state is JobState.SUCCEEDED else logging.WARNING
        seconds = time.monotonic() - progress.started
        log.log(
            level, "job %d %s after %.1f s%s", job_id, state.value, seconds, f": {error}" if error else ""
        )
        with self.store.session() as s:
            job = job_rows.get(s, job_id)
            job.state, job.finished_at = state.value, utcnow()
            job.result, job.error = result, error
            job.warnings = progress.warnings
            job.message = progress.message
            if state is JobState.SUCCEEDED:
                job.progress = 1.0


class _Progress(NullReporter):
    """A running job's reporter: relays to followers at once, writes the row now and then."""

    def __init__(self, store: MetadataStore, job_id: int, running: _Running) -> None:
        super().__init__()
        self.store, self.job_id, self.running = store, job_id, running
        self.message = ""
        self.fraction = 0.0
        self.started = time.monotonic()
        self._saved = 0.0

    def step(self, message: str) -> None:
        self.message = message
        self._relay("step", message)
        self._save()

    def advance(self, done: float, total: float, message: str = "") -> None:
        self.fraction = min(1.0, done / total) if total else 1.0
        if message:
            self.message = message
        self._relay("advance", done, total, message)
        self._save()

    def warn(self, message: str) -> None:
        super().warn(message)
        self._relay("warn", message)
        self._save(force=True)

    def _relay(self, *event: Any) -> None:
        for follower in list(self.running.followers):
            follower.put(event)

    def _save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._saved < PERSIST_EVERY:
            return
        self._saved = now
        with self.store.session() as s:
            job = job_rows.get(s, self.job_id)
            job.progress, job.message = self.fraction, self.message[:500]
            job.warnings = list(self.warnings)
