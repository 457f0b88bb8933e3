"""One SQL text, three engines, the same answer to the cent.

A small warehouse is built with the real ingest path, published to PostgreSQL (a database of its
own, dropped afterwards) and to Spark (local mode, one session for the whole test run), and the
same DuckDB SQL, transpiled by sqlglot, must give identical Arrow tables on each engine.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from bizsight.config.settings import POSTGRES_URL_ENV
from bizsight.console import NullReporter
from bizsight.demo import generate
from bizsight.errors import WarehouseError
from bizsight.services.ingest import ingest
from bizsight.services.project import Project
from bizsight.services.publish import SCHEMAS
from bizsight.services.refresh import refresh
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.engines import (
    DuckDBEngine,
    Engine,
    PostgresEngine,
    SparkEngine,
    publish,
)

PG_URL = os.environ.get("BIZSIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI") == "true"


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; under CI a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: services are required)")
    pytest.skip(reason)


def render(sql: str, engine: Engine) -> str:
    return sqlglot.transpile(sql, read="duckdb", write=engine.dialect)[0]


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Demo data through the real ingest and refresh, opened read-only like a query server."""
    root = tmp_path_factory.mktemp("engines")
    data = root / "data"
    generate(data, customers=1500, years=2.0, seed=5)
    project = Project(root / "shop")
    ingest(project, [data], NullReporter())
    refresh(project, NullReporter())
    with Warehouse(project.paths.warehouse, read_only=True) as warehouse:
        yield warehouse


@pytest.fixture(scope="module")
def duck(wh: Warehouse) -> DuckDBEngine:
    return DuckDBEngine(wh)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A database of its own on the test server (parallel workers never meet), dropped after."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as err:
        unavailable(f"PostgreSQL is not reachable: {str(err).splitlines()[0]}")
    name = f"bizsight_engines_{os.getpid()}_{secrets.token_hex(3)}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(PG_URL, dbname=name)
    finally:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


@pytest.fixture(scope="module")
def pg(wh: Warehouse, pg_url: str) -> Iterator[tuple[PostgresEngine, dict[str, int]]]:
    with PostgresEngine(pg_url) as engine:
        yield engine, publish(wh, engine, SCHEMAS)


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local SparkSession for the whole run: it takes 5–10 s to start."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark is not installed")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        unavailable("Java is not installed")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # A short-lived JVM: the quick JIT alone halves the first queries (29 s → 17 s here). It keeps
    # 48 MB for compiled code, which a whole run of queries can fill (then the JVM stops compiling
    # and its scheduler dies): give it room.
    options = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m"
    engine = SparkEngine("local[2]", conf={"spark.driver.extraJavaOptions": options})
    yield engine.spark
    engine.close()


@pytest.fixture(scope="module")
def spark(
    wh: Warehouse, spark_session: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[SparkEngine, dict[str, int]]:
    engine = SparkEngine(session=spark_session, data_dir=tmp_path_factory.mktemp("spark"))
    return engine, publish(wh, engine, SCHEMAS)


@pytest.fixture(
    params=[pytest.param("pg", marks=pytest.mark.service), pytest.param("spark", marks=pytest.mark.spark)]
)
def published(request: pytest.FixtureRequest) -> tuple[Engine, dict[str, int]]:
    """Each engine the warehouse was published to, with the row counts publish reported."""
    engine, counts = request.getfixturevalue(request.param)
    return engine, counts


# -- the same answers ---------------------------------------------------------------------------

# Written once in DuckDB's dialect. Every output column is aliased and every result ordered; sums
# and divisions are cast to the type the metric promises (see docs/engines.md for why).
QUERIES = {
    "net_by_month_and_region": """
        SELECT CAST(date_trunc('month', f.order_date) AS DATE) AS month, c.region AS region,
               CAST(sum(f.net_amount) AS DECIMAL(18, 2)) AS net, count(*) AS lines
        FROM core.fact_order_line AS f JOIN core.dim_customer AS c ON c.customer_id = f.customer_id
        GROUP BY 1, 2 ORDER BY 1, 2""",
    "distinct_customers": """
        SELECT count(DISTINCT customer_id) AS customers, count(DISTINCT order_id) AS orders
        FROM core.fact_order_line WHERE status = 'completed'""",
    "ratings": """
        SELECT p.category AS category, CAST(avg(r.rating) AS DECIMAL(10, 4)) AS avg_rating,
               count(*) AS reviews
        FROM core.fact_review AS r JOIN core.dim_product AS p ON p.product_id = r.product_id
        GROUP BY 1 ORDER BY 1""",
    # DuckDB divides decimals in floating point; a cast through six decimals first makes it round
    # like the exact decimal division of Spark and PostgreSQL (a direct cast differs on a few days).
    "order_value_by_day": """
        SELECT order_date AS day,
               CAST(CAST(sum(net_amount) / NULLIF(count(DISTINCT order_id), 0) AS DECIMAL(38, 6))
                    AS DECIMAL(18, 2)) AS order_value
        FROM core.fact_order_line GROUP BY 1 ORDER BY 1""",
    "margin_share": """
        SELECT category AS category,
               CAST(CAST(sum(discount_amount) / NULLIF(sum(gross_amount), 0) AS DECIMAL(38, 6))
                    AS DECIMAL(18, 4)) AS discount_share,
               CAST(sum(quantity) AS BIGINT) AS units
        FROM core.fact_order_line GROUP BY 1 ORDER BY 1 NULLS LAST""",
    "rows_with_every_type": """
        SELECT f.order_id, f.product_id, f.order_date, f.order_ts, f.net_amount, f.unit_price,
               f.quantity, f.status, c.signup_date, c.is_placeholder, d.day_of_week, d.is_weekend
        FROM core.fact_order_line AS f
        JOIN core.dim_customer AS c ON c.customer_id = f.customer_id
        JOIN core.dim_date AS d ON d.date = f.order_date
        ORDER BY f.order_id, f.product_id LIMIT 300""",
    "marketing_by_channel": """
        SELECT channel AS channel, CAST(sum(spend) AS DECIMAL(18, 2)) AS spend,
               CAST(sum(clicks) AS BIGINT) AS clicks, min(date) AS first_day
        FROM core.fact_marketing_spend GROUP BY 1 ORDER BY 1""",
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_same_sql_gives_identical_arrow_tables(
    published: tuple[Engine, dict[str, int]], duck: DuckDBEngine, name: str
) -> None:
    engine, _ = published
    expected = duck.query(QUERIES[name])
    got = engine.query(render(QUERIES[name], engine))
    assert expected.num_rows > 0
    assert got.schema == expected.schema, f"{engine.name} types differ:\n{got.schema}\n---\n{expected.schema}"
    assert got.to_pylist() == expected.to_pylist()


def test_types_are_faithful(published: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = published
    got = engine.query(render(QUERIES["rows_with_every_type"], engine)).schema
    assert got.field("order_date").type == pa.date32()
    assert got.field("order_ts").type == pa.timestamp("us")  # naive stays naive
    assert got.field("net_amount").type == pa.decimal128(18, 2)
    assert got.field("unit_price").type == pa.decimal128(18, 4)
    assert got.field("quantity").type == pa.int64()
    assert got.field("is_placeholder").type == pa.bool_()


def test_publish_copies_every_base_table_and_counts_rows(
    published: tuple[Engine, dict[str, int]], duck: DuckDBEngine, wh: Warehouse
) -> None:
    engine, counts = published
    tables = {
        f"{schema}.{name}"
        for (schema, name) in wh.rows(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('core', 'marts') AND table_type = 'BASE TABLE'"
        )
    }
    assert "marts.churn_scores" in tables
    assert set(counts) == tables and "core.order_lines_enriched" not in counts  # views stay home
    union = " UNION ALL ".join(
        f"SELECT '{name}' AS name, count(*) AS n FROM {name}" for name in sorted(tables)
    )
    ordered = f"SELECT name, n FROM ({union}) AS t ORDER BY name"
    expected = duck.query(ordered)
    assert engine.query(render(ordered, engine)).to_pylist() == expected.to_pylist()
    assert counts == {row["name"]: row["n"] for row in expected.to_pylist()}


def test_internal_columns_are_left_out(published: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = published
    columns = engine.query(render("SELECT * FROM core.dim_customer LIMIT 1", engine)).column_names
    assert "customer_id" in columns and not [c for c in columns if c.startswith("_")]


def test_parameters_in_the_dialects_placeholder_style(
    published: tuple[Engine, dict[str, int]], duck: DuckDBEngine
) -> None:
    engine, _ = published
    tree = (
        exp.select(exp.alias_(exp.func("count", exp.Star()), "n"))
        .from_("core.fact_order_line")
        .where(exp.EQ(this=exp.column("status"), expression=exp.Placeholder()))
    )
    expected = duck.query(tree.sql("duckdb"), ["refunded"]).to_pylist()
    assert engine.query(tree.sql(engine.dialect), ["refunded"]).to_pylist() == expected
    assert expected[0]["n"] > 0


def test_publishing_again_replaces_the_tables(
    published: tuple[Engine, dict[str, int]], wh: Warehouse
) -> None:
    engine, first = published
    again = publish(wh, engine, SCHEMAS)
    assert again == first
    got = engine.query(render("SELECT count(*) AS n FROM core.fact_order_line", engine)).to_pylist()
    assert got == [{"n": first["core.fact_order_line"]}]  # no duplicates


@pytest.mark.service
def test_a_failed_publish_leaves_the_previous_tables(
    pg: tuple[PostgresEngine, dict[str, int]], tmp_path: Path
) -> None:
    engine, _ = pg
    with Warehouse(tmp_path / "w.duckdb") as small:
        small.run("CREATE SCHEMA atomic")
        small.run("CREATE TABLE atomic.kept AS SELECT range AS id FROM range(3)")
        assert publish(small, engine, schemas=["atomic"]) == {"atomic.kept": 3}
        small.run("INSERT INTO atomic.kept SELECT range FROM range(3, 10)")
        small.run("CREATE TABLE atomic.broken AS SELECT 'nul' || chr(0) AS text")  # PostgreSQL refuses NUL
        with pytest.raises(WarehouseError) as caught:
            publish(small, engine, schemas=["atomic"])
    assert "\n" not in str(caught.value)
    assert engine.query("SELECT count(*) AS n FROM atomic.kept").to_pylist() == [{"n": 3}]
    assert engine.query("SELECT to_regclass('atomic.broken') IS NULL AS gone").to_pylist() == [{"gone": True}]
    leftovers = engine.query(
        "SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'bizsight\\_stage\\_%'"
    )
    assert leftovers.to_pylist() == [{"n": 0}]


@pytest.mark.service
def test_postgres_numeric_without_scale_stays_exact(pg: tuple[PostgresEngine, dict[str, int]]) -> None:
    engine, _ = pg
    got = engine.query(
        "SELECT avg(x) AS a, CAST(1 AS numeric) / 3 AS third, sum(x::numeric(10, 2)) AS s "
        "FROM (VALUES (1), (2), (2)) AS t(x)"
    )
    assert got.schema.field("a").type == pa.decimal128(38, 16)  # the scale PostgreSQL chose
    assert str(got.column("a")[0].as_py()) == "1.6666666666666667"
    assert got.schema.field("third").type == pa.decimal128(38, 20)
    assert str(got.column("third")[0].as_py()) == "0.33333333333333333333"
    assert got.schema.field("s").type == pa.decimal128(38, 2)
    assert str(got.column("s")[0].as_py()) == "5.00"


@pytest.mark.spark
def test_spark_registers_published_tables_from_the_manifest(
    spark: tuple[SparkEngine, dict[str, int]], spark_session: Any
) -> None:
    engine, counts = spark
    spark_session.sql("DROP TABLE core.fact_review")  # as after a restart: the catalogue is empty
    fresh = SparkEngine(session=spark_session, data_dir=engine.data_dir)
    got = fresh.query("SELECT count(*) AS n FROM core.fact_review").to_pylist()
    assert got == [{"n": counts["core.fact_review"]}]
    assert engine.data_dir is not None
    versions = list((engine.data_dir / "core" / "fact_review").iterdir())
    assert 1 <= len(versions) <= 2  # the current files and at most the previous ones


def test_query_errors_are_one_line(published: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = published
    with pytest.raises(WarehouseError) as caught:
        engine.query("SELECT no_such_column FROM core.fact_order_line")
    assert "\n" not in str(caught.value) and engine.name.lower()[:5] in str(caught.value).lower()


# -- the DuckDB engine --------------------------------------------------------------------------


def test_duckdb_engine_narrows_integer_sums_and_is_thread_safe(duck: DuckDBEngine) -> None:
    sql = "SELECT sum(quantity) AS units, sum(net_amount) AS net FROM core.fact_order_line"
    expected = duck.query(sql)
    assert expected.schema.field("units").type == pa.int64()  # HUGEINT, but an integer
    assert expected.schema.field("net").type == pa.decimal128(38, 2)
    results: list[pa.Table] = []
    threads = [threading.Thread(target=lambda: results.append(duck.query(sql))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(result.equals(expected) for result in results)
    with pytest.raises(WarehouseError, match="DuckDB"):
        duck.query("SELECT * FROM core.nope")


# -- the whole metrics catalogue on every engine ------------------------------------------------

CATALOGUE_QUERIES = {
    "by_quarter": {"grain": "quarter"},
    "by_region_with_comparison": {
        "dimensions": ("region",),
        "start": "2025-01-01",
        "end": "2025-12-31",
        "compare": "previous_year",
    },
    "by_channel_and_month": {
        "dimensions": ("acquisition_channel",),
        "grain": "month",
        "start": "2025-04-01",
        "end": "2025-09-30",
    },
}


def same_value(a: object, b: object) -> bool:
    """Money and counts to the cent (exactly), ratios to floating-point precision."""
    from decimal import Decimal

    if a is None or b is None:
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        return float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-12)  # type: ignore[arg-type]
    if isinstance(a, int | Decimal) and isinstance(b, int | Decimal):
        return Decimal(a) == Decimal(b)
    return a == b


@pytest.mark.parametrize("name", sorted(CATALOGUE_QUERIES))
def test_the_whole_catalogue_gives_the_same_numbers_on_every_engine(
    name: str, duck: DuckDBEngine, published: tuple[Engine, dict[str, int]]
) -> None:
    import datetime as dt

    from bizsight.errors import InvalidArgumentError
    from bizsight.metrics.compiler import compile_query
    from bizsight.metrics.definitions import builtin
    from bizsight.metrics.query import Query

    catalogue = builtin()
    shape = CATALOGUE_QUERIES[name]
    metrics = []
    for metric in catalogue.metrics:  # every metric that applies to this grouping
        try:
            compile_query(
                catalogue, Query.model_validate({"metrics": (metric,), **shape}), today=dt.date(2026, 11, 24)
            )
        except InvalidArgumentError:
            continue
        metrics.append(metric)
    assert len(metrics) >= (len(catalogue.metrics) if name == "by_quarter" else 20)
    compiled = compile_query(
        catalogue, Query.model_validate({"metrics": tuple(metrics), **shape}), today=dt.date(2026, 11, 24)
    )
    engine, _ = published
    expected = duck.query(compiled.sql(duck.dialect)).to_pylist()
    got = engine.query(compiled.sql(engine.dialect)).to_pylist()
    assert len(got) == len(expected) > 0
    for want_row, got_row in zip(expected, got, strict=True):
        assert list(got_row) == list(want_row)
        different = {
            k: (want_row[k], got_row[k]) for k in want_row if not same_value(want_row[k], got_row[k])
        }
        assert not different, f"{engine.name} differs from DuckDB in {name}: {different}"


@pytest.mark.service
def test_a_project_on_postgres_publishes_and_queries_there(
    tmp_path: Path, wh: Warehouse, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bizsight publish`, then `Project.query` runs on PostgreSQL and agrees with DuckDB."""
    import json

    from tests.helpers import run_cli

    project = Project(tmp_path / "shop")
    project.init()
    shutil.copy(wh.path, project.paths.warehouse)
    on_duckdb = project.query("revenue", "orders", "customer_retention_rate", by=["region"], grain="quarter")
    result = run_cli("publish", "--project", str(project.root), env={POSTGRES_URL_ENV: pg_url})
    assert result.returncode == 2 and "the engine is duckdb" in result.stderr  # nothing to publish to
    project.paths.config_file.write_text("engine: postgres\n")
    result = run_cli("publish", "--project", str(project.root), "--json", env={POSTGRES_URL_ENV: pg_url})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["core.fact_order_line"] > 0
    monkeypatch.setenv(POSTGRES_URL_ENV, pg_url)
    on_postgres = Project(project.root)
    assert on_postgres.settings.engine.value == "postgres"
    answer = on_postgres.query("revenue", "orders", "customer_retention_rate", by=["region"], grain="quarter")
    assert answer.num_rows == on_duckdb.num_rows > 0
    for want, got in zip(on_duckdb.to_pylist(), answer.to_pylist(), strict=True):
        assert all(same_value(want[k], got[k]) for k in want), (want, got)
