"""The publish use case: copy the warehouse's tables to the configured query engine."""

from __future__ import annotations

from bizsight.config import EngineName
from bizsight.errors import InvalidArgumentError
from bizsight.services.project import Project
from bizsight.warehouse.engines import open_engine, publish

SCHEMAS = ("core", "marts")


def publish_warehouse(project: Project) -> dict[str, int]:
    """Publish core and marts to Spark or PostgreSQL; rows per table."""
    settings = project.settings
    if settings.engine is EngineName.DUCKDB:
        raise InvalidArgumentError(
            "the engine is duckdb: queries run on the warehouse itself. Set engine: postgres or spark "
            "in bizsight.yml to publish there (docs/engines.md)"
        )
    with project.warehouse(read_only=True) as wh:
        engine = open_engine(settings, wh)
        try:
            return publish(wh, engine, SCHEMAS)
        finally:
            engine.close()
