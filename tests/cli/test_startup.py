"""What a command loads before it does anything: every `bizsight` run pays for it, so the engines
and the query layer load only in the commands that use them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bizsight.services.project import Project

ENGINES = ("duckdb", "sqlglot", "pyarrow", "numpy", "sqlalchemy", "scipy", "pandas")


def loaded_after(code: str) -> list[str]:
    """Which of ENGINES a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {ENGINES!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [name for name in done.stdout.splitlines()[-1].split(",") if name]


def test_the_command_line_itself_loads_no_engine() -> None:
    # --help, a typo's "did you mean" and argument errors come back without any of them.
    assert loaded_after("import bizsight.cli") == []


def test_listing_users_loads_the_metadata_store_only(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    Project(root).init()
    run = (
        "import sys\nfrom bizsight.cli import main\n"
        f"sys.argv = ['bizsight', 'users', 'list', '--project', {str(root)!r}]\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert not done.code, done.code"
    )
    # SQLGlot comes with the users' row restrictions (query filters); no engine, no Arrow.
    assert loaded_after(run) == ["sqlglot", "sqlalchemy"]


def test_ingesting_a_csv_file_without_a_server_loads_no_metadata_store(tmp_path: Path) -> None:
    # The job runner and its rows (SQLAlchemy) belong to a server; a load done here needs only
    # the warehouse. Arrow and numpy stay out too: DuckDB reads the CSV file itself.
    root, data = tmp_path / "shop", tmp_path / "market_data.csv"
    Project(root).init()
    data.write_text("period,region,market_size\n2026-01,North,1000\n2026-02,North,1100\n")
    run = (
        "import sys\nfrom bizsight.cli import main\n"
        f"sys.argv = ['bizsight', 'ingest', {str(data)!r}, '--project', {str(root)!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert not done.code, done.code"
    )
    assert loaded_after(run) == ["duckdb", "sqlglot"]
    assert Project(root).paths.warehouse.exists()
