"""Choosing an engine in bizsight.yml, and the one-line errors when one cannot be used (no URL, an
unreachable server, a missing package). Needs no running engine: a warehouse of its own, empty."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bizsight.config.settings import POSTGRES_URL_ENV, Settings, load_settings
from bizsight.errors import ConfigError, WarehouseError
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.engines import DuckDBEngine, PostgresEngine, SparkEngine, open_engine
from tests.helpers import free_port


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "warehouse.duckdb") as warehouse:
        yield warehouse


def test_engine_settings_from_bizsight_yml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POSTGRES_URL_ENV, raising=False)
    config = tmp_path / "bizsight.yml"
    config.write_text(
        "engine: spark\nspark:\n  connect: sc://spark.internal:15002\n  conf: {spark.driver.memory: 4g}\n"
    )
    settings = load_settings(config)
    assert settings.engine == "spark" and settings.spark.connect == "sc://spark.internal:15002"
    assert settings.spark.conf == {"spark.driver.memory": "4g"}
    assert settings.spark.master == "local[2]" and settings.postgres.url is None
    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql://bi:secret@replica:5432/shop")
    assert Settings(engine="postgres").postgres.url == "postgresql://bi:secret@replica:5432/shop"
    assert "secret" not in repr(Settings())
    config.write_text("engine: postgres\npostgres:\n  url: postgresql://bi@other/shop\n")
    assert load_settings(config).postgres.url == "postgresql://bi@other/shop"  # the file wins
    config.write_text("engine: oracle\n")
    with pytest.raises(ConfigError, match="engine"):
        load_settings(config)
    config.write_text("spark:\n  mastr: local[1]\n")
    with pytest.raises(ConfigError, match="mastr"):
        load_settings(config)


def test_postgres_without_url_is_a_one_line_config_error(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(POSTGRES_URL_ENV, raising=False)
    with pytest.raises(ConfigError) as caught:
        open_engine(Settings(engine="postgres"), wh)
    message = str(caught.value)
    assert "\n" not in message and "postgres.url" in message and POSTGRES_URL_ENV in message


def test_unreachable_postgres_names_host_and_port_never_the_password(wh: Warehouse) -> None:
    port = free_port()
    url = f"postgresql://bi:pa55-w0rd@127.0.0.1:{port}/shop"
    with pytest.raises(WarehouseError) as caught:
        open_engine(Settings(engine="postgres", postgres={"url": url}), wh)
    message = str(caught.value)
    assert "\n" not in message and f"127.0.0.1:{port}" in message
    assert "pa55-w0rd" not in message and caught.value.__cause__ is None
    with pytest.raises(ConfigError) as bad:
        PostgresEngine("mysql://bi:pa55-w0rd@127.0.0.1/shop")  # psycopg's own message quotes it
    assert "pa55-w0rd" not in str(bad.value)


def test_open_engine_defaults_to_the_warehouse(wh: Warehouse) -> None:
    engine = open_engine(Settings(), wh)
    assert isinstance(engine, DuckDBEngine) and engine.dialect == "duckdb"
    assert engine.query("SELECT 1 AS one").to_pylist() == [{"one": 1}]


def test_engines_without_their_package_name_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import x` fail as when x is not installed.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigError) as caught:
        PostgresEngine("postgresql://bi:pa55-w0rd@127.0.0.1:5432/shop")
    assert str(caught.value) == "engine: postgres needs psycopg: pip install 'bizsight[postgres]'"

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ConfigError) as caught:
        SparkEngine()
    assert str(caught.value) == "engine: spark needs pyspark (and Java 17): pip install 'bizsight[spark]'"


def test_spark_connect_without_its_client_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from bizsight.warehouse.engines import spark as spark_module

    monkeypatch.setattr(spark_module, "_missing_connect_modules", lambda: ["grpc"])
    with pytest.raises(ConfigError, match=r"pyspark(\[connect\])?"):
        SparkEngine(connect="sc://spark.internal:15002")
