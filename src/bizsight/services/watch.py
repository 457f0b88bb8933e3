"""The watch job: load the files that are new or changed in a folder, then refresh.

A file is taken once it has not changed for ``settle_seconds`` (so a file still being copied in is
not read half-written). What was taken (name, size, modification time) is remembered in the
schedule's ``state["files"]``, in the metadata store, so a restart does not take it again; a file
that changes afterwards is taken again. A file that cannot be loaded is remembered with its error
and retried only when it changes, so one bad file never blocks the others.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bizsight.app.models import Job, Schedule
from bizsight.errors import InputFileError, InvalidArgumentError
from bizsight.services.ingest import IngestSummary, ingest
from bizsight.services.jobs import JobContext
from bizsight.services.refresh import refresh

WATCHED = (".csv", ".tsv", ".xlsx", ".parquet", ".json", ".jsonl")


@dataclass(frozen=True)
class Seen:
    size: int
    mtime_ns: int


@dataclass
class WatchSummary:
    folder: str
    taken: list[str] = field(default_factory=list)  # file names loaded (or found loaded before)
    failed: dict[str, str] = field(default_factory=dict)  # file name → why it was not loaded
    waiting: list[str] = field(default_factory=list)  # still changing: taken at a later run
    unchanged: int = 0
    rows_loaded: int = 0
    ingest: IngestSummary | None = None
    refreshed: bool = False
    refresh: dict[str, object] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "folder": self.folder,
            "taken": self.taken,
            "failed": self.failed,
            "waiting": self.waiting,
            "unchanged": self.unchanged,
            "rows_loaded": self.rows_loaded,
            "files": self.ingest.as_dict()["files"] if self.ingest else [],
            "refreshed": self.refreshed,
            "refresh": self.refresh,
        }


def scan(folder: Path) -> dict[str, Seen]:
    """The files of ``folder`` (not its subfolders) that bizsight reads, by name."""
    if not folder.is_dir():
        raise InvalidArgumentError(f"watch folder {folder}: not a directory")
    found = {}
    for path in folder.iterdir():
        if path.name.startswith((".", "~$")) or path.suffix.lower() not in WATCHED:
            continue
        info = path.stat()
        if path.is_file():
            found[path.name] = Seen(info.st_size, info.st_mtime_ns)
    return found


def pick(
    found: dict[str, Seen], memory: dict[str, dict[str, Any]], now: float, settle_seconds: float
) -> tuple[list[str], list[str], int]:
    """(new or changed and settled, new or changed but still changing, unchanged) names.

    >>> memory = {"a.csv": {"size": 10, "mtime_ns": 1_000_000_000}}
    >>> found = {"a.csv": Seen(10, 1_000_000_000), "b.csv": Seen(5, 99_000_000_000)}
    >>> pick(found, memory, now=100.0, settle_seconds=5)
    ([], ['b.csv'], 1)
    >>> pick(found, memory, now=104.0, settle_seconds=5)
    (['b.csv'], [], 1)
    """
    ready, waiting, unchanged = [], [], 0
    for name in sorted(found):
        seen, known = found[name], memory.get(name)
        if known and (known.get("size"), known.get("mtime_ns")) == (seen.size, seen.mtime_ns):
            unchanged += 1
        elif now - seen.mtime_ns / 1e9 >= settle_seconds:
            ready.append(name)
        else:
            waiting.append(name)
    return ready, waiting, unchanged


def watch(ctx: JobContext) -> WatchSummary:
    """The work of a ``watch`` job (params: folder, settle_seconds)."""
    folder = Path(ctx.params["folder"])
    settle = float(ctx.params.get("settle_seconds", 5))
    summary = WatchSummary(str(folder))
    schedule_id, state = _state(ctx)
    memory: dict[str, dict[str, Any]] = dict(state.get("files") or {})
    ctx.step(f"looking for new files in {folder}")
    found = scan(folder)
    ready, summary.waiting, summary.unchanged = pick(found, memory, time.time(), settle)
    for name in summary.waiting:
        ctx.warn(f"{name} is still changing; it will be taken when it has been still for {settle:g} s")
    if ready:
        summary.ingest = _load(ctx, [folder / name for name in ready], summary)
        summary.rows_loaded = sum(r.loaded for r in summary.ingest.results)
        taken_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for name in ready:
            memory[name] = {
                "size": found[name].size,
                "mtime_ns": found[name].mtime_ns,
                "taken_at": taken_at,
                "job_id": ctx.job_id,
                "error": summary.failed.get(name),
            }
    pending = bool(state.get("refresh_pending")) or summary.rows_loaded > 0
    # Remember what was taken before refreshing: a failed refresh is retried by the next run,
    # the loads are not repeated.
    _remember(ctx, schedule_id, memory, refresh_pending=pending)
    if pending:
        ctx.step("refreshing")
        summary.refresh = refresh(ctx.project, ctx).as_dict()
        summary.refreshed = True
        _remember(ctx, schedule_id, memory, refresh_pending=False)
    return summary


def _load(ctx: JobContext, paths: list[Path], summary: WatchSummary) -> IngestSummary:
    """All files in one ingest (it orders them: customers before orders); if one of them is bad,
    each on its own, so the good ones are loaded and the bad one is named."""
    try:
        loaded = ingest(ctx.project, paths, ctx)
        summary.taken = [p.name for p in paths]
        return loaded
    except InputFileError:
        pass
    loaded = IngestSummary()
    for path in paths:
        try:
            one = ingest(ctx.project, [path], ctx)
        except InputFileError as err:
            summary.failed[path.name] = str(err)
            ctx.warn(f"{path.name} was not loaded: {err}")
            continue
        loaded.results.extend(one.results)
        summary.taken.append(path.name)
    return loaded


def _state(ctx: JobContext) -> tuple[int | None, dict[str, Any]]:
    """The schedule this job runs for, and its state (none for a watch run by hand)."""
    if ctx.store is None or ctx.job_id is None:
        return None, {}
    with ctx.store.session() as s:
        job = s.get(Job, ctx.job_id)
        schedule = s.get(Schedule, job.schedule_id) if job and job.schedule_id else None
        return (schedule.id, dict(schedule.state or {})) if schedule else (None, {})


def _remember(
    ctx: JobContext, schedule_id: int | None, memory: dict[str, dict[str, Any]], *, refresh_pending: bool
) -> None:
    if ctx.store is None or schedule_id is None:
        return
    with ctx.store.session() as s:  # read just before writing: the scheduler notes skips here too
        schedule = s.get(Schedule, schedule_id)
        if schedule is not None:
            schedule.state = {**(schedule.state or {}), "files": memory, "refresh_pending": refresh_pending}
