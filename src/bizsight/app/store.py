"""Open the metadata store and bring its schema up to date with the migrations in the package."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, orm, text
from sqlalchemy.exc import SQLAlchemyError

from bizsight.config import ProjectPaths, ServerSettings
from bizsight.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration: a store already at it opens without loading alembic (about a third of a
# second at every command's start). tests/app/test_store.py holds it equal to alembic's head.
HEAD_REVISION = "0004"


def store_url(paths: ProjectPaths, settings: ServerSettings) -> str:
    """The store's SQLAlchemy URL: ``server.database_url`` (or $BIZSIGHT_DATABASE_URL), else
    SQLite beside the warehouse."""
    if settings.database_url:
        url = settings.database_url
        # A plain postgresql:// URL means psycopg 3, the driver we ship.
        return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{paths.app_db}"


class MetadataStore:
    """One SQLAlchemy engine and its session factory; :meth:`open` migrates to the newest schema."""

    def __init__(self, url: str) -> None:
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            # Request threads share the engine; SQLite waits up to 30 s for a writer instead of failing.
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        try:
            self.engine: Engine = create_engine(url, pool_pre_ping=True, **options)
        except ImportError as err:  # SQLAlchemy imports the URL's driver here
            if (err.name or "").split(".")[0] == "psycopg":
                raise ConfigError(
                    "server.database_url: PostgreSQL needs psycopg: pip install 'bizsight[postgres]'"
                ) from None
            raise ConfigError(f"server.database_url: its driver is not installed ({err.name})") from None
        except (SQLAlchemyError, ValueError) as err:
            raise ConfigError(f"server.database_url: cannot use it ({type(err).__name__})") from None
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = orm.sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> MetadataStore:
        store = cls(url)
        store.upgrade()
        return store

    def upgrade(self) -> None:
        """Apply the migrations not yet applied (none when the schema is current)."""
        try:
            if self.revision() == HEAD_REVISION:
                return
            from alembic import command

            with self.engine.begin() as connection:
                config = _alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as err:
            # The URL may hold a password: name the problem, never the URL.
            raise ConfigError(
                f"cannot open the metadata store: {type(err).__name__}: {str(getattr(err, 'orig', None) or err).splitlines()[0]}"
            ) from None

    def revision(self) -> str | None:
        """The revision the store records (alembic's version table), None before the first."""
        try:
            with self.engine.connect() as connection:
                return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None

    @staticmethod
    def head() -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config()).get_current_head()

    @contextmanager
    def session(self) -> Iterator[orm.Session]:
        """A unit of work: committed when the block ends, rolled back on an exception."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("bizsight.app") / "migrations"))
    return config


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
