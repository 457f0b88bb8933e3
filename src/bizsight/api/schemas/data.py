"""Answers of the data endpoints: status, loads, quality reports and quarantined rows."""

from __future__ import annotations

from pydantic import Field

from bizsight.api.schemas.common import Answer, DataTimestamp, Page, Row, ServerTimestamp


class Freshness(Answer):
    last_load: ServerTimestamp | None
    last_refresh: ServerTimestamp | None
    latest_order: DataTimestamp | None
    loads: int


class TableCount(Answer):
    schema_: str = Field(alias="schema")
    table: str
    kind: str = Field(description="BASE TABLE or VIEW")
    rows: int


class QuarantineCount(Answer):
    entity: str
    rule: str
    rows: int


class RecentLoad(Answer):
    load_id: int
    entity: str | None
    source_file: str | None
    finished_at: ServerTimestamp | None
    rows_read: int | None
    inserted: int | None
    updated: int | None
    quarantined: int | None
    exact_duplicates: int | None
    resent_duplicates: int | None
    duplicates: int | None = Field(default=None, description="exact and re-sent together, as the CLI counts")


class DataStatus(Answer):
    warehouse: str = Field(description="the warehouse file")
    data_version: int
    refreshed_version: int
    needs_refresh: bool
    freshness: Freshness
    tables: list[TableCount]
    quarantine: list[QuarantineCount]
    recent_loads: list[RecentLoad] = Field(description="the last ten, newest first")


class LoadRow(RecentLoad):
    format: str | None
    preset: str | None
    started_at: ServerTimestamp | None
    placeholders: int | None
    data_version: int | None


class LoadPage(Page):
    loads: list[LoadRow]


class QualityReport(Answer):
    """The report stored with a load (``{}`` for a load stored without one)."""

    load_id: int | None = None
    file: str | None = None
    entity: str | None = None
    format: str | None = None
    preset: str | None = None
    columns: dict[str, str] | None = Field(default=None, description="canonical column → the file's column")
    rows_read: int | None = None
    inserted: int | None = None
    updated: int | None = None
    quarantined: int | None = None
    loaded: int | None = Field(default=None, description="inserted + updated")
    quarantined_by_rule: dict[str, int] | None = None
    duplicates: int | None = Field(default=None, description="exact and re-sent together, as the CLI counts")
    exact_duplicates: int | None = None
    resent_duplicates: int | None = None
    rejected_rows_sent_again: int | None = Field(
        default=None,
        description="duplicates that are rejected rows sent again (in the file or an earlier load)",
    )
    placeholders_created: int | None = None
    invariant_holds: bool | None = Field(default=None, description="read = loaded + quarantined + duplicates")
    missing_share: dict[str, float] | None = Field(
        default=None, description="column → share of the rows read (quarantined ones included) left empty"
    )
    missing_rows: dict[str, int] | None = Field(default=None, description="column → rows read left empty")
    missing_rows_quarantined: dict[str, int] | None = Field(
        default=None, description="column → of those rows, how many were quarantined"
    )
    match_rate: dict[str, float | None] | None = None
    examples: dict[str, list[str]] | None = Field(default=None, description="rule → a few reasons")
    core_rows_before: int | None = None
    core_rows_after: int | None = None


class QuarantinePage(Page):
    entity: str
    rules: dict[str, int] = Field(description="rule → rejected rows (of every page)")
    rows: list[Row] = Field(description="the file's columns plus _load_id, _line, _rule, _reason, ...")
