"""What the ingest tests share."""

from __future__ import annotations

from bizsight.services.project import Project


def quarantine(project: Project, entity: str) -> list[tuple[object, ...]]:
    """Line, rule, field and reason of each quarantined row of ``entity``, in line order."""
    with project.warehouse(read_only=True) as wh:
        return wh.rows(f"SELECT _line, _rule, _field, _reason FROM quarantine.{entity} ORDER BY _line")
