"""Project settings: ``bizsight.yml`` → typed, validated models. The one place that reads the
environment."""

from bizsight.config.settings import (
    DateOrder,
    MissingDimensions,
    ProjectPaths,
    Settings,
    SourceMapping,
    load_settings,
)

__all__ = [
    "DateOrder",
    "MissingDimensions",
    "ProjectPaths",
    "Settings",
    "SourceMapping",
    "load_settings",
]
