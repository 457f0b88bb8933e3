"""Erasure and retention on a real demo project (dirty data, so quarantined rows hold personal
values too): a person's names, e-mails and review texts go from every table, the anonymous facts
stay, a later load or refresh does not bring them back, and backups from then on hold no trace."""

from __future__ import annotations

import datetime as dt
import tarfile
from pathlib import Path

import duckdb
import pytest

from bizsight.console import NullReporter
from bizsight.services import jobs, privacy
from bizsight.services.backup import create_backup
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.refresh import refresh
from bizsight.services.users import audit_log, open_store
from tests.helpers import demo_project


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return demo_project(tmp_path_factory.mktemp("privacy"), customers=150, years=1.5, seed=11, dirty=0.05)


def personal_values(project: Project, customer: str) -> dict[str, int]:
    """Non-null personal values of ``customer`` in each table that holds any."""
    found = {}
    with project.warehouse(read_only=True) as wh:
        for (schema, name), columns in privacy._holders(wh).items():
            counts = wh.rows(
                f"SELECT {', '.join(f'count({c})' for c in columns)} FROM {schema}.{name} WHERE customer_id = ?",
                [customer],
            )[0]
            if sum(counts):
                found[f"{schema}.{name}"] = sum(counts)
    return found


def in_raw(project: Project, customer: str) -> int:
    """Personal values of ``customer`` that the views ``raw.customers`` and ``raw.reviews`` show
    (every loaded version: core's current ones and the superseded ones)."""
    with project.warehouse(read_only=True) as wh:
        return int(
            wh.scalar(
                "SELECT (SELECT count(customer_name) + count(email) FROM raw.customers WHERE customer_id = $1)"
                " + (SELECT count(review_text) FROM raw.reviews WHERE customer_id = $1)",
                [customer],
            )
        )


def facts(project: Project, customer: str) -> tuple[int, float]:
    with project.warehouse(read_only=True) as wh:
        n, total = wh.rows(
            "SELECT count(*), round(sum(net_amount), 2) FROM core.fact_order_line WHERE customer_id = ?",
            [customer],
        )[0]
    return int(n), float(total or 0)


def reviewer(project: Project) -> tuple[str, str]:
    """A customer with orders and a written review, and their e-mail."""
    with project.warehouse(read_only=True) as wh:
        return wh.rows(
            "SELECT c.customer_id, c.email FROM core.dim_customer c JOIN core.fact_review r USING (customer_id) "
            "WHERE c.email IS NOT NULL AND r.review_text IS NOT NULL AND c.customer_id IN "
            "(SELECT customer_id FROM core.fact_order_line) ORDER BY 1 LIMIT 1"
        )[0]


def test_erasure_removes_personal_data_everywhere_and_keeps_the_facts(shop: Project, tmp_path: Path) -> None:
    customer, email = reviewer(shop)
    before = personal_values(shop, customer)
    assert {"core.dim_customer", "core.fact_review"} <= set(before)
    assert in_raw(shop, customer) > 0  # raw.customers and raw.reviews show core's current rows
    orders = facts(shop, customer)

    done = jobs.perform(
        shop, "erase", {"customers": [customer], "reason": "GDPR request 7", "by": "dpo"}, NullReporter(),
        requested_by="dpo", origin="cli",
    )  # fmt: skip
    assert done.customers == 1 and done.cells == sum(before.values())
    assert personal_values(shop, customer) == {}
    assert in_raw(shop, customer) == 0
    assert facts(shop, customer) == orders  # the anonymous facts stay
    store = open_store(shop)
    entry = audit_log(store, limit=5, action="privacy.erase")[0]
    store.close()
    assert entry["actor"] == "dpo" and entry["detail"]["customers"] == [customer]

    # A file loaded again, and a refresh, do not bring the data back.
    ingest(shop, [shop.root.parent / "data"], NullReporter())
    refresh(shop, NullReporter())
    assert personal_values(shop, customer) == {}
    assert [e["customer_id"] for e in _erased(shop)] == [customer]

    # A backup taken now holds no trace of the e-mail, in any table.
    backup = Path(create_backup(shop, tmp_path / "after.tar", NullReporter())["path"])
    with tarfile.open(backup) as archive:
        archive.extract("warehouse.duckdb", tmp_path, filter="data")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    tables = con.sql("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
    for schema, name in tables:
        hits = con.sql(
            f'SELECT count(*) FROM "{schema}"."{name}" t WHERE contains(CAST(t AS VARCHAR), ?)',
            params=[email],
        ).fetchall()
        assert hits == [(0,)], f"{schema}.{name}"
    con.close()


def _erased(project: Project) -> list[dict[str, object]]:
    with project.warehouse(read_only=True) as wh:
        return privacy.erased(wh)


def test_retention_erases_the_inactive_at_refresh(shop: Project) -> None:
    with shop.warehouse(read_only=True) as wh:
        last = dict(wh.rows("SELECT customer_id, max(order_date)::DATE FROM core.fact_order_line GROUP BY 1"))
    months = max(1, (dt.date.today() - max(last.values())).days // 30 + 3)
    with shop.paths.config_file.open("a", encoding="utf-8") as handle:
        handle.write(f"privacy:\n  retention_months: {months}\n")
    project = Project(shop.root)
    with project.warehouse(read_only=True) as wh:
        due = privacy.expired_customers(wh, months, dt.date.today())
    assert due, "the test needs customers inactive for that long"
    summary = refresh(project, NullReporter())
    assert summary.expired == len(due)
    assert all(personal_values(project, c) == {} for c in due[:5])
    recent = max(last, key=lambda c: last[c])
    assert recent not in due and personal_values(project, recent)
    assert refresh(project, NullReporter()).expired == 0  # once is enough
