"""A small demo project that the CLI tests read (and never write to)."""

from __future__ import annotations

import pytest

from bizsight.services.project import Project
from tests.helpers import demo_project


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """300 customers over three years, ingested and refreshed: seconds to build, and enough
    history for every analysis (churn needs two churn windows)."""
    return demo_project(tmp_path_factory.mktemp("cli-demo"), customers=300, years=3.0, seed=12)
