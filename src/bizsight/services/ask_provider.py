"""A model as another reader of questions (docs/decisions/0047)."""

from __future__ import annotations

import datetime as dt

from bizsight.metrics.questions import Reading
from bizsight.services.project import Project


def provider_reading(project: Project, question: str, today: dt.date) -> tuple[Reading, str] | None:
    """The configured model's reading, or None (no provider)."""
    return None
