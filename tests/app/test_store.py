"""The metadata store: migrations apply on SQLite and PostgreSQL, the schema matches the models,
and the tables keep their promises (unique names, cascades, hashed secrets)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bizsight.app import accounts, audit
from bizsight.app.models import ApiToken, Base, Restriction, Role, User
from bizsight.app.security import hash_password, token_hash, verify_password
from bizsight.app.store import HEAD_REVISION, MetadataStore, store_url
from bizsight.config import ProjectPaths, ServerSettings
from bizsight.errors import ConfigError, InvalidArgumentError

POSTGRES = os.environ.get("BIZSIGHT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        with sa.create_engine(POSTGRES).connect():
            return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A schema of its own on the test database, dropped afterwards."""
    if not postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES}")
        pytest.skip("PostgreSQL is not reachable")
    schema = f"bizsight_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as con:
        con.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as con:
            con.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.service)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    url = (
        f"sqlite:///{tmp_path / 'app.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    opened = MetadataStore.open(url)
    yield opened
    opened.close()


def test_migrations_reach_head_and_match_the_models(store: MetadataStore) -> None:
    assert store.revision() == MetadataStore.head() == HEAD_REVISION == "0004"
    with store.engine.connect() as con:
        differences = compare_metadata(MigrationContext.configure(con), Base.metadata)
    assert differences == []
    store.upgrade()  # again: nothing to do
    assert store.revision() == "0004"


def test_roles_are_seeded(store: MetadataStore) -> None:
    with store.session() as s:
        names = set(s.scalars(sa.select(sa.text("name")).select_from(sa.table("roles"))))
    assert names == {r.value for r in Role}


def test_users_restrictions_and_tokens_round_trip(store: MetadataStore) -> None:
    with store.session() as s:
        user = accounts.create_user(s, "ana", hash_password("a long password"), Role.VIEWER)
        accounts.set_restrictions(s, user, {"region": ["Europe", "Asia Pacific"]})
        _, token = accounts.create_token(s, user, "script")
    with store.session() as s:
        found = accounts.user_for_token(s, token)
        assert found is not None and found.username == "ana"
        assert [(r.dimension, r.values) for r in found.restrictions] == [
            ("region", ["Europe", "Asia Pacific"])
        ]
        stored = s.scalars(sa.select(ApiToken.token_hash)).all()
        assert stored == [token_hash(token)] and token not in stored
        assert verify_password(found.password_hash, "a long password")
        assert not verify_password(found.password_hash, "a wrong password")
        with pytest.raises(InvalidArgumentError, match="exists already"):
            accounts.create_user(s, "ana", "x", Role.VIEWER)


def test_deleting_a_user_removes_what_hangs_on_it(store: MetadataStore) -> None:
    with store.session() as s:
        user = accounts.create_user(s, "bo", hash_password("a long password"), Role.EDITOR)
        accounts.set_restrictions(s, user, {"region": ["Europe"]})
        accounts.create_token(s, user, "t")
        accounts.create_session(s, user, hours=1)
    with store.session() as s:
        s.delete(accounts.require_user(s, "bo"))
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Restriction)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_audit_details_drop_secret_keys(store: MetadataStore) -> None:
    with store.session() as s:
        audit.record(
            s,
            "user.add",
            actor=None,
            target="x",
            detail={"role": "viewer", "password": "hunter2", "csrf_token": "t"},
        )
    with store.session() as s:
        (event,) = audit.recent(s)
    assert event.detail == {"role": "viewer"}


def test_store_url_defaults_to_sqlite_beside_the_warehouse(tmp_path: Path) -> None:
    paths = ProjectPaths(tmp_path)
    assert (
        store_url(paths, ServerSettings(database_url=None))
        == f"sqlite:///{tmp_path / '.bizsight' / 'app.db'}"
    )
    assert (
        store_url(paths, ServerSettings(database_url="postgresql://u@h/db")) == "postgresql+psycopg://u@h/db"
    )


def test_an_unreachable_database_is_a_one_line_error_without_the_url() -> None:
    with pytest.raises(ConfigError) as err:
        MetadataStore.open("postgresql+psycopg://someone:s3cret@127.0.0.1:1/nothing?connect_timeout=2")
    assert "s3cret" not in str(err.value) and "\n" not in str(err.value)


def test_a_postgres_store_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as when psycopg is not installed
    with pytest.raises(ConfigError) as err:
        MetadataStore.open(
            store_url(ProjectPaths(Path()), ServerSettings(database_url="postgresql://u@h/db"))
        )
    assert str(err.value) == "server.database_url: PostgreSQL needs psycopg: pip install 'bizsight[postgres]'"


@pytest.mark.service
def test_the_api_keeps_users_and_dashboards_in_postgres(postgres_url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from bizsight.server import create_app
    from bizsight.services.project import Project
    from bizsight.services.users import add_user

    project = Project(tmp_path / "shop")
    project.init()
    store = MetadataStore.open(postgres_url)
    add_user(store, "ed", "editor", "a long test password")
    with TestClient(create_app(project, store=store)) as client:
        csrf = client.post(
            "/api/v1/auth/login", json={"username": "ed", "password": "a long test password"}
        ).json()["csrf_token"]
        board = {"title": "pg", "widgets": [{"id": "w", "type": "kpi", "query": {"metrics": ["revenue"]}}]}
        created = client.post("/api/v1/dashboards", json=board, headers={"X-CSRF-Token": csrf})
        assert created.status_code == 201
        assert client.get(f"/api/v1/dashboards/{created.json()['id']}").json()["widgets"][0]["id"] == "w"
    with store.session() as s:
        assert [e.action for e in audit.recent(s)][:2] == ["dashboard.create", "login"]
    store.close()
