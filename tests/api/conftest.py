"""A served demo project with one user per role (and a restricted viewer), each with a token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from schemathesis.core.failures import Failure, FailureGroup

from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.project import Project
from bizsight.services.query import catalogue
from bizsight.services.users import add_user, create_token, restrict
from tests.demo_builds import API, DemoBuilds

PASSWORD = "a long test password"
RESTRICTED_REGION = "Europe"


@dataclass
class Api:
    client: TestClient
    project: Project
    store: MetadataStore
    tokens: dict[str, str] = field(default_factory=dict)  # user name → API token

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture(scope="session")
def served_project(demo_builds: DemoBuilds, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A copy of the session's API demo: the app holds its warehouse read-write."""
    built = demo_builds.copy(API, tmp_path_factory.mktemp("api"))
    with built.paths.config_file.open("a", encoding="utf-8") as handle:
        handle.write(
            "server:\n  queries_per_minute: 100000  # the tests call a lot; limits have their own test\n"
            # channels for the reports and alerts calls: nobody listens on port 9, one try is enough
            "channels:\n  ops:\n    kind: webhook\n    url: http://127.0.0.1:9/hook\n    secret: s\n"
            "  mail:\n    kind: email\n    host: 127.0.0.1\n    port: 9\n    security: plain\n    sender: bi@example.com\n"
            "delivery:\n  max_attempts: 1\n"
        )
    return Project(built.root)


def make_users(store: MetadataStore, project: Project) -> dict[str, str]:
    tokens = {}
    for name, role in [("root", "admin"), ("ed", "editor"), ("vic", "viewer"), ("eu", "viewer")]:
        add_user(store, name, role, PASSWORD)
        tokens[name] = create_token(store, name, "tests")[1]
    restrict(store, catalogue(project), "eu", {"region": [RESTRICTED_REGION]})
    return tokens


@pytest.fixture(scope="module")
def api(served_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    store = MetadataStore.open(f"sqlite:///{tmp_path_factory.mktemp('store') / 'app.db'}")
    with served_project.warehouse() as warehouse:
        # Given, not opened by the app: a client that runs the app's lifespan again (schemathesis
        # does) then finds the same store and warehouse.
        app = create_app(served_project, store=store, warehouse=warehouse)
        with TestClient(app) as client:
            found = Api(client, served_project, store)
            found.tokens = make_users(store, served_project)
            yield found
    store.close()


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in with the cookie session; the CSRF token to send on changes."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def fresh_client(api: Api) -> TestClient:
    """Another browser: same app, its own cookies."""
    return TestClient(api.client.app)


def served_root(api: Api) -> Path:
    return api.project.root


def explain(failure: Failure | FailureGroup) -> str:
    """What schemathesis found, every failure of a group included."""
    found = failure.exceptions if isinstance(failure, FailureGroup) else (failure,)
    return " | ".join(f"{f.title}: {f.message}" if isinstance(f, Failure) else str(f) for f in found)
