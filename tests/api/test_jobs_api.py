"""Uploads, ingest and refresh jobs, the jobs list, cancelling, schedules and backups through the
API, against the real app on a project of its own (it starts empty, so every row counted is a
row uploaded here)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bizsight.app.store import MetadataStore
from bizsight.server import create_app
from bizsight.services.jobs import KINDS, JobContext, job_kind
from bizsight.services.project import Project
from bizsight.services.uploads import safe_name, uploads_dir
from tests.api.conftest import Api, login, make_users
from tests.helpers import CUSTOMER_HEADER, PRODUCT_HEADER, customers, products, write_csv

LIMIT_MB = 0.05  # 52,428 bytes: the test files are far smaller, the "too large" one larger
FINISHED = {"succeeded", "failed", "cancelled", "interrupted"}


@pytest.fixture(scope="module")
def jobs_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("jobsapi")
    project = Project(root / "shop")
    project.init()
    with project.paths.config_file.open("a", encoding="utf-8") as handle:
        handle.write(f"server:\n  max_upload_mb: {LIMIT_MB}\n")
    project = Project(project.root)  # settings read again
    store = MetadataStore.open(f"sqlite:///{root / 'app.db'}")
    with TestClient(create_app(project, store=store)) as client:
        found = Api(client, project, store)
        found.tokens = make_users(store, project)
        yield found
    store.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Two canonical files: four customers (one without its id, quarantined) and two products."""
    folder = tmp_path_factory.mktemp("upload-files")
    bad = ["", "No Id", "x@example.com", "2024-01-01", "Consumer", "Europe", "Germany", "Email"]
    paths = [
        write_csv(folder / "customer_database.csv", CUSTOMER_HEADER, [*customers(3), bad]),
        write_csv(folder / "product_catalog.csv", PRODUCT_HEADER, products(2)),
    ]
    return {path.name: path.read_bytes() for path in paths}


def wait(api: Api, job_id: int, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("ed")).json()
        if job["state"] in FINISHED:
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def table_rows(api: Api) -> dict[str, int]:
    status = api.client.get("/api/v1/data/status", headers=api.auth("ed")).json()
    return {f"{t['schema']}.{t['table']}": t["rows"] for t in status["tables"]}


def uploads_left(api: Api) -> list[Path]:
    folder = uploads_dir(api.project)
    return sorted(folder.rglob("*")) if folder.exists() else []


def upload(api: Api, user: str, parts: list[tuple[str, bytes]]) -> Any:
    return api.client.post(
        "/api/v1/ingest",
        files=[("files", (name, data, "text/csv")) for name, data in parts],
        headers=api.auth(user),
    )


def test_two_uploaded_files_are_loaded_with_their_quality_summary(
    jobs_api: Api, files: dict[str, bytes]
) -> None:
    before = table_rows(jobs_api)
    answer = upload(jobs_api, "ed", list(files.items()))
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["kind"] == "ingest" and job["requested_by"] == "ed" and job["origin"] == "api"
    assert job["state"] in ("queued", "running")
    assert sorted(Path(p).name for p in job["params"]["paths"]) == sorted(files)

    done = wait(jobs_api, job["id"])
    assert done["state"] == "succeeded", done["error"]
    by_entity = {f["entity"]: f for f in done["result"]["files"]}
    assert set(by_entity) == {"customers", "products"}
    customers_file, products_file = by_entity["customers"], by_entity["products"]
    assert (customers_file["rows_read"], customers_file["loaded"], customers_file["quarantined"]) == (4, 3, 1)
    assert sum(customers_file["quarantined_by_rule"].values()) == 1
    assert (products_file["rows_read"], products_file["loaded"], products_file["quarantined"]) == (2, 2, 0)
    for found in by_entity.values():  # rows read = loaded + quarantined + duplicates skipped
        assert found["rows_read"] == found["loaded"] + found["quarantined"] + found["duplicates_skipped"]

    after = table_rows(jobs_api)
    changed = {
        name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)
    }
    assert changed["core.dim_customer"] == 3 and changed["core.dim_product"] == 2
    assert changed["quarantine.customers"] == 1
    report = jobs_api.client.get(
        f"/api/v1/data/loads/{customers_file['load_id']}/quality", headers=jobs_api.auth("ed")
    ).json()
    assert report["rows_read"] == 4 and report["quarantined"] == 1
    assert uploads_left(jobs_api) == []  # the job removed its upload

    # the same files again change nothing
    again = wait(jobs_api, upload(jobs_api, "root", list(files.items())).json()["id"])
    assert again["state"] == "succeeded" and table_rows(jobs_api) == after


def test_viewers_and_restricted_users_may_not_load_or_see_jobs(
    jobs_api: Api, files: dict[str, bytes]
) -> None:
    for user in ("vic", "eu"):  # a viewer; a viewer restricted to a region
        assert upload(jobs_api, user, list(files.items())).status_code == 403
        assert jobs_api.client.post("/api/v1/refresh", headers=jobs_api.auth(user)).status_code == 403
        assert jobs_api.client.get("/api/v1/jobs", headers=jobs_api.auth(user)).status_code == 403
        assert jobs_api.client.get("/api/v1/schedules", headers=jobs_api.auth(user)).status_code == 403
    assert uploads_left(jobs_api) == []
    # a browser session needs its CSRF token to upload
    browser = TestClient(jobs_api.client.app)
    csrf = login(browser, "ed")
    name, data = next(iter(files.items()))
    refused = browser.post("/api/v1/ingest", files=[("files", (name, data, "text/csv"))])
    assert refused.status_code == 403
    allowed = browser.post(
        "/api/v1/ingest", files=[("files", (name, data, "text/csv"))], headers={"X-CSRF-Token": csrf}
    )
    assert allowed.status_code == 202 and allowed.json()["origin"] == "web"
    wait(jobs_api, allowed.json()["id"])


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(jobs_api: Api) -> None:
    jobs_before = len(jobs_api.client.get("/api/v1/jobs", headers=jobs_api.auth("ed")).json()["jobs"])
    big = b"customer_id,customer_name\n" + b"C1,a name that repeats\n" * 4000  # ~92 KB
    answer = upload(jobs_api, "ed", [("customer_database.csv", big)])
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["type"] == "PayloadTooLargeError"
    assert uploads_left(jobs_api) == []

    # Streamed without a Content-Length: refused while it arrives, the partial file removed.
    boundary = "bizsightboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="customer_database.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        for _ in range(10):
            yield big[:10_000]
        yield f"\r\n--{boundary}--\r\n".encode()

    # Announced larger than the limit: refused before a byte of it is read.
    huge = upload(jobs_api, "ed", [("customer_database.csv", big * 14)])  # ~1.3 MB
    assert huge.status_code == 413 and uploads_left(jobs_api) == []

    streamed = jobs_api.client.post(
        "/api/v1/ingest",
        content=body(),
        headers={**jobs_api.auth("ed"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert streamed.status_code == 413
    assert uploads_left(jobs_api) == []
    jobs_after = len(jobs_api.client.get("/api/v1/jobs", headers=jobs_api.auth("ed")).json()["jobs"])
    assert jobs_after == jobs_before  # no job for a refused upload


def test_a_path_traversal_file_name_is_neutralised(jobs_api: Api, files: dict[str, bytes]) -> None:
    data = files["product_catalog.csv"]
    root = jobs_api.project.root
    answer = upload(
        jobs_api, "ed", [("../../../product_catalog.csv", data), ("..\\..\\..\\product_catalog.csv", data)]
    )
    assert answer.status_code == 202, answer.text
    paths = [Path(p) for p in answer.json()["params"]["paths"]]
    upload_dir = Path(answer.json()["params"]["upload_dir"])
    assert upload_dir.parent == uploads_dir(jobs_api.project)
    assert [p.name for p in paths] == ["product_catalog.csv", "product_catalog_2.csv"]
    assert all(p.parent == upload_dir for p in paths)
    assert not (root.parent / "product_catalog.csv").exists()
    assert not (root / "product_catalog.csv").exists()
    assert wait(jobs_api, answer.json()["id"])["state"] == "succeeded"
    assert uploads_left(jobs_api) == []


def test_safe_names() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\sales_transactions.csv") == "sales_transactions.csv"
    assert safe_name("/abs/path/orders.csv") == "orders.csv"
    assert safe_name("..") == safe_name(".") == safe_name("") == "upload"
    assert safe_name("a\x00b/../c;rm -rf.csv") == "c_rm -rf.csv"
    assert safe_name(".bashrc") == "bashrc"
    assert len(safe_name("x" * 500 + ".csv")) <= 120 and safe_name("x" * 500 + ".csv").endswith(".csv")


def test_malformed_or_empty_uploads_are_refused(jobs_api: Api) -> None:
    only_a_field = b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nx\r\n--b--\r\n'
    no_files = jobs_api.client.post(
        "/api/v1/ingest",
        content=only_a_field,
        headers={**jobs_api.auth("ed"), "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert no_files.status_code == 400 and "no files" in no_files.json()["error"]["message"]
    garbled = jobs_api.client.post(
        "/api/v1/ingest",
        content=b"--b\r\nnot a header line at all",
        headers={**jobs_api.auth("ed"), "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert garbled.status_code == 400, garbled.text
    as_json = jobs_api.client.post("/api/v1/ingest", json={"files": []}, headers=jobs_api.auth("ed"))
    assert as_json.status_code == 400
    assert uploads_left(jobs_api) == []


def test_a_refresh_job_succeeds(jobs_api: Api) -> None:
    answer = jobs_api.client.post("/api/v1/refresh", headers=jobs_api.auth("ed"))
    assert answer.status_code == 202 and answer.json()["kind"] == "refresh"
    done = wait(jobs_api, answer.json()["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["progress"] == 1.0 and done["result"]["data_version"] >= 1
    assert (
        jobs_api.client.post("/api/v1/refresh", json={"bogus": 1}, headers=jobs_api.auth("ed")).status_code
        == 422
    )


@pytest.fixture
def blocker(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """A job kind that holds the runner until released (so the next job stays queued)."""
    release = threading.Event()
    monkeypatch.setitem(KINDS, "test_block", KINDS.get("test_block"))  # removed again afterwards

    @job_kind("test_block", label="Hold", summary=lambda result: {})
    def hold(ctx: JobContext) -> None:
        release.wait(30)

    yield release
    release.set()


def test_a_queued_job_is_cancelled_and_the_jobs_list_filters(jobs_api: Api, blocker: threading.Event) -> None:
    state = jobs_api.client.app.state.bizsight  # type: ignore[attr-defined]
    held = state.runner.submit("test_block", {}, requested_by="tests", origin="api")
    queued = jobs_api.client.post("/api/v1/refresh", headers=jobs_api.auth("ed")).json()
    assert queued["state"] == "queued"
    cancelled = jobs_api.client.post(f"/api/v1/jobs/{queued['id']}/cancel", headers=jobs_api.auth("root"))
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled" and "root" in cancelled.json()["error"]
    blocker.set()
    assert wait(jobs_api, held)["state"] == "succeeded"
    assert wait(jobs_api, queued["id"])["state"] == "cancelled"  # never ran

    listed = jobs_api.client.get(
        "/api/v1/jobs?kind=refresh&state=cancelled&limit=5", headers=jobs_api.auth("ed")
    ).json()["jobs"]
    assert listed[0]["id"] == queued["id"]
    assert all(j["kind"] == "refresh" and j["state"] == "cancelled" for j in listed)
    assert jobs_api.client.get("/api/v1/jobs?state=bogus", headers=jobs_api.auth("ed")).status_code == 422
    assert jobs_api.client.post("/api/v1/jobs/999999/cancel", headers=jobs_api.auth("ed")).status_code == 404
    assert jobs_api.client.get("/api/v1/jobs/999999", headers=jobs_api.auth("ed")).status_code == 404


def test_every_request_is_audited(jobs_api: Api, files: dict[str, bytes]) -> None:
    job = upload(jobs_api, "ed", [("customer_database.csv", files["customer_database.csv"])]).json()
    wait(jobs_api, job["id"])
    cancel = jobs_api.client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=jobs_api.auth("ed"))
    assert cancel.json()["state"] == "succeeded"  # a finished job stays as it was
    events = jobs_api.client.get("/api/v1/audit?limit=200", headers=jobs_api.auth("root")).json()["events"]
    submitted = [e for e in events if e["action"] == "job.submit" and e["target"] == str(job["id"])]
    assert len(submitted) == 1
    assert submitted[0]["actor"] == "ed" and submitted[0]["detail"]["kind"] == "ingest"
    assert submitted[0]["detail"]["files"] == {"customer_database.csv": len(files["customer_database.csv"])}
    assert any(e["action"] == "job.cancel" and e["target"] == str(job["id"]) for e in events)
    kinds = {e["detail"].get("kind") for e in events if e["action"] == "job.submit"}
    assert {"ingest", "refresh"} <= kinds


# -- backups ------------------------------------------------------------------------------------


def test_backups_are_listed_for_admins_only(jobs_api: Api) -> None:
    folder = jobs_api.project.paths.state_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bizsight-20260101T000000Z.tar").write_bytes(b"x" * 1234)
    (folder / "notes.txt").write_text("not a backup")
    listed = jobs_api.client.get("/api/v1/backups", headers=jobs_api.auth("root")).json()["backups"]
    assert [(b["name"], b["size"]) for b in listed] == [("bizsight-20260101T000000Z.tar", 1234)]
    for user in ("ed", "vic", "eu"):
        assert jobs_api.client.get("/api/v1/backups", headers=jobs_api.auth(user)).status_code == 403
        assert jobs_api.client.post("/api/v1/backups", headers=jobs_api.auth(user)).status_code == 403
    assert (
        jobs_api.client.post("/api/v1/backups", json={"keep": 0}, headers=jobs_api.auth("root")).status_code
        == 422
    )


def test_an_admin_starts_a_backup_job(jobs_api: Api) -> None:
    from bizsight.services.jobs import kind

    try:
        kind("backup")
    except Exception:
        pytest.skip("the backup job kind is not in this build yet (services.backup comes in its own branch)")
    answer = jobs_api.client.post("/api/v1/backups", json={"keep": 3}, headers=jobs_api.auth("root"))
    assert answer.status_code == 202 and answer.json()["kind"] == "backup"
    assert answer.json()["params"] == {"keep": 3}
    assert wait(jobs_api, answer.json()["id"], 300)["state"] == "succeeded"


# -- schedules ----------------------------------------------------------------------------------


def test_schedules_are_added_listed_disabled_and_removed(jobs_api: Api, tmp_path: Path) -> None:
    auth = jobs_api.auth("ed")
    added = jobs_api.client.post(
        "/api/v1/schedules",
        json={"name": "nightly", "kind": "refresh", "when": "daily at 02:00", "timezone": "Europe/Berlin"},
        headers=auth,
    )
    assert added.status_code == 201, added.text
    row = added.json()
    assert row["cron"] == "0 2 * * *" and row["timezone"] == "Europe/Berlin" and row["enabled"]
    watch = jobs_api.client.post(
        "/api/v1/schedules",
        json={"name": "inbox", "kind": "watch", "when": "*/5 * * * *", "folder": str(tmp_path)},
        headers=auth,
    )
    assert watch.status_code == 201 and watch.json()["params"] == {
        "folder": str(tmp_path.resolve()),
        "settle_seconds": 5.0,
    }
    listed = jobs_api.client.get("/api/v1/schedules", headers=auth).json()
    assert [s["name"] for s in listed["schedules"]] == ["inbox", "nightly"]

    off = jobs_api.client.patch(f"/api/v1/schedules/{row['id']}", json={"enabled": False}, headers=auth)
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert jobs_api.client.delete(f"/api/v1/schedules/{row['id']}", headers=auth).status_code == 204
    assert jobs_api.client.delete(f"/api/v1/schedules/{row['id']}", headers=auth).status_code == 404
    assert jobs_api.client.delete(f"/api/v1/schedules/{watch.json()['id']}", headers=auth).status_code == 204

    events = jobs_api.client.get("/api/v1/audit?limit=50", headers=jobs_api.auth("root")).json()["events"]
    actions = {(e["action"], e["target"]) for e in events}
    assert {
        ("schedule.add", "nightly"),
        ("schedule.disable", "nightly"),
        ("schedule.remove", "nightly"),
    } <= actions


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (
            {"name": "x", "kind": "refresh", "when": "hourly", "timezone": "Europe/Berlln"},
            400,
            "Europe/Berlin",
        ),
        ({"name": "x", "kind": "nightly", "when": "hourly"}, 422, ""),
        ({"name": "x", "kind": "watch", "when": "hourly"}, 400, "folder"),
        (
            {"name": "x", "kind": "watch", "when": "hourly", "folder": "/no/such/folder"},
            400,
            "not a directory",
        ),
        ({"name": "x", "kind": "refresh", "when": "hourly", "keep": 3}, 400, "keep"),
        ({"name": "x", "kind": "refresh", "when": "whenever you like"}, 400, "whenever"),
        ({"name": "two words", "kind": "refresh", "when": "hourly"}, 400, "letters, digits"),
    ],
)
def test_bad_schedules_are_refused(jobs_api: Api, body: dict[str, Any], status: int, words: str) -> None:
    answer = jobs_api.client.post("/api/v1/schedules", json=body, headers=jobs_api.auth("ed"))
    assert answer.status_code == status, answer.text
    assert words in answer.text


def test_duplicate_schedule_names_are_refused(jobs_api: Api) -> None:
    body = {"name": "twice", "kind": "backup", "when": "hourly", "keep": 2}
    first = jobs_api.client.post("/api/v1/schedules", json=body, headers=jobs_api.auth("root"))
    assert first.status_code == 201 and first.json()["params"] == {"keep": 2}
    again = jobs_api.client.post("/api/v1/schedules", json=body, headers=jobs_api.auth("root"))
    assert again.status_code == 400 and "exists" in again.json()["error"]["message"]
    jobs_api.client.delete(f"/api/v1/schedules/{first.json()['id']}", headers=jobs_api.auth("root"))


def test_a_schedule_takes_the_projects_time_zone_and_says_when_it_runs_next(jobs_api: Api) -> None:
    answer = jobs_api.client.post(
        "/api/v1/schedules",
        json={"name": "real", "kind": "refresh", "when": "daily at 02:00"},
        headers=jobs_api.auth("ed"),
    )
    assert answer.status_code == 201, answer.text
    row = answer.json()
    assert row["cron"] == "0 2 * * *" and row["timezone"] == jobs_api.project.settings.timezone
    assert dt.datetime.fromisoformat(row["next_run_local"]).time() == dt.time(2, 0)
    assert row["next_run_utc"] is not None
    jobs_api.client.delete(f"/api/v1/schedules/{row['id']}", headers=jobs_api.auth("ed"))


def test_openapi_documents_the_upload_and_the_answers(jobs_api: Api) -> None:
    spec = jobs_api.client.get("/api/v1/openapi.json").json()
    ingest = spec["paths"]["/api/v1/ingest"]["post"]
    assert "multipart/form-data" in ingest["requestBody"]["content"]
    assert ingest["x-permission"] == "data:load"
    assert ingest["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/JobOut")
    for path, method, permission in [
        ("/api/v1/refresh", "post", "data:load"),
        ("/api/v1/jobs", "get", "jobs:read"),
        ("/api/v1/jobs/{job_id}", "get", "jobs:read"),
        ("/api/v1/jobs/{job_id}/cancel", "post", "data:load"),
        ("/api/v1/schedules", "get", "schedules:manage"),
        ("/api/v1/schedules", "post", "schedules:manage"),
        ("/api/v1/schedules/{schedule_id}", "patch", "schedules:manage"),
        ("/api/v1/backups", "post", "backups"),
        ("/api/v1/backups", "get", "backups"),
    ]:
        operation = spec["paths"][path][method]
        assert operation["x-permission"] == permission, path
        answers = [r for code, r in operation["responses"].items() if code.startswith("2")]
        assert answers and "$ref" in str(answers[0]["content"]["application/json"]["schema"]), path
