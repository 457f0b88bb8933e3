"""Backups: a restored project answers every metric with the same numbers and keeps its users and
dashboards; a backup can be taken while the server reads and runs jobs; a damaged backup is
refused whole, leaving the target byte-identical; retention keeps exactly N; the CLI's exit codes.

Real DuckDB, SQLite (and PostgreSQL for the store, when the service is there); no mocks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bizsight.app import dashboards as dashboard_rows
from bizsight.app import jobs as job_rows
from bizsight.app.models import Base, JobState, utcnow
from bizsight.app.store import MetadataStore
from bizsight.console import NullReporter
from bizsight.errors import BackupError
from bizsight.services import users
from bizsight.services.backup import create_backup, restore_backup, table_counts
from bizsight.services.ingest import ingest
from bizsight.services.job_runner import JobRunner
from bizsight.services.project import Project, owning
from bizsight.services.query import catalogue
from tests.app.test_store import postgres_url  # noqa: F401  (a fixture)
from tests.demo_builds import SMALL, DemoBuilds
from tests.helpers import metric_answers, run_cli

pytestmark = pytest.mark.slow  # demo builds, CLI runs or model fits: seconds per test


@pytest.fixture(scope="module")
def shop(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A demo project with two users, a restriction and a dashboard in its SQLite store (a copy
    of the session's small demo)."""
    project = demo_builds.copy(SMALL, tmp_path_factory.mktemp("backup"))
    store = users.open_store(project)
    try:
        fill_store(store)
    finally:
        store.close()
    (project.root / "metrics.yml").write_text(
        "metrics:\n  big_order_revenue:\n    label: Revenue of big orders\n    model: order_lines\n"
        "    aggregate: sum\n    sql: f.net_amount\n    filter: f.net_amount > 100\n    format: currency\n",
        encoding="utf-8",
    )
    return project


def fill_store(store: MetadataStore) -> None:
    ana, _ = users.add_user(store, "ana", "editor", "a-long-password-1")
    users.add_user(store, "bo", "viewer", "a-long-password-2")
    with store.session() as s:
        dashboard_rows.save(
            s,
            None,
            owner_id=ana["id"],
            title="Revenue by month",
            description="for the board",
            widgets=[{"id": "w1", "type": "line", "metrics": ["revenue"], "grain": "month"}],
            filters={"region": ["Europe"]},
            share_users=[],
            share_roles=["viewer"],
        )


def store_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a metadata store, in primary-key order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            return {
                table.name: [
                    tuple(row) for row in con.execute(table.select().order_by(*table.primary_key.columns))
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and directory (None) under ``root``."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def good_backup(shop: Project, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return create_backup(shop, tmp_path_factory.mktemp("out"), NullReporter())


# -- the round trip -------------------------------------------------------------------------------


def test_the_manifest_describes_what_the_file_holds(shop: Project, good_backup: dict[str, Any]) -> None:
    path = Path(good_backup["path"])
    assert path.name.startswith("bizsight-backup-") and path.suffix == ".tar"
    assert good_backup["bytes"] == path.stat().st_size
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        digests = {
            name: hashlib.sha256(tar.extractfile(name).read()).hexdigest()  # type: ignore[union-attr]
            for name in names[1:]
        }
    assert names[0] == "manifest.json"
    assert set(names[1:]) == {"warehouse.duckdb", "app.db", "bizsight.yml", "metrics.yml"}
    assert {n: m["sha256"] for n, m in manifest["members"].items()} == digests
    assert manifest["members"]["bizsight.yml"]["bytes"] == shop.paths.config_file.stat().st_size
    with shop.warehouse(read_only=True) as wh:
        assert manifest["tables"] == table_counts(wh)
        assert manifest["data_version"] == wh.scalar(
            "SELECT value FROM meta.state WHERE key = 'data_version'"
        )
    assert manifest["tables"]["core.fact_order_line"] > 1000
    assert manifest["store"] == "sqlite"
    assert {"created_at", "bizsight_version", "duckdb_version"} <= set(manifest)
    assert not list(path.parent.glob(".*"))  # no temporary file left beside it


def test_a_restored_project_answers_every_metric_the_same_and_keeps_users_and_dashboards(
    shop: Project, good_backup: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "new" / "shop"  # does not exist yet
    result = restore_backup(Path(good_backup["path"]), target, NullReporter())

    assert result["tables"] == good_backup["tables"]
    restored = Project(target)
    before, after = metric_answers(shop), metric_answers(restored)
    assert (
        set(before) == set(catalogue(shop).metrics) and "big_order_revenue" in before
    )  # metrics.yml came too
    answered = [json.loads(rows) for rows in before.values() if rows.startswith("[")]  # type: ignore[attr-defined]
    assert sum(len(rows) > 12 for rows in answered) >= 20
    assert after == before
    original, copy = (
        store_rows(f"sqlite:///{shop.paths.app_db}"),
        store_rows(f"sqlite:///{restored.paths.app_db}"),
    )
    assert copy == original
    assert len(copy["users"]) == 2 and len(copy["dashboards"]) == 1 and copy["dashboard_shares"]
    assert not list(restored.paths.state_dir.glob(".backup-*"))  # the scratch directory is gone
    # The restored warehouse is a working one: its load history is there, so the same files load
    # as "already loaded", and it takes writes.
    again = ingest(restored, [shop.root.parent / "data"], NullReporter())
    assert again.results and all(r.already_loaded_as is not None for r in again.results)


def test_by_default_a_backup_goes_to_the_projects_backups_directory(shop: Project) -> None:
    path = Path(create_backup(shop, None, NullReporter())["path"])
    try:
        assert path.parent == shop.paths.state_dir / "backups"
        assert path.name.startswith("bizsight-backup-") and path.name.endswith("Z.tar")
    finally:
        path.unlink()


def test_restoring_over_a_project_replaces_its_files(
    shop: Project, good_backup: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "other"
    restore_backup(Path(good_backup["path"]), target, NullReporter())
    (target / ".bizsight" / "warehouse.duckdb.wal").write_bytes(b"stale log of another database")
    (target / "bizsight.yml").write_text("currency: EUR\n", encoding="utf-8")
    restore_backup(Path(good_backup["path"]), target, NullReporter())
    assert not (target / ".bizsight" / "warehouse.duckdb.wal").exists()
    assert (target / "bizsight.yml").read_bytes() == shop.paths.config_file.read_bytes()
    assert (
        sha256(target / ".bizsight" / "warehouse.duckdb")
        == good_backup["members"]["warehouse.duckdb"]["sha256"]
    )


# -- while the server runs ------------------------------------------------------------------------


def test_a_backup_job_runs_while_the_server_reads(shop: Project, tmp_path: Path) -> None:
    store = users.open_store(shop)
    reads: list[dt.datetime] = []  # when each read finished
    errors: list[Exception] = []
    stop = threading.Event()
    try:
        with shop.warehouse() as wh, owning(shop, wh), JobRunner(shop, store).running() as runner:

            def reader() -> None:
                while not stop.is_set():
                    try:
                        with shop.warehouse(read_only=True) as view:  # a cursor of the owner's connection
                            view.scalar("SELECT sum(quantity) FROM core.fact_order_line")
                        reads.append(utcnow())
                    except Exception as err:  # pragma: no cover - the assertion below shows it
                        errors.append(err)

            thread = threading.Thread(target=reader)
            thread.start()
            job_id = runner.submit("backup", {"out": str(tmp_path)}, requested_by="test", origin="test")
            deadline = time.monotonic() + 120
            while True:
                with store.session() as s:
                    job = job_rows.get(s, job_id)
                    state, result, error = job.state, job.result, job.error
                    started, finished = job.started_at, job.finished_at
                if JobState(state).finished or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            stop.set()
            thread.join()
    finally:
        store.close()

    assert state == JobState.SUCCEEDED.value, error
    assert not errors
    assert started is not None and finished is not None
    assert any(started <= at <= finished for at in reads)  # requests kept reading during the copy
    assert result is not None and Path(result["path"]).parent == tmp_path
    restored = restore_backup(Path(result["path"]), tmp_path / "restored", NullReporter())
    assert restored["tables"] == result["tables"]  # verified against the copy's own row counts
    with tarfile.open(result["path"]) as tar:
        assert "app.db" in tar.getnames()


# -- damaged backups ------------------------------------------------------------------------------


@pytest.fixture
def target(good_backup: dict[str, Any], tmp_path: Path) -> Path:
    """A project restored from the good backup, then given a file of its own."""
    root = tmp_path / "target"
    restore_backup(Path(good_backup["path"]), root, NullReporter())
    (root / "notes.txt").write_text("mine", encoding="utf-8")
    return root


def test_a_truncated_backup_is_refused_and_the_target_untouched(
    good_backup: dict[str, Any], target: Path, tmp_path: Path
) -> None:
    data = Path(good_backup["path"]).read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) // 2])
    before = snapshot(target)
    with pytest.raises(BackupError, match="truncated") as err:
        restore_backup(cut, target, NullReporter())
    assert "\n" not in str(err.value)
    assert snapshot(target) == before
    with pytest.raises(BackupError):
        restore_backup(cut, tmp_path / "fresh" / "shop", NullReporter())
    assert not (tmp_path / "fresh").exists()  # nothing created for a refused restore


def test_a_flipped_byte_in_the_warehouse_is_refused_and_the_target_untouched(
    good_backup: dict[str, Any], target: Path, tmp_path: Path
) -> None:
    with tarfile.open(good_backup["path"]) as tar:
        member = tar.getmember("warehouse.duckdb")
        at = member.offset_data + member.size // 2
    data = bytearray(Path(good_backup["path"]).read_bytes())
    data[at] ^= 0x40
    flipped = tmp_path / "flipped.tar"
    flipped.write_bytes(bytes(data))
    before = snapshot(target)
    with pytest.raises(BackupError, match=r"warehouse\.duckdb does not match its checksum") as err:
        restore_backup(flipped, target, NullReporter())
    assert "\n" not in str(err.value)
    assert snapshot(target) == before


def test_a_file_that_is_not_a_backup_is_refused(target: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as tar:
        tar.add(target / "notes.txt", arcname="notes.txt")
    before = snapshot(target)
    with pytest.raises(BackupError, match="not a bizsight backup"):
        restore_backup(other, target, NullReporter())
    with pytest.raises(BackupError, match="no backup file"):
        restore_backup(tmp_path / "missing.tar", target, NullReporter())
    assert snapshot(target) == before


def test_restore_refuses_a_target_whose_warehouse_is_open(good_backup: dict[str, Any], target: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
            str(target / ".bizsight" / "warehouse.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = snapshot(target)
        with pytest.raises(BackupError, match=f"open in process {holder.pid}"):
            restore_backup(Path(good_backup["path"]), target, NullReporter())
        assert snapshot(target) == before
    finally:
        holder.communicate("", timeout=30)


# -- retention ------------------------------------------------------------------------------------


def test_keep_leaves_exactly_the_newest_n_backups_and_nothing_else_is_touched(
    shop: Project, tmp_path: Path
) -> None:
    out = tmp_path / "backups"
    out.mkdir()
    (out / "notes.tar").write_bytes(b"not a tar at all")
    with tarfile.open(out / "photos.tar", "w") as tar:
        tar.add(shop.paths.config_file, arcname="manifest.json")  # a tar, but not one of ours
    made = [Path(create_backup(shop, out, NullReporter())["path"]) for _ in range(3)]
    last = create_backup(shop, out, NullReporter(), keep=2)

    kept = sorted(p.name for p in out.iterdir())
    assert kept == sorted([made[-1].name, Path(last["path"]).name, "notes.tar", "photos.tar"])
    assert sorted(last["removed"]) == sorted(p.name for p in made[:2])
    assert len({p.name for p in made} | {Path(last["path"]).name}) == 4  # names never collide


# -- a PostgreSQL store ---------------------------------------------------------------------------


@pytest.mark.service
def test_a_postgresql_store_is_copied_into_sqlite(
    shop: Project,
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    pg = MetadataStore.open(postgres_url)
    try:
        fill_store(pg)
        result = create_backup(shop, tmp_path, NullReporter(), store=pg)
        original = store_rows(postgres_url)
    finally:
        pg.close()
    assert result["store"] == "postgresql"
    restore_backup(Path(result["path"]), tmp_path / "restored", NullReporter())
    app_db = tmp_path / "restored" / ".bizsight" / "app.db"
    assert store_rows(f"sqlite:///{app_db}") == original
    restored = MetadataStore.open(f"sqlite:///{app_db}")  # a store bizsight opens as it is
    try:
        assert restored.revision() == MetadataStore.head()
        assert [u["username"] for u in users.list_users(restored)] == ["ana", "bo"]
    finally:
        restored.close()


# -- the command line -----------------------------------------------------------------------------


def assert_one_error_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    for fragment in fragments:
        assert fragment in errors[0]


def test_the_cli_backs_up_and_restores(shop: Project, tmp_path: Path) -> None:
    made = run_cli("backup", "--project", str(shop.root), "--out", str(tmp_path), "--json")
    assert made.returncode == 0, made.stderr
    result = json.loads(made.stdout)
    assert Path(result["path"]).parent == tmp_path and result["data_version"] > 0

    restored = run_cli("restore", result["path"], "--project", str(tmp_path / "copy"))
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout and f"data version {result['data_version']}" in restored.stdout
    assert Project(tmp_path / "copy").paths.warehouse.exists()

    cut = tmp_path / "cut.tar"
    cut.write_bytes(Path(result["path"]).read_bytes()[:50_000])
    assert_one_error_line(run_cli("restore", str(cut), "-p", str(tmp_path / "copy2")), "truncated")
    assert_one_error_line(
        run_cli("backup", "-p", str(tmp_path / "empty"), "--out", str(tmp_path)), "nothing to back up"
    )
    again = run_cli("backup", "-p", str(shop.root), "--out", result["path"])
    assert_one_error_line(again, "exists")


def test_backup_help_shows_examples() -> None:
    shown = run_cli("backup", "--help")
    assert shown.returncode == 0 and "--keep" in shown.stdout and "bizsight backup -p my-shop" in shown.stdout


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    yield
    assert not [t for t in threading.enumerate() if t.name == "bizsight-jobs"]
