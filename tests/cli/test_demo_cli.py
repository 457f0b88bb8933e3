"""`bizsight demo` as a user runs it: no warnings about the files it wrote itself, and with
--no-serve it returns after the report instead of serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizsight.demo.generator import FILES as DATA_FILES
from tests.helpers import run_cli


@pytest.mark.slow
def test_the_demo_does_not_warn_about_its_own_files(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    for run in ("generates", "reuses the data"):
        result = run_cli("demo", str(demo), "--customers", "100", "--no-serve", timeout=300)
        assert result.returncode == 0, (run, result.stderr)
        assert "warning" not in result.stderr, (run, result.stderr)
        assert "bizsight metrics -p" in result.stdout and "Ctrl-C" not in result.stdout  # not served
        for name in DATA_FILES:  # all eight loaded (the second time: recognised as loaded)
            assert name in result.stdout, (run, name)
    assert (demo / "data" / "ground_truth.json").exists()

    # A file the demo did not write still gets its warning when its directory is ingested.
    (demo / "data" / "notes.jsonl").write_text('{"note": "not an export"}\n')
    result = run_cli("ingest", str(demo / "data"), "-p", str(demo))
    assert result.returncode == 0, result.stderr
    assert "warning: skipped" in result.stderr and "notes.jsonl" in result.stderr
