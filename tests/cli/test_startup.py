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
