"""A small demo project that the CLI tests read (and never write to)."""

from __future__ import annotations

import pytest

from bizsight.services.project import Project
from tests.demo_builds import SMALL, DemoBuilds


@pytest.fixture(scope="session")
def small_demo(demo_builds: DemoBuilds) -> Project:
    """300 customers over three years, ingested and refreshed: seconds to build, and enough
    history for every analysis (churn needs two churn windows). The session's shared build: the
    tests read it (its warehouse opens read-only)."""
    return demo_builds.shared(SMALL)


@pytest.fixture
def served_demo(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The same demo, a copy of its own: for a test that serves it (`bizsight serve` holds the
    warehouse read-write and writes its users and jobs)."""
    return demo_builds.copy(SMALL, tmp_path_factory.mktemp("served-demo"))
