"""Project settings: ``bizsight.yml`` → typed, validated models. The one place that reads the
environment."""

from bizsight.config.settings import (
    POSTGRES_URL_ENV,
    DateOrder,
    EngineName,
    MissingDimensions,
    PostgresSettings,
    ProjectPaths,
    ServerSettings,
    Settings,
    SourceMapping,
    SparkSettings,
    load_settings,
)

__all__ = [
    "POSTGRES_URL_ENV",
    "DateOrder",
    "EngineName",
    "MissingDimensions",
    "PostgresSettings",
    "ProjectPaths",
    "ServerSettings",
    "Settings",
    "SourceMapping",
    "SparkSettings",
    "load_settings",
]
