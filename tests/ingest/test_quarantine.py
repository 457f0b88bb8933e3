"""The quarantine keeps one row per bad source row, and names the file as the user knows it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bizsight.console import NullReporter
from bizsight.services import data
from bizsight.services.ingest import IngestSummary, ingest
from bizsight.services.project import Project
from bizsight.services.uploads import UploadSink
from tests.helpers import ORDER_HEADER, order, write_csv
from tests.ingest.ingest_support import quarantine

Load = Callable[..., IngestSummary]


def test_bad_rows_sent_again_are_counted_as_duplicates_not_quarantined_twice(
    tmp_path: Path, dims: list[Path], load: Load, project: Project
) -> None:
    monday = [order("O1"), order("O2", quantity="two"), order("O3", quantity=-2)]
    load(*dims, write_csv(tmp_path / "mon" / "sales_transactions.csv", ORDER_HEADER, monday))
    # Tuesday's export repeats Monday's bad rows (at other lines), and one new bad row twice.
    tuesday = [
        order("O4"),
        order("O3", quantity=-2),
        order("O5", price="abc"),
        order("O2", quantity="two"),
        order("O5", price="abc"),
    ]
    path = write_csv(tmp_path / "tue" / "sales_transactions.csv", ORDER_HEADER, tuesday)
    result = load(path).results[0]
    assert (result.rows_read, result.loaded, result.quarantined, result.duplicates) == (5, 1, 1, 3)
    assert result.counts["resent_duplicate"] == 2 and result.counts["exact_duplicate"] == 1
    assert result.quality["rejected_rows_sent_again"] == 3
    assert result.quality["quarantined_by_rule"] == {"invalid_number": 1}
    assert sorted((line, rule) for line, rule, _, _ in quarantine(project, "order_lines")) == [
        (3, "invalid_number"),  # Monday's O2
        (4, "invalid_number"),  # Tuesday's O5, once
        (4, "negative_quantity"),  # Monday's O3
    ]
    # Sending the same bad rows in a third file, with other good rows, stores nothing new.
    again = [order("O6"), order("O2", quantity="two")]
    load(write_csv(tmp_path / "wed" / "sales_transactions.csv", ORDER_HEADER, again))
    assert len(quarantine(project, "order_lines")) == 3


def test_an_uploaded_file_is_named_as_the_user_named_it(
    tmp_path: Path, dims: list[Path], project: Project
) -> None:
    project.init()
    source = write_csv(tmp_path / "x.csv", ORDER_HEADER, [order("O1"), order("O2", quantity="two")])
    sink = UploadSink(project, limit_mb=1)
    for path in dims:
        sink.begin(path.name)
        sink.write(path.read_bytes())
    saved = sink.begin("C:\\Users\\ana\\sales_transactions (1).csv")
    sink.write(source.read_bytes())
    sink.end()
    summary = ingest(project, sink.files, NullReporter())
    result = summary.results[-1]
    assert saved.parent.parent == project.paths.state_dir / "uploads"
    assert result.quality["file"] == "sales_transactions (1).csv"
    assert summary.as_dict()["files"][-1]["file"] == "sales_transactions (1).csv"  # type: ignore[index]
    with project.warehouse(read_only=True) as wh:
        loads = data.loads(wh)["loads"]
        kept = wh.scalar("SELECT _source_file FROM quarantine.order_lines")
    assert [load["source_file"] for load in loads] == [
        "sales_transactions (1).csv",
        "product_catalog.csv",
        "customer_database.csv",
    ]
    assert kept == "sales_transactions (1).csv"
