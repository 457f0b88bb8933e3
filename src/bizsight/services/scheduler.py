"""The scheduler: a thread of the server that turns due schedules into jobs.

Every few seconds (or when woken) it reads the schedules table again, so schedules added or
removed on the command line while the server runs are seen. A due schedule gets one job on the
server's :class:`~bizsight.services.job_runner.JobRunner`; then its ``next_run_at`` moves to the first
fire time after now, so a schedule that fell due several times while the server was down runs
once, and that job says ``late``. A schedule whose previous job is still queued or running is
skipped for this slot (noted in its ``state["skipped"]``), never queued twice.

Time comes from an injected :class:`Clock`, so tests drive the scheduler through days of
schedules, daylight-saving changes included, in milliseconds.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import select

from bizsight.app.models import Job, JobState, Schedule
from bizsight.app.store import MetadataStore
from bizsight.console import NullReporter, Reporter
from bizsight.errors import BizsightError
from bizsight.services.job_runner import JobRunner
from bizsight.services.project import Project
from bizsight.services.schedule_timing import naive_utc, next_run
from bizsight.services.schedules import job_for

POLL_SECONDS = 5.0  # how often the table is read again at most
LATE_AFTER = dt.timedelta(minutes=1)  # a run this far past its time (a suspended machine) is late


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, aware, UTC."""

    def wait(self, wake: threading.Event, seconds: float) -> None:
        """Pause up to ``seconds``, or until ``wake`` is set."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def wait(self, wake: threading.Event, seconds: float) -> None:
        wake.wait(seconds)


log = logging.getLogger("bizsight.scheduler")


class KeptNotes(NullReporter):
    """The scheduler's reporter unless given one: keeps the newest warnings (a server runs for
    months; the schedules' rows keep their own skip notes)."""

    def __init__(self, keep: int = 200) -> None:
        self.warnings = collections.deque(maxlen=keep)  # type: ignore[assignment]

    def warn(self, message: str) -> None:
        super().warn(message)
        log.warning(message)  # and the server's log says so


@dataclass(frozen=True)
class Fired:
    """What one tick did with one due schedule."""

    schedule: str
    action: Literal["submitted", "skipped", "failed"]
    due: dt.datetime  # naive UTC, the slot this was for
    job_id: int | None = None
    late: bool = False
    note: str = ""


@dataclass(frozen=True)
class _Due:
    id: int
    name: str
    kind: str
    cron: str
    timezone: str
    params: dict[str, Any]
    created_by: str | None
    next_run_at: dt.datetime
    last_job_id: int | None
    last_job_state: str | None


class Scheduler:
    """Submits a job for each due schedule of the project, on its own thread."""

    def __init__(
        self,
        project: Project,
        store: MetadataStore,
        runner: JobRunner,
        *,
        clock: Clock | None = None,
        reporter: Reporter | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.project, self.store, self.runner = project, store, runner
        self.clock: Clock = clock or SystemClock()
        self.reporter: Reporter = reporter or KeptNotes()
        self.poll_seconds = poll_seconds
        self.started_at = naive_utc(self.clock.now())
        self.recent: collections.deque[Fired] = collections.deque(maxlen=200)
        self._earliest: dt.datetime | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Runs whatever fell due while nobody ran schedules (once each, late), then keeps time."""
        self.started_at = naive_utc(self.clock.now())
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="bizsight-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Read the schedules again now (after a change made in this process)."""
        self._wake.set()

    @contextmanager
    def running(self) -> Iterator[Scheduler]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.tick()
            except Exception as err:  # a bad row or a store hiccup must not stop the schedules
                self.reporter.warn(f"scheduler: {type(err).__name__}: {err}")
            if self._stopping.is_set():
                return
            self.clock.wait(self._wake, self._pause())

    def _pause(self) -> float:
        if self._earliest is None:
            return self.poll_seconds
        until = (self._earliest - naive_utc(self.clock.now())).total_seconds()
        return min(self.poll_seconds, max(until, 0.05))

    # -- one look at the table ----------------------------------------------------------------

    def tick(self) -> list[Fired]:
        """Submit one job for each enabled schedule that is due now; what was done."""
        now = self.clock.now()
        due, self._earliest = self._due(now)
        fired = [self._fire(schedule, now) for schedule in due]
        self.recent.extend(fired)
        return fired

    def _due(self, now: dt.datetime) -> tuple[list[_Due], dt.datetime | None]:
        """The due schedules (read in one short session: submitting writes rows of its own) and
        the earliest next run of the others."""
        moment = naive_utc(now)
        found, upcoming = [], []
        with self.store.session() as s:
            for row in s.scalars(select(Schedule).where(Schedule.enabled.is_(True)).order_by(Schedule.id)):
                if row.next_run_at is None:  # written by hand or by an older version: start now
                    try:
                        row.next_run_at = naive_utc(next_run(row.cron, row.timezone, now))
                    except BizsightError as err:  # one bad row must not stop the others
                        self.reporter.warn(f"schedule '{row.name}': {err}")
                        continue
                if row.next_run_at > moment:
                    upcoming.append(row.next_run_at)
                    continue
                state = (
                    s.scalar(select(Job.state).where(Job.id == row.last_job_id)) if row.last_job_id else None
                )
                found.append(
                    _Due(
                        row.id,
                        row.name,
                        row.kind,
                        row.cron,
                        row.timezone,
                        dict(row.params or {}),
                        row.created_by,
                        row.next_run_at,
                        row.last_job_id,
                        state,
                    )
                )
        return found, min(upcoming, default=None)

    def _fire(self, due: _Due, now: dt.datetime) -> Fired:
        moment = naive_utc(now)
        try:
            following = naive_utc(next_run(due.cron, due.timezone, now))
        except BizsightError as err:  # the row was edited into something we cannot read
            return self._note(due, Fired(due.name, "failed", due.next_run_at, note=str(err)), None)
        if due.last_job_state in (JobState.QUEUED.value, JobState.RUNNING.value):
            note = (
                f"skipped the run due {due.next_run_at:%Y-%m-%d %H:%M} UTC: "
                f"job {due.last_job_id} is still {due.last_job_state}"
            )
            return self._note(due, Fired(due.name, "skipped", due.next_run_at, note=note), following)
        late = due.next_run_at < self.started_at or moment - due.next_run_at > LATE_AFTER
        try:
            kind, params = job_for(due.kind, due.params)
            job_id = self.runner.submit(
                kind,
                params,
                requested_by=due.created_by,
                origin="schedule",
                schedule_id=due.id,
                late=late,
            )
        except BizsightError as err:  # e.g. a job kind this version does not have
            note = f"could not submit the run due {due.next_run_at:%Y-%m-%d %H:%M} UTC: {err}"
            return self._note(due, Fired(due.name, "failed", due.next_run_at, note=note), following)
        with self.store.session() as s:
            row = s.get(Schedule, due.id)
            if row is not None:  # removed meanwhile: the job runs all the same
                row.last_run_at, row.last_job_id, row.next_run_at = moment, job_id, following
        return Fired(due.name, "submitted", due.next_run_at, job_id=job_id, late=late)

    def _note(self, due: _Due, fired: Fired, following: dt.datetime | None) -> Fired:
        """A slot that made no job: say why, remember it on the row, move on to the next slot."""
        self.reporter.warn(f"schedule '{due.name}': {fired.note}")
        with self.store.session() as s:
            row = s.get(Schedule, due.id)
            if row is not None:
                if following is not None:
                    row.next_run_at = following
                else:  # cannot compute the next slot: stop until someone fixes the schedule
                    row.enabled = False
                skipped = dict((row.state or {}).get("skipped") or {})
                row.state = {
                    **(row.state or {}),
                    "skipped": {
                        "count": int(skipped.get("count", 0)) + 1,
                        "last_due": due.next_run_at.isoformat(),
                        "reason": fired.note,
                    },
                }
        return fired
