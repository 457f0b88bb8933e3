"""A bizsight project: a directory with ``bizsight.yml`` and ``.bizsight/``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bizsight.config import ProjectPaths, Settings, load_settings
from bizsight.errors import InvalidArgumentError

if TYPE_CHECKING:
    import pyarrow as pa

    from bizsight.warehouse.connection import Warehouse

DEFAULT_CONFIG = """\
# bizsight project settings — every key is optional; see docs/configuration.md.
timezone: UTC          # IANA name; timestamps with a UTC offset are converted to it
currency: auto         # ISO code money is shown in (EUR, GBP, ...); auto: the orders' own currency
locale: en             # how numbers are written: en (1,234.50), de (1.234,50), fr, en_GB, ...
date_order: auto       # auto | MDY | DMY — how to read dates such as 03/04/2025
missing_dimensions: auto   # auto | create | quarantine — orders naming an unknown customer/product

# Files that do not follow the default names or columns:
# sources:
#   - path: exports/Online Retail.xlsx
#     preset: uci_online_retail
#   - path: crm/*.csv
#     entity: customers
#     columns: {Kundennummer: customer_id}
#     ignore_columns: [internal_note]
"""


# Projects whose warehouse this process owns (``bizsight serve``): root → the one read-write
# connection. Code in the owner process that asks for such a warehouse gets a cursor of it.
_OWNED: dict[Path, Warehouse] = {}


@contextmanager
def owning(project: Project, warehouse: Warehouse) -> Iterator[None]:
    """While the block runs, every ``project.warehouse()`` in this process (for this project's
    directory) is a cursor of ``warehouse``: the server's request handlers, its jobs and the
    commands the CLI sends it all share the one read-write connection."""
    key = project.root.resolve()
    _OWNED[key] = warehouse
    try:
        yield
    finally:
        _OWNED.pop(key, None)


def owned_here(project: Project) -> bool:
    """True in the process that owns ``project``'s warehouse (the server)."""
    return project.root.resolve() in _OWNED


class Project:
    """The project in ``root``; settings are read once, the warehouse opened on demand."""

    def __init__(self, root: Path | str = ".") -> None:
        self.root = Path(root)
        self.paths = ProjectPaths(self.root)

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.paths.config_file)

    @property
    def initialized(self) -> bool:
        return self.paths.config_file.exists() or self.paths.state_dir.exists()

    def init(self) -> bool:
        """Create the project files that are missing; True when anything was created."""
        if self.root.exists() and not self.root.is_dir():
            raise InvalidArgumentError(f"{self.root} is a file, not a directory")
        created = not self.initialized
        self.paths.state_dir.mkdir(parents=True, exist_ok=True)
        self.paths.reports_dir.mkdir(exist_ok=True)
        if not self.paths.config_file.exists():
            self.paths.config_file.write_text(DEFAULT_CONFIG, encoding="utf-8")
        return created

    def query(
        self,
        *metrics: str,
        by: Sequence[str] = (),
        grain: str | None = None,
        start: dt.date | str | None = None,
        end: dt.date | str | None = None,
        range: str | None = None,
        where: Mapping[str, object] | None = None,
        compare: str | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> pa.Table:
        """Metrics as an Arrow table: one row per period × dimension values.

        ``where`` maps a dimension to a value, or to a list of values (any of them).
        """
        from bizsight.metrics.query import Filter, Query
        from bizsight.services.query import run_query

        filters = [
            Filter.model_validate(
                {
                    "dimension": d,
                    "op": "in" if isinstance(v, list | tuple) else "=",
                    "values": tuple(v) if isinstance(v, list | tuple) else (v,),
                }
            )
            for d, v in (where or {}).items()
        ]
        query = Query.model_validate(
            {
                "metrics": metrics,
                "dimensions": tuple(by),
                "grain": grain,
                "start": start,
                "end": end,
                "range": range,
                "filters": filters,
                "compare": compare,
                "order_by": tuple(order_by),
                "limit": limit,
            }
        )
        return run_query(self, query).table

    @contextmanager
    def warehouse(self, *, read_only: bool = False) -> Iterator[Warehouse]:
        """The warehouse, its schema ensured (when writable); in the process that owns it, a
        cursor of the owner's connection (writes there come from the one job runner)."""
        # Imported here: commands that only read the metadata store (users, schedules, jobs)
        # start without DuckDB.
        from bizsight.warehouse.connection import Warehouse
        from bizsight.warehouse.schema import ensure_schema

        owner = _OWNED.get(self.root.resolve())
        if owner is not None:
            with owner.cursor() as view:
                yield view
            return
        with Warehouse(
            self.paths.warehouse, read_only=read_only, memory_limit=self.settings.memory_limit
        ) as wh:
            if not read_only:
                ensure_schema(wh)
            yield wh
