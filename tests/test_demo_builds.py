"""The shared demo builds of tests/demo_builds.py: a shared project cannot be written through, a
build is made once, and a file changed in a shared build is named at the end of the session."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from bizsight.services.project import Project
from tests.demo_builds import DemoBuilds, DemoSpec, SharedProject, fingerprint

SPEC = DemoSpec(customers=10, years=0.5, seed=1)


def finished(base: Path) -> DemoBuilds:
    """Builds in ``base`` where SPEC's build is already finished (a stand-in: one file)."""
    root = base / SPEC.key
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "bizsight.yml").write_text("timezone: UTC\n", encoding="utf-8")
    (base / f"{SPEC.key}.json").write_text(json.dumps(fingerprint(root)), encoding="utf-8")
    return DemoBuilds(base)


def test_a_finished_build_is_reused_and_a_copy_is_its_own(tmp_path: Path) -> None:
    builds = finished(tmp_path / "builds")
    shared = builds.shared(SPEC)
    assert isinstance(shared, SharedProject) and shared.root == tmp_path / "builds" / SPEC.key / "shop"
    copy = builds.copy(SPEC, tmp_path / "mine")
    copy.paths.config_file.write_text("timezone: Europe/Berlin\n", encoding="utf-8")
    assert builds.changed() == []  # the copy changed, the shared build did not


def test_a_file_written_into_a_shared_build_is_named(tmp_path: Path) -> None:
    builds = finished(tmp_path / "builds")
    shared = builds.shared(SPEC)
    (shared.root / ".bizsight").mkdir()
    (shared.root / ".bizsight" / "app.db").write_bytes(b"users")
    assert builds.changed() == [f"{SPEC.key}: shop/.bizsight/app.db"]


def test_a_shared_projects_warehouse_refuses_writes(tmp_path: Path) -> None:
    project = Project(tmp_path / "shop")
    project.init()
    with project.warehouse() as wh:
        wh.run("CREATE TABLE t AS SELECT 1 AS x")
    with SharedProject(project.root).warehouse() as wh:  # asked read-write, opened read-only
        assert wh.scalar("SELECT x FROM t") == 1
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            wh.con.execute("CREATE TABLE u AS SELECT 2 AS y")


def test_specs_name_their_arguments() -> None:
    assert DemoSpec(customers=300, years=3.0, seed=12).key == "demo-c300-y3-s12-d0"
    assert DemoSpec(300, 2.5, 7, dirty=0.01).options() == {
        "customers": 300,
        "years": 2.5,
        "seed": 7,
        "dirty": 0.01,
    }
