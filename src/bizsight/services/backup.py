"""Backups: the warehouse, the metadata store and the project's settings in one tar file, and
their restore, which verifies the whole file before it changes anything.

The warehouse is copied inside one read transaction (``ATTACH`` a new file, ``COPY FROM
DATABASE``), so it is consistent even while the server's request threads keep reading; in the
server the copy runs on a cursor of the owner's connection (see docs/decisions/0028-backups.md).

>>> backup_name(dt.datetime(2026, 12, 6, 20, 30, 5, tzinfo=dt.UTC))
'bizsight-backup-20261206T203005Z.tar'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any

from bizsight.app.store import MetadataStore
from bizsight.console import Reporter
from bizsight.errors import BackupError, InvalidArgumentError, WarehouseError
from bizsight.services.backup_store import copy_store
from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse, lock_holder
from bizsight.warehouse.sql import ident, lit, render, template

KIND = "bizsight-backup"
FORMAT = 1
PREFIX = "bizsight-backup-"
SUFFIX = ".tar"
MANIFEST = "manifest.json"
WAREHOUSE = "warehouse.duckdb"
STORE = "app.db"
CONFIG = "bizsight.yml"
METRICS = "metrics.yml"
MEMBERS = (WAREHOUSE, STORE, CONFIG, METRICS)  # the only names a backup may hold, besides the manifest
CHUNK = 1 << 20


def backup_name(at: dt.datetime) -> str:
    return f"{PREFIX}{at.strftime('%Y%m%dT%H%M%SZ')}{SUFFIX}"


def backups_dir(project: Project) -> Path:
    return project.paths.state_dir / "backups"


# -- writing a backup ---------------------------------------------------------------------------


def create_backup(
    project: Project,
    out: Path | None,
    reporter: Reporter,
    *,
    store: MetadataStore | None = None,
    keep: int | None = None,
) -> dict[str, Any]:
    """Write a backup of ``project`` to ``out`` (a file, or a directory to put it in; default
    ``.bizsight/backups/``) and return its manifest, with ``path`` and ``bytes``. ``store`` is the
    open metadata store of the server, if one runs; ``keep`` then deletes all but the newest
    ``keep`` backups of that directory."""
    if keep is not None and keep < 1:
        raise InvalidArgumentError(f"--keep must be at least 1 (got {keep})")
    if not project.paths.warehouse.exists():
        raise BackupError(f"no warehouse in {project.root.resolve()}: nothing to back up")
    created = dt.datetime.now(dt.UTC)
    target = _target(project, out, created)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _scratch(target.parent) as staging:
        reporter.step("copying the warehouse")
        tables, data_version = copy_warehouse(project, staging / WAREHOUSE)
        reporter.step("copying the metadata store")
        store_source = copy_store(project, store, staging / STORE)
        for name in (CONFIG, METRICS):
            if (project.root / name).is_file():
                shutil.copyfile(project.root / name, staging / name)
        reporter.step("checking the copies")
        members = {name: _describe(staging / name) for name in MEMBERS if (staging / name).exists()}
        manifest = {
            "kind": KIND,
            "format": FORMAT,
            "created_at": created.isoformat(),
            "bizsight_version": metadata.version("bizsight"),
            "duckdb_version": _duckdb_version(),
            "data_version": data_version,
            "store": store_source,
            "tables": tables,
            "members": members,
        }
        reporter.step(f"writing {target.name}")
        _write_archive(target, staging, manifest)
    removed = prune_backups(target.parent, keep, reporter) if keep else []
    return {**manifest, "path": str(target), "bytes": target.stat().st_size, "removed": removed}


def copy_warehouse(project: Project, dest: Path) -> tuple[dict[str, int], int]:
    """Copy the warehouse into the new DuckDB file ``dest`` in one read transaction: its row
    counts per table and its data version, as the copy holds them. In the process that owns the
    warehouse this runs on a cursor of the owner's connection; readers are not held up."""
    alias = f"bizsight_backup_{uuid.uuid4().hex[:8]}"
    with project.warehouse(read_only=True) as wh:
        source = str(wh.scalar("SELECT current_database()"))
        wh.run(template("ATTACH :path AS :name (READ_WRITE)", path=lit(str(dest)), name=ident(alias)))
        try:
            with wh.transaction():
                # COPY FROM DATABASE is not in sqlglot's grammar; both names are quoted identifiers.
                wh.run(f"COPY FROM DATABASE {render(ident(source))} TO {render(ident(alias))}")
                tables = table_counts(wh, alias)
                version = wh.scalar(
                    template(
                        "SELECT value FROM :state WHERE key = 'data_version'",
                        state=_in_catalog(alias, "meta", "state"),
                    )
                )
        finally:
            wh.run(template("DETACH :name", name=ident(alias)))
    return tables, int(version or 0)


def table_counts(wh: Warehouse, catalog: str | None = None) -> dict[str, int]:
    """Rows per base table (``schema.table``) of the database ``catalog`` (default: the current one)."""
    catalog = catalog or str(wh.scalar("SELECT current_database()"))
    names = wh.rows(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_type = 'BASE TABLE' ORDER BY 1, 2",
        [catalog],
    )
    return {
        f"{schema}.{name}": int(
            wh.scalar(template("SELECT count(*) FROM :t", t=_in_catalog(catalog, schema, name)))
        )
        for schema, name in names
    }


def prune_backups(directory: Path, keep: int, reporter: Reporter) -> list[str]:
    """Delete all but the newest ``keep`` bizsight backups in ``directory`` (files whose first
    member is a bizsight manifest; nothing else is touched); the names deleted."""
    found = sorted(
        ((created, path) for path in directory.glob(f"*{SUFFIX}") if (created := _created_at(path))),
        reverse=True,
    )
    removed = []
    for _, path in found[keep:]:
        path.unlink()
        removed.append(path.name)
        reporter.step(f"removed the old backup {path.name}")
    return removed


def _target(project: Project, out: Path | None, created: dt.datetime) -> Path:
    directory = backups_dir(project) if out is None else out
    if out is not None and not out.is_dir() and out.suffix:
        if out.exists():
            raise BackupError(f"{out} exists: name a new file, or a directory to write the backup into")
        return out
    path = directory / backup_name(created)
    n = 1
    while path.exists():
        path, n = directory / f"{backup_name(created).removesuffix(SUFFIX)}-{n}{SUFFIX}", n + 1
    return path


def _write_archive(target: Path, staging: Path, manifest: dict[str, Any]) -> None:
    """The tar under a temporary name, synced, then renamed: never a half-written backup under
    the final name. The manifest comes first, so a reader finds it at once."""
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with partial.open("wb") as handle:
            with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
                text = json.dumps(manifest, indent=2).encode()
                tar.addfile(_info(MANIFEST, len(text)), io.BytesIO(text))
                for name, member in manifest["members"].items():
                    with (staging / name).open("rb") as data:
                        tar.addfile(_info(name, member["bytes"]), data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(target)
        _sync_dir(target.parent)
    finally:
        partial.unlink(missing_ok=True)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(dt.datetime.now(dt.UTC).timestamp())
    return info


# -- restoring ----------------------------------------------------------------------------------


def restore_backup(path: Path, project_dir: Path, reporter: Reporter) -> dict[str, Any]:
    """Restore the backup ``path`` into ``project_dir`` (created when missing). The whole file
    is verified first — manifest, every member's size and sha256, the warehouse's row counts —
    in a scratch directory inside the target's ``.bizsight``; only then are the files moved into
    place, each by an atomic rename. A damaged backup raises :class:`BackupError` and leaves the
    target as it was."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    project = Project(project_dir)
    if project.root.exists() and not project.root.is_dir():
        raise BackupError(f"{project.root} is a file, not a project directory")
    holder = _holder(project.paths.warehouse)
    if holder is not None:
        who = f"process {holder}" if holder else "another process"
        raise BackupError(
            f"the warehouse {project.paths.warehouse} is open in {who} (bizsight serve?): "
            "stop it before restoring"
        )
    with _created_dirs(project.paths.state_dir), _scratch(project.paths.state_dir) as staging:
        manifest = verify_backup(path, staging, reporter)
        reporter.step("moving the restored files into place")
        _move_into_place(project, staging, manifest, reporter)
    project.init()  # whatever a project needs that the backup did not hold (reports/, bizsight.yml)
    return {
        "project": str(project.root.resolve()),
        "backup": str(path),
        "created_at": manifest["created_at"],
        "data_version": manifest.get("data_version"),
        "tables": manifest["tables"],
        "members": sorted(manifest["members"]),
    }


def verify_backup(path: Path, workdir: Path, reporter: Reporter) -> dict[str, Any]:
    """Unpack the backup ``path`` into ``workdir`` and check all of it; its manifest."""
    reporter.step(f"reading {path.name}")
    digests = _unpack(path, workdir)
    if MANIFEST not in digests:
        raise BackupError(f"{path} is not a bizsight backup: it has no {MANIFEST}")
    manifest = _read_manifest(path, workdir / MANIFEST)
    for name, expected in manifest["members"].items():
        if name not in digests:
            raise BackupError(f"{path} is damaged: {name} is missing")
        if digests[name] != (expected["bytes"], expected["sha256"]):
            raise BackupError(f"{path} is damaged: {name} does not match its checksum in the manifest")
    extra = set(digests) - set(manifest["members"]) - {MANIFEST}
    if extra:
        raise BackupError(f"{path} holds files its manifest does not list: {', '.join(sorted(extra))}")
    if WAREHOUSE not in digests:
        raise BackupError(f"{path} holds no warehouse")
    reporter.step("checking the warehouse")
    counts = _warehouse_counts(workdir / WAREHOUSE, manifest)
    if counts != manifest["tables"]:
        differ = sorted(set(counts.items()) ^ set(manifest["tables"].items()))
        raise BackupError(
            f"{path} is damaged: the warehouse does not hold the rows its manifest lists ({differ[0][0]})"
        )
    if STORE in digests:
        _check_sqlite(path, workdir / STORE)
    return manifest


def _unpack(path: Path, workdir: Path) -> dict[str, tuple[int, str]]:
    """Extract the known members, hashing as they stream: name → (bytes, sha256)."""
    found: dict[str, tuple[int, str]] = {}
    try:
        with tarfile.open(path, mode="r:") as tar:
            for info in tar:
                if info.name not in (MANIFEST, *MEMBERS) or not info.isfile() or info.name in found:
                    raise BackupError(f"{path} is not a bizsight backup: unexpected member '{info.name}'")
                source = tar.extractfile(info)
                assert source is not None  # a regular file
                digest, size = hashlib.sha256(), 0
                with (workdir / info.name).open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                if size != info.size:
                    raise BackupError(f"{path} is truncated: {info.name} is cut short")
                found[info.name] = (size, digest.hexdigest())
    except (tarfile.TarError, EOFError) as err:
        raise BackupError(f"{path} is damaged or truncated: {err}") from None
    except OSError as err:
        raise BackupError(f"cannot read {path}: {err.strerror or err}") from None
    return found


def _read_manifest(path: Path, file: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError(f"{path} is damaged: its {MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise BackupError(f"{path} is not a bizsight backup: its {MANIFEST} is not ours")
    if not isinstance(manifest.get("format"), int) or manifest["format"] > FORMAT:
        raise BackupError(
            f"{path} was written by a newer bizsight (format {manifest.get('format')}): upgrade to restore it"
        )
    members, tables = manifest.get("members"), manifest.get("tables")
    well_formed = (
        isinstance(members, dict)
        and all(
            name in MEMBERS
            and isinstance(m, dict)
            and isinstance(m.get("bytes"), int)
            and isinstance(m.get("sha256"), str)
            for name, m in members.items()
        )
        and isinstance(tables, dict)
        and all(isinstance(n, int) for n in tables.values())
        and isinstance(manifest.get("created_at"), str)
    )
    if not well_formed:
        raise BackupError(f"{path} is damaged: its {MANIFEST} lacks members, tables or created_at")
    return manifest


def _warehouse_counts(file: Path, manifest: dict[str, Any]) -> dict[str, int]:
    try:
        with Warehouse(file, read_only=True) as wh:
            return table_counts(wh)
    except WarehouseError as err:
        raise BackupError(f"the backup's warehouse does not open: {err}") from None
    except Exception as err:  # duckdb's own errors: a file of a newer DuckDB, or damaged blocks
        text = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise BackupError(
            f"the backup's warehouse (DuckDB {manifest.get('duckdb_version')}) does not open with "
            f"DuckDB {_duckdb_version()}: {text}"
        ) from None


def _check_sqlite(path: Path, file: Path) -> None:
    try:
        con = sqlite3.connect(file)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{path} is damaged: its metadata store does not open ({err})") from None
    if not ok or ok[0] != "ok":
        raise BackupError(f"{path} is damaged: its metadata store fails SQLite's integrity check")


def _move_into_place(project: Project, staging: Path, manifest: dict[str, Any], reporter: Reporter) -> None:
    """Each file by one rename. Stale write-ahead logs go first: replayed onto the restored
    files they would corrupt them."""
    places = {
        WAREHOUSE: project.paths.warehouse,
        STORE: project.paths.app_db,
        CONFIG: project.paths.config_file,
        METRICS: project.root / METRICS,
    }
    logs = {WAREHOUSE: (".wal",), STORE: ("-wal", "-shm", "-journal")}
    for name in manifest["members"]:
        place = places[name]
        place.parent.mkdir(parents=True, exist_ok=True)
        for suffix in logs.get(name, ()):
            place.with_name(place.name + suffix).unlink(missing_ok=True)
        (staging / name).replace(place)
    _sync_dir(project.paths.state_dir)
    if METRICS not in manifest["members"] and (project.root / METRICS).exists():
        reporter.warn(f"kept {project.root / METRICS}: the backup has no metrics.yml")
    if STORE in manifest["members"] and project.settings.server.database_url:
        reporter.warn(
            "the metadata store was restored to .bizsight/app.db, but server.database_url names another "
            "database: remove that setting to use the restored store"
        )


# -- small helpers ------------------------------------------------------------------------------


def _holder(warehouse: Path) -> int | None:
    try:
        return lock_holder(warehouse)
    except Exception:  # not a DuckDB file DuckDB can open (damaged?): nobody holds it, replace it
        return None


def _created_at(path: Path) -> str | None:
    """The creation time in a bizsight backup's manifest; None for any other file."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or first.size > CHUNK:
                return None
            data = tar.extractfile(first)
            manifest = json.loads(data.read()) if data else None
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return None
    if isinstance(manifest, dict) and manifest.get("kind") == KIND:
        return str(manifest.get("created_at", ""))
    return None


def _describe(file: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return {"bytes": file.stat().st_size, "sha256": digest.hexdigest()}


def _in_catalog(catalog: str, schema: str, name: str) -> Any:
    from sqlglot import exp

    return exp.table_(ident(name), db=ident(schema), catalog=ident(catalog))


def _duckdb_version() -> str:
    import duckdb

    return str(duckdb.__version__)


@contextmanager
def _scratch(parent: Path) -> Iterator[Path]:
    """A temporary directory in ``parent`` (the same file system as the files' final place)."""
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".backup-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _created_dirs(path: Path) -> Iterator[None]:
    """Directories up to ``path`` that do not exist yet are removed again when the block fails."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        yield
    except BaseException:
        for directory in missing:  # deepest first
            with suppress(OSError):
                directory.rmdir()
        raise


def _sync_dir(directory: Path) -> None:
    with suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
