"""The metadata store's part of a backup: one consistent SQLite file, whatever the store is.

SQLite is copied by its online backup API (the server may write meanwhile); PostgreSQL table by
table from one snapshot into a new SQLite store made by the same migrations, so the copy opens as
a project's ``.bizsight/app.db``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import make_url

from bizsight.app.models import Base
from bizsight.app.store import MetadataStore, store_url
from bizsight.errors import BackupError
from bizsight.services.project import Project


def copy_store(project: Project, store: MetadataStore | None, dest: Path) -> str | None:
    """Copy the metadata store into the SQLite file ``dest``: 'sqlite' or 'postgresql' (where it
    came from), or None when the project has no store yet (it was never served)."""
    text = store.engine.url if store is not None else store_url(project.paths, project.settings.server)
    url = make_url(text)
    if url.get_backend_name() == "sqlite":
        if not url.database or not Path(url.database).exists():
            return None
        _sqlite_copy(Path(url.database), dest)
        return "sqlite"
    opened = store or MetadataStore.open(str(text))
    try:
        store_to_sqlite(opened, dest)
    finally:
        if store is None:
            opened.close()
    return url.get_backend_name()


def _sqlite_copy(source: Path, dest: Path) -> None:
    """A consistent copy by SQLite's online backup API (the server may write meanwhile)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def store_to_sqlite(source: MetadataStore, dest: Path) -> None:
    """Copy every table of a store (PostgreSQL) into a new SQLite store of the same schema, from
    one snapshot of the source."""
    if source.revision() != MetadataStore.head():
        raise BackupError(
            f"the metadata store is at schema revision {source.revision()}, this bizsight writes "
            f"{MetadataStore.head()}: start `bizsight serve` once to migrate it, then back up"
        )
    target = MetadataStore.open(f"sqlite:///{dest}")  # the same migrations: the same schema
    try:
        snapshot = source.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with snapshot as src, src.begin(), target.engine.begin() as dst:
            for table in reversed(Base.metadata.sorted_tables):
                dst.execute(table.delete())  # rows the migrations seed (roles) come from the source
            for table in Base.metadata.sorted_tables:
                rows = [dict(row) for row in src.execute(table.select()).mappings()]
                if rows:
                    dst.execute(table.insert(), rows)
        with target.engine.connect() as con:
            con.exec_driver_sql("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
