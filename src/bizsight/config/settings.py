"""Typed settings of a bizsight project, read from ``bizsight.yml``.

Unknown keys are rejected when the file is read, naming the file, the key and the nearest valid
spelling, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bizsight.config.ask import AskSettings
from bizsight.config.customers import CustomerSettings
from bizsight.config.executive import ExecutiveSettings
from bizsight.config.reports import ChannelSettings, DeliverySettings, PrivacySettings, ReportSettings
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


class AnomalySeries(_Strict):
    """A metric watched for anomalies: in total, and for every value of each dimension in ``by``."""

    metric: str = Field(description="a metric of the catalogue")
    by: list[str] = Field(default_factory=list, description="dimensions, each scored value by value")


def _default_anomaly_series() -> list[AnomalySeries]:
    return [
        AnomalySeries(metric="revenue", by=["region", "category", "sales_channel"]),
        AnomalySeries(metric="orders", by=["region", "category", "sales_channel"]),
        AnomalySeries(metric="new_customers", by=["region"]),
        AnomalySeries(metric="average_order_value", by=["region"]),
    ]


class AnomalySettings(_Strict):
    """Which series every ``bizsight refresh`` scores for anomalies (marts.anomalies)."""

    enabled: bool = True
    grain: Literal["day", "week", "month"] = Field(default="day", description="time grain of the series")
    threshold: float = Field(default=3.5, gt=0, description="score from which a point is an anomaly")
    medium: float = Field(default=5.0, gt=0, description="score from which an anomaly is of medium severity")
    high: float = Field(default=8.0, gt=0, description="score from which an anomaly is of high severity")
    min_median: float = Field(
        default=5.0, ge=0, description="skip series whose median value is below this (too sparse to judge)"
    )
    series: list[AnomalySeries] = Field(default_factory=_default_anomaly_series)


class Settings(_Strict):
    """The whole of ``bizsight.yml``."""

    timezone: str = "UTC"
    currency: str = Field(
        default="auto", description="ISO 4217 code money is shown in; auto: the orders' most common currency"
    )
    locale: str = Field(default="en", description="how numbers are written: en, en_GB, de, fr_CH, ...")
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
    customers: CustomerSettings = Field(
        default_factory=CustomerSettings, description="RFM segments, cohorts, CLV and churn"
    )
    anomalies: AnomalySettings = Field(default_factory=AnomalySettings)
    channels: dict[str, ChannelSettings] = Field(
        default_factory=dict, description="where reports and alerts are sent: name → kind and settings"
    )
    reports: ReportSettings = Field(default_factory=ReportSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    executive: ExecutiveSettings = Field(
        default_factory=ExecutiveSettings, description="the executive view's sections, KPIs and scoring"
    )
    ask: AskSettings = Field(
        default_factory=AskSettings, description="questions in plain English (docs/ask.md)"
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        from babel.numbers import list_currencies

        if value != "auto" and value.upper() not in list_currencies():
            raise ValueError(f"unknown currency {value!r} (use an ISO 4217 code such as EUR, or auto)")
        return value if value == "auto" else value.upper()

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise ValueError(
                f"unknown locale {value!r} (use a name such as en, en_GB, de or fr_CH)"
            ) from None
        return value.replace("-", "_")

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
        hint = did_you_mean(key, _section(Settings, problem["loc"][:-1]).model_fields)
        return f"{path}: unknown key '{location}'{hint}"
    return f"{path}: {location}: {problem['msg']}"


def _section(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The settings model at ``loc`` (list indexes skipped), for did-you-mean hints."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            break
        model = nested[0]
    return model
