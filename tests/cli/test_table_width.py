"""Tables as a user sees them: in the terminal's width on a terminal; piped into a file or
another program, whole (every column, no "…") whatever $COLUMNS says."""

from __future__ import annotations

from bizsight.services.project import Project
from tests.helpers import run_cli, serving

TARGET_COLUMNS = (
    "Metric",
    "From",
    "To",
    "Target",
    "Actual",
    "Achieved",
    "Chance of meeting it",
    "Status",
    "Note",
)


def assert_whole(output: str, *columns: str) -> None:
    assert output.strip()
    assert "…" not in output, output
    headers = [line for line in output.splitlines() if f" {columns[0]} " in line]
    assert any(all(f" {c} " in line for c in columns) for line in headers), (columns, headers)


def test_piped_tables_keep_every_column_in_a_narrow_terminal(small_demo: Project) -> None:
    narrow = {"COLUMNS": "40"}
    targets = run_cli("targets", "-p", str(small_demo.root), env=narrow)
    assert targets.returncode == 0, targets.stderr
    assert_whole(targets.stdout, *TARGET_COLUMNS)
    status = run_cli("status", "-p", str(small_demo.root), env=narrow)
    assert status.returncode == 0, status.stderr
    assert_whole(status.stdout, "load", "file", "at", "read", "new", "upd", "quar.", "dup.")
    assert "customer_database.csv" in status.stdout  # the file name of the first load, whole
    # one row per line: the Tables table is not wrapped into more lines than it has rows
    assert any(
        line.count("│") == 4 and "order_lines_enriched (view)" in line for line in status.stdout.splitlines()
    )


def test_piped_tables_through_the_server_keep_every_column(served_demo: Project) -> None:
    with serving(served_demo):
        sent = run_cli("targets", "-p", str(served_demo.root), env={"COLUMNS": "40"})
    assert sent.returncode == 0, sent.stderr
    assert "sent to the bizsight server" in sent.stderr
    assert_whole(sent.stdout, *TARGET_COLUMNS)
