"""Shared fixtures: a fresh project per test, small canonical files, and CLI runners."""

from __future__ import annotations

import os

# Three test workers share two cores: scikit-learn's OpenMP threads in each would oversubscribe them
# (a churn fit went from 12 s to minutes). Set before any test imports scikit-learn.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bizsight.console import NullReporter
from bizsight.services.ingest import IngestSummary, ingest
from bizsight.services.project import Project
from tests.demo_builds import API, DemoBuilds, builds_directory
from tests.helpers import CUSTOMER_HEADER, PRODUCT_HEADER, customers, products, write_csv

HEAVY_MARKS = ("slow", "browser", "spark")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files holding a slow, browser or Spark test run first, the quick files after them.

    `make test` hands whole files to three workers (``--dist loadfile --no-loadscope-reorder``) in
    this order: a long file handed out last would keep one worker busy while the others have
    finished; quick files at the end fill the gap instead."""
    heavy = {item.path for item in items if any(item.get_closest_marker(m) for m in HEAVY_MARKS)}
    items.sort(key=lambda item: item.path not in heavy)  # stable: each file keeps its own order


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "shop")


@pytest.fixture
def dims(tmp_path: Path) -> list[Path]:
    """A customers file (C1–C3) and a products file (P1–P2)."""
    return [
        write_csv(tmp_path / "in" / "customer_database.csv", CUSTOMER_HEADER, customers()),
        write_csv(tmp_path / "in" / "product_catalog.csv", PRODUCT_HEADER, products()),
    ]


@pytest.fixture
def load(project: Project) -> Callable[..., IngestSummary]:
    def run(*paths: Path) -> IngestSummary:
        return ingest(project, list(paths), NullReporter())

    return run


@pytest.fixture(scope="session")
def demo_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBuilds]:
    """The session's demo builds (tests/demo_builds.py): ``demo_builds.shared(SPEC)`` to read,
    ``demo_builds.copy(SPEC, dest)`` to change. A shared build that a test wrote into fails the
    session when it ends."""
    builds = DemoBuilds(builds_directory(tmp_path_factory.getbasetemp()))
    yield builds
    changed = builds.changed()
    assert not changed, f"a test wrote into a shared demo build (use demo_builds.copy): {changed}"


@pytest.fixture(scope="session")
def demo_shop(demo_builds: DemoBuilds) -> Project:
    """The small demo project the API tests use too (300 customers, two years, seed 7), shared
    read-only, for tests that need the demo's members and rows (questions, ask)."""
    return demo_builds.shared(API)
