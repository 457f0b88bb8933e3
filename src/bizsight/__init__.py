"""bizsight: business intelligence for companies that sell things.

>>> import bizsight
>>> project = bizsight.Project("demo-project")  # doctest: +SKIP
>>> project.query("revenue", "orders", by=["region"], grain="month")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bizsight.services.project import Project

__all__ = ["Project"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so `import bizsight` (and the CLI's --help) stays fast.
    if name == "Project":
        from bizsight.services.project import Project

        return Project
    raise AttributeError(name)
