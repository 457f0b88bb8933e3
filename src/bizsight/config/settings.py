"""Typed settings of a bizsight project, read from ``bizsight.yml``.

Unknown keys are rejected when the file is read, naming the file, the key and the nearest valid
spelling, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bizsight.config.server import ServerSettings
from bizsight.errors import ConfigError, did_you_mean

CONFIG_FILE = "bizsight.yml"


class DateOrder(StrEnum):
    """How to read ambiguous slash dates such as 03/04/2025."""

    AUTO = "auto"  # decided per file from values that are unambiguous; month first if none is
    MDY = "MDY"
    DMY = "DMY"


class MissingDimensions(StrEnum):
    """What to do with an order or review whose customer or product is not in the warehouse."""

    AUTO = "auto"  # create placeholder rows while that dimension has never been loaded
    CREATE = "create"  # always create placeholder rows
    QUARANTINE = "quarantine"  # reject the row (rule unknown_customer / unknown_product)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceMapping(_Strict):
    """How to read files that do not follow the default names and columns."""

    path: str = Field(description="file name or glob, relative to the project directory")
    entity: str | None = Field(default=None, description="customers, products, order_lines, ...")
    preset: str | None = Field(default=None, description="column-mapping preset, e.g. uci_online_retail")
    columns: dict[str, str] = Field(default_factory=dict, description="source column → canonical column")
    ignore_columns: list[str] = Field(default_factory=list, description="source columns not to load")
    date_order: DateOrder | None = None


class EngineName(StrEnum):
    """Where metric queries run."""

    DUCKDB = "duckdb"  # the project's warehouse file (default)
    SPARK = "spark"  # Apache Spark: local mode, a master URL or Spark Connect
    POSTGRES = "postgres"  # a PostgreSQL database holding the published core tables


POSTGRES_URL_ENV = "BIZSIGHT_POSTGRES_URL"


class SparkSettings(_Strict):
    """How to reach Apache Spark (``engine: spark``)."""

    master: str = Field(
        default="local[2]", description="Spark master: local[N], spark://host:7077, yarn, ..."
    )
    connect: str | None = Field(
        default=None, description="Spark Connect address sc://host:15002 (wins over master)"
    )
    data_dir: str | None = Field(
        default=None,
        description="where publish writes Parquet for Spark; default .bizsight/spark beside the warehouse. "
        "A relative path is relative to the warehouse's directory. Spark must read it at the same path.",
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="extra Spark settings, e.g. spark.driver.memory: 4g"
    )


class PostgresSettings(_Strict):
    """How to reach PostgreSQL (``engine: postgres``)."""

    url: str | None = Field(
        # The URL may hold a password: keep it out of bizsight.yml by setting the environment variable.
        default_factory=lambda: os.environ.get(POSTGRES_URL_ENV) or None,
        repr=False,
        description=f"postgresql://user:password@host:5432/database (default: ${POSTGRES_URL_ENV})",
    )


class Settings(_Strict):
    """The whole of ``bizsight.yml``."""

    timezone: str = "UTC"
    currency: str = "USD"
    date_order: DateOrder = DateOrder.AUTO
    missing_dimensions: MissingDimensions = MissingDimensions.AUTO
    fiscal_year_start: int = Field(default=1, ge=1, le=12, description="month the fiscal year starts in")
    memory_limit: str = Field(
        default="1GB", description="DuckDB's memory limit; larger work spills to .bizsight/tmp"
    )
    server: ServerSettings = Field(default_factory=ServerSettings)
    sources: list[SourceMapping] = Field(default_factory=list)
    engine: EngineName = Field(default=EngineName.DUCKDB, description="where metric queries run")
    spark: SparkSettings = Field(default_factory=SparkSettings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from None
        return value


@dataclass(frozen=True)
class ProjectPaths:
    """Where a project keeps its files."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def state_dir(self) -> Path:
        return self.root / ".bizsight"

    @property
    def warehouse(self) -> Path:
        override = os.environ.get("BIZSIGHT_WAREHOUSE")
        return Path(override) if override else self.state_dir / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.state_dir / "reports"

    @property
    def app_db(self) -> Path:
        return self.state_dir / "app.db"


def load_settings(path: Path) -> Settings:
    """Read and validate ``bizsight.yml``; a missing file means all defaults."""
    if not path.exists():
        return Settings()
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_first_problem(path, err)) from None


def _first_problem(path: Path, err: ValidationError) -> str:
    problem = err.errors()[0]
    location = ".".join(str(part) for part in problem["loc"])
    if problem["type"] == "extra_forbidden":
        key = str(problem["loc"][-1])
        sections: dict[str, type[BaseModel]] = {
            "sources": SourceMapping,
            "spark": SparkSettings,
            "postgres": PostgresSettings,
        }
        model = sections.get(str(problem["loc"][0]), Settings) if len(problem["loc"]) > 1 else Settings
        hint = did_you_mean(key, model.model_fields)
        return f"{path}: unknown key '{location}'{hint}"
    return f"{path}: {location}: {problem['msg']}"
