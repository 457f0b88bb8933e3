"""The newest version of every key in raw, as refresh rebuilds core from it: worked by hand on a
raw table with keys sent once, twice in two loads, twice in one load, and with a NULL key part."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bizsight.warehouse.model import Entity
from bizsight.warehouse.sql import render
from bizsight.warehouse.transforms import latest_versions

PAIRS = Entity("pairs", ("pairs",), "fact_pairs", (), key=("a", "b"))


def test_latest_version_of_every_key(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.pairs AS SELECT * FROM (VALUES "
        "(1, 1, 'x', 1, 'once'), "
        "(1, 2, 'x', 2, 'old'), (2, 7, 'x', 2, 'new'), "  # a second load updates (x, 2)
        "(2, 3, 'y', 1, 'first'), (2, 9, 'y', 1, 'later line'), "  # twice in one load: the later line
        "(1, 4, 'z', NULL, 'null old'), (3, 1, 'z', NULL, 'null new'), "  # a NULL key part is a key too
        "(3, 2, 'z', 5, 'only')"
        ") AS t(_load_id, _line, a, b, v)"
    )
    rows = con.sql(f"SELECT a, b, v FROM {render(latest_versions(PAIRS))} ORDER BY a, b").fetchall()
    assert rows == [
        ("x", 1, "once"),
        ("x", 2, "new"),
        ("y", 1, "later line"),
        ("z", 5, "only"),
        ("z", None, "null new"),
    ]
