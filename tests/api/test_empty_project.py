"""A server on a project with no data yet answers every endpoint without a 5xx: empty lists, or
409 with what to do next."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.project import Project
from bizsight.services.users import add_user, create_token
from tests.api.test_permissions import CALLS


def test_every_endpoint_answers_on_an_empty_project(tmp_path: Path) -> None:
    project = Project(tmp_path / "empty")
    project.init()
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    add_user(store, "root", "admin", "a long test password")
    headers = {"Authorization": f"Bearer {create_token(store, 'root', 't')[1]}"}
    with TestClient(create_app(project, store=store), raise_server_exceptions=False) as client:
        statuses = {
            key: client.request(key[0], url, json=body, headers=headers).status_code
            for key, (url, body) in CALLS.items()
        }
        customers = client.get("/api/v1/customers", headers=headers).json()
    assert not {k: s for k, s in statuses.items() if s >= 500}
    assert statuses[("GET", "/api/v1/data/status")] == 200
    assert (
        statuses[("GET", "/api/v1/customers")] == 409 and "bizsight ingest" in customers["error"]["message"]
    )
    store.close()
