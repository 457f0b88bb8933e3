"""The sales pipeline use cases: the marts a refresh builds (learned stage probabilities, deal
scores, the scoring model's temporal evaluation) and the views the API and the Pipeline page show.

Row-level security: a restricted user's deals are the rows of the ``deals`` model that pass their
restrictions (a deal takes its region from its customer; deals without a customer have none, so a
region-restricted user does not see them). The stage probabilities and the scoring model are
learned from every closed deal: a restricted user sees the probabilities applied to their deals,
but not the model's evaluation, which is measured over all of them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Any

import pyarrow as pa
from sqlglot import exp

from bizsight.analytics import deal_scoring, pipeline
from bizsight.metrics.query import Query
from bizsight.metrics.rows import model_rows
from bizsight.services.access import Principal, scoped_query
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import table

DEAL_COLUMNS = (
    "deal_id",
    "customer_id",
    "owner",
    "stage",
    "amount",
    "created_date",
    "expected_close_date",
    "closed_date",
    "status",
    "source",
)
KPIS = ("open_pipeline", "weighted_pipeline", "win_rate", "average_deal_size", "sales_cycle_days", "bookings")


def _all_deals(wh: Warehouse) -> pa.Table:
    select = exp.select(*DEAL_COLUMNS).from_(table("core", "fact_deal")).order_by("deal_id")
    with wh.reader() as con:
        return con.sql(select.sql("duckdb")).to_arrow_table()


def _amounts_as_float(deals: pa.Table) -> pa.Table:
    k = deals.schema.get_field_index("amount")
    return deals.set_column(k, "amount", deals.column("amount").cast(pa.float64()))


# --- refresh ---------------------------------------------------------------------------------


def build_marts(wh: Warehouse, fitted_at: dt.datetime | None = None) -> dict[str, int]:
    """marts.stage_probabilities, deal_scores, deal_model_eval and deal_calibration from
    core.fact_deal (inside the refresh's transaction). Always writes stage_probabilities (the
    weighted_pipeline metric joins it); the model marts are empty when the closed deals do not
    hold both outcomes."""
    deals = _amounts_as_float(_all_deals(wh))
    probabilities = pipeline.stage_probabilities(deals)
    wh.replace_table("marts", "stage_probabilities", pipeline.probabilities_table(probabilities))
    rows = deals.to_pylist()
    examples = deal_scoring.examples(rows)
    outcomes = {bool(r["won"]) for r in examples}
    scores: list[dict[str, object]] = []
    evaluation = None
    if len(outcomes) == 2:
        evaluation = deal_scoring.evaluate(examples)
        model = deal_scoring.fit(examples)
        scores = deal_scoring.score_open(model, rows)
    wh.replace_table(
        "marts",
        "deal_scores",
        pa.Table.from_pylist(
            [{**s, "reasons": json.dumps(s["reasons"])} for s in scores],
            schema=pa.schema(SCORE_COLUMNS),
        ),
    )
    at = fitted_at or dt.datetime.now()
    evals = [] if evaluation is None else [_eval_row(evaluation, at)]
    wh.replace_table("marts", "deal_model_eval", pa.Table.from_pylist(evals, schema=EVAL_SCHEMA))
    bins = [] if evaluation is None else [asdict(b) for b in evaluation.bins]
    wh.replace_table("marts", "deal_calibration", pa.Table.from_pylist(bins, schema=BIN_SCHEMA))
    return {"marts.deal_scores": len(scores), "marts.stage_probabilities": len(probabilities)}


F64, I64 = pa.float64(), pa.int64()
SCORE_COLUMNS: dict[str, pa.DataType] = {"deal_id": pa.string(), "probability": F64, "reasons": pa.string()}
EVAL_COLUMNS: dict[str, pa.DataType] = {
    "model": pa.string(), "fitted_at": pa.timestamp("us"), "cutoff": pa.date32(), "train_rows": I64,
    "test_rows": I64, "auc": F64, "brier": F64, "base_rate": F64,
}  # fmt: skip
EVAL_SCHEMA = pa.schema(EVAL_COLUMNS)
BIN_COLUMNS: dict[str, pa.DataType] = {
    "low": F64,
    "high": F64,
    "count": I64,
    "predicted": F64,
    "observed": F64,
}
BIN_SCHEMA = pa.schema(BIN_COLUMNS)
MODEL_NAME = "logistic regression: stage, source, owner (one-hot), log amount, log planned days"


def _eval_row(e: deal_scoring.Evaluation, at: dt.datetime) -> dict[str, object]:
    return {
        "model": MODEL_NAME,
        "fitted_at": at,
        "cutoff": e.cutoff,
        "train_rows": e.train_rows,
        "test_rows": e.test_rows,
        "auc": e.auc,
        "brier": e.brier,
        "base_rate": e.base_rate,
    }


# --- views -----------------------------------------------------------------------------------


def visible_deals(project: Project, wh: Warehouse, principal: Principal) -> pa.Table:
    """The deals the caller may see, as rows of core.fact_deal."""
    if not principal.restricted:
        return _amounts_as_float(_all_deals(wh))
    cat = catalogue(project)
    scoped_query(principal, Query(metrics=("bookings",)), cat)  # refuses restrictions deals lack
    rows = model_rows(cat, "deals", principal.restrictions, today=dt.date.today())
    select = exp.select(*[exp.column(c, table="f") for c in DEAL_COLUMNS]).from_(rows.subquery("f"))
    with wh.reader() as con:
        return _amounts_as_float(con.sql(select.order_by("deal_id").sql("duckdb")).to_arrow_table())


def _stored_probabilities(wh: Warehouse) -> list[dict[str, Any]]:
    if not wh.table_exists("marts", "stage_probabilities"):
        return []
    return wh.records(exp.select("*").from_(table("marts", "stage_probabilities")).order_by("stage_order"))


def _kpis(project: Project, wh: Warehouse, principal: Principal) -> dict[str, Any]:
    """The pipeline KPIs over all time, through the metrics layer (so they drill to their rows)."""
    query = scoped_query(principal, Query(metrics=KPIS), catalogue(project))
    found = run_query(project, query, wh=wh).table.to_pylist()
    return found[0] if found else dict.fromkeys(KPIS)


def _coverage(
    project: Project, wh: Warehouse, principal: Principal, quarter: tuple[dt.date, dt.date]
) -> dict[str, Any]:
    """Open pipeline expected to close in the quarter over its bookings target (none for a
    restricted user: targets are company-wide)."""
    out: dict[str, Any] = {"start": quarter[0], "end": quarter[1], "open_pipeline": None, "target": None}
    out["coverage"] = None
    if principal.restricted:
        return out
    query = Query(
        metrics=("open_pipeline", "bookings_target", "pipeline_coverage"), start=quarter[0], end=quarter[1]
    )
    found = run_query(project, query, wh=wh).table.to_pylist()
    if found:
        row = found[0]
        out.update(open_pipeline=row["open_pipeline"], target=row["bookings_target"])
        out["coverage"] = row["pipeline_coverage"]
    return out


def pipeline_view(project: Project, wh: Warehouse, principal: Principal) -> dict[str, Any]:
    """KPIs, open pipeline by stage, owner and source, stage conversion and velocity, coverage of
    the next quarter's target and the bookings forecast, for the caller's deals."""
    deals = visible_deals(project, wh, principal)
    learned = _stored_probabilities(wh)
    probability = {r["stage"]: float(r["probability"]) for r in learned}
    as_of = _as_of(deals)
    quarter = pipeline.next_quarter(as_of)
    candidates = [
        r
        for r in deals.to_pylist()
        if r["status"] == pipeline.OPEN
        and (r["expected_close_date"] is None or r["expected_close_date"] <= quarter[1])
    ]
    forecast = pipeline.forecast_bookings(
        [r["amount"] for r in candidates],
        [probability.get(r["stage"], 0.0) for r in candidates],
        quarter,
        pipeline.run_rate_history(deals, quarter[0]),
    )
    return {
        "as_of": as_of,
        "kpis": _kpis(project, wh, principal),
        "stage_probabilities": learned,
        "by_stage": _in_stage_order(pipeline.open_by(deals, "stage", probability), learned),
        "by_owner": pipeline.open_by(deals, "owner", probability),
        "by_source": pipeline.open_by(deals, "source", probability),
        "flow": [asdict(f) for f in pipeline.stage_flow(deals)],
        "coverage": _coverage(project, wh, principal, quarter),
        "forecast": asdict(forecast),
    }


def _as_of(deals: pa.Table) -> dt.date:
    """The last day the deals know of (their latest created or closed date)."""
    days = [d for c in ("created_date", "closed_date") for d in deals.column(c).to_pylist() if d is not None]
    return max(days) if days else dt.date.today()


def _in_stage_order(rows: list[dict[str, object]], learned: list[dict[str, Any]]) -> list[dict[str, object]]:
    rank = {r["stage"]: k for k, r in enumerate(learned)}
    return sorted(rows, key=lambda r: (rank.get(r["value"], len(rank)), str(r["value"])))


def deals_view(
    project: Project, wh: Warehouse, principal: Principal, *, page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    """The caller's open deals with their score and reasons, most likely to win first."""
    deals = visible_deals(project, wh, principal)
    scores: dict[str, dict[str, Any]] = {}
    if wh.table_exists("marts", "deal_scores"):
        scores = {r["deal_id"]: r for r in wh.records(exp.select("*").from_(table("marts", "deal_scores")))}
    rows = []
    for d in deals.to_pylist():
        if d["status"] != pipeline.OPEN:
            continue
        s = scores.get(d["deal_id"])
        rows.append(
            {
                "deal_id": d["deal_id"],
                "owner": d["owner"],
                "stage": d["stage"],
                "source": d["source"],
                "amount": d["amount"],
                "created_date": d["created_date"],
                "expected_close_date": d["expected_close_date"],
                "probability": None if s is None else s["probability"],
                "reasons": [] if s is None else json.loads(s["reasons"]),
            }
        )
    rows.sort(key=lambda r: (-(r["probability"] or 0.0), -r["amount"], r["deal_id"]))
    first = (page - 1) * page_size
    return {"total": len(rows), "page": page, "page_size": page_size, "rows": rows[first : first + page_size]}


def model_view(wh: Warehouse, principal: Principal) -> dict[str, Any]:
    """The scoring model's temporal-holdout evaluation (ROC-AUC, Brier, calibration table)."""
    if principal.restricted:  # measured over every deal: withheld, like product affinity
        return {"evaluation": None, "calibration": [], "withheld": True}
    if not wh.table_exists("marts", "deal_model_eval"):
        return {"evaluation": None, "calibration": [], "withheld": False}
    evals = wh.records(exp.select("*").from_(table("marts", "deal_model_eval")))
    bins = wh.records(exp.select("*").from_(table("marts", "deal_calibration")).order_by("low"))
    return {"evaluation": evals[0] if evals else None, "calibration": bins, "withheld": False}
