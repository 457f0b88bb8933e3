"""One clean and one dirty demo dataset, generated once per test session and shared."""

from __future__ import annotations

import pytest

from tests.demo.support import DIRTY, Demo, make_demo


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return make_demo(tmp_path_factory.mktemp("demo_clean"), 0.0)


@pytest.fixture(scope="session")
def dirty_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return make_demo(tmp_path_factory.mktemp("demo_dirty"), DIRTY)
