"""Demo warehouses built once per test session and shared (docs/decisions/0052-shared-demo-warehouse.md).

A demo build (generate, ingest, refresh) costs seconds to a minute; copying the built directory
costs a fraction of a second. So each :class:`DemoSpec` is built once per session, in a directory
that both xdist workers see, under a file lock (the first worker builds, the other waits and
reuses). Tests that only read get :meth:`DemoBuilds.shared`: the built project itself, whose
warehouse opens read-only. Tests that write (users, dashboards, reports, more files, a server
holding the warehouse read-write) get :meth:`DemoBuilds.copy`: their own copy to change.

A shared build's files are fingerprinted when it is built and checked again when the session
ends: a test that wrote into a shared project fails the session instead of changing what the
tests after it read.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse
from tests.helpers import demo_project


@dataclass(frozen=True)
class DemoSpec:
    """The arguments of one demo build (bizsight.demo.generate); the seed is always fixed."""

    customers: int
    years: float
    seed: int
    dirty: float = 0.0
    end_date: dt.date | None = None

    @property
    def key(self) -> str:
        end = f"-e{self.end_date:%Y%m%d}" if self.end_date else ""
        return f"demo-c{self.customers}-y{self.years:g}-s{self.seed}-d{self.dirty:g}{end}"

    def options(self) -> dict[str, object]:
        found: dict[str, object] = {"customers": self.customers, "years": self.years, "seed": self.seed}
        if self.dirty:
            found["dirty"] = self.dirty
        if self.end_date:
            found["end_date"] = self.end_date
        return found


# The builds several test files share. Read-only users and copies of one spec cost one build.
SMALL = DemoSpec(customers=300, years=3.0, seed=12)  # CLI, reports, scheduler, backup, alerts
# The API tests page through open deals: seed 7 over two years leaves several open, seed 12 one.
API = DemoSpec(customers=300, years=2.0, seed=7)
WEB = DemoSpec(customers=2000, years=2.0, seed=11)  # the served pages; RFM and review sentiment
CUSTOMER_MODELS = DemoSpec(customers=4000, years=3.0, seed=13)  # churn and CLV fits
TINY = DemoSpec(customers=120, years=1.0, seed=4)  # a server or an app that only needs some data


class SharedProject(Project):
    """A shared demo project: its warehouse opens read-only, whatever the caller asks, so a test
    that tries to write into it fails at once (DuckDB refuses) instead of changing it for others."""

    @contextmanager
    def warehouse(self, *, read_only: bool = False) -> Iterator[Warehouse]:
        with super().warehouse(read_only=True) as wh:
            yield wh


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes (fcntl; released when the file closes)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fingerprint(root: Path) -> dict[str, list[int]]:
    """Every file under ``root``: its size and modification time (nanoseconds)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            found[str(path.relative_to(root))] = [stat.st_size, stat.st_mtime_ns]
    return found


class DemoBuilds:
    """The session's demo builds, kept in ``base`` (shared by the xdist workers of one run)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.base.mkdir(parents=True, exist_ok=True)
        self.used: set[DemoSpec] = set()

    def built(self, spec: DemoSpec) -> Path:
        """The directory of ``spec``'s build (``data/`` generated, ``shop/`` the project), built
        by whichever worker asks first; the others wait for it."""
        root = self.base / spec.key
        prints = self.base / f"{spec.key}.json"
        with _locked(self.base / f"{spec.key}.lock"):
            if not prints.exists():
                if root.exists():  # a build that failed half-way
                    shutil.rmtree(root)
                demo_project(root, **spec.options())
                prints.write_text(json.dumps(fingerprint(root)), encoding="utf-8")
        self.used.add(spec)
        return root

    def shared(self, spec: DemoSpec) -> SharedProject:
        """The shared build's project, to read only."""
        return SharedProject(self.built(spec) / "shop")

    def copy(self, spec: DemoSpec, dest: Path) -> Project:
        """A private copy of ``spec``'s build in ``dest`` (``dest/data`` and ``dest/shop``), to
        change at will."""
        shutil.copytree(self.built(spec), dest, dirs_exist_ok=True)
        return Project(dest / "shop")

    def truth(self, spec: DemoSpec) -> dict[str, object]:
        """The generator's ground truth for ``spec`` (its ``ground_truth.json``)."""
        text = (self.built(spec) / "data" / "ground_truth.json").read_text(encoding="utf-8")
        return dict(json.loads(text))

    def changed(self) -> list[str]:
        """The shared builds this worker used whose files are not as they were built."""
        found = []
        for spec in sorted(self.used, key=lambda s: s.key):
            was = json.loads((self.base / f"{spec.key}.json").read_text(encoding="utf-8"))
            now = fingerprint(self.base / spec.key)
            if now != was:
                touched = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k))
                found.append(f"{spec.key}: {', '.join(touched)}")
        return found


def builds_directory(basetemp: Path) -> Path:
    """Where a session keeps its demo builds: beside the workers' own temporary directories
    under xdist (so both workers see one), inside the session's own otherwise (never shared
    with an earlier run)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return basetemp.parent / "shared-demos"
    return basetemp / "shared-demos"
