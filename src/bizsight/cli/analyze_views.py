"""Terminal views of the customer analyses (`bizsight analyze ...`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

from bizsight.terminal import console

if TYPE_CHECKING:
    from bizsight.services.presentation import Presentation


def print_clv(report: dict[str, Any], pres: Presentation) -> None:
    out = console()
    purchases, spend = report["purchases"], report["spend"]
    errors = purchases.get("std_errors") or {}
    table = Table(
        title=f"Purchases: {report['model']} (unit {report['time_unit_days']:g} days)", title_justify="left"
    )
    for name in ("parameter", "estimate", "std. error"):
        table.add_column(name, justify="left" if name == "parameter" else "right")
    for name in ("r", "alpha", "a", "b", "s", "beta"):
        if name in purchases and purchases[name] is not None:
            error = errors.get(name) if isinstance(errors, dict) else None
            table.add_row(name, f"{purchases[name]:.4g}", f"{error:.3g}" if error is not None else "—")
    out.print(table)
    out.print(
        f"log-likelihood {purchases['log_likelihood']:,.2f} over {pres.format(report['customers'], 'customers')} customers"
    )
    out.print(
        f"Spend (Gamma-Gamma): p {spend['p']:.4g}, q {spend['q']:.4g}, gamma {spend['gamma']:.4g}; "
        f"mean order value {pres.format(spend['mean_value'], 'monetary', unit='money')}"
    )
    holdout = report.get("holdout")
    if holdout:
        groups = Table(title="Holdout: repeat purchases, predicted against actual", title_justify="left")
        for name in ("repeat purchases before", "customers", "actual", "predicted"):
            groups.add_column(name, justify="right")
        for group in holdout["groups"]:
            groups.add_row(
                str(group["frequency"]),
                f"{group['customers']:,}",
                f"{group['actual']:,.0f}",
                f"{group['predicted']:,.0f}",
            )
        groups.add_row(
            "all", f"{holdout['customers']:,}", f"{holdout['actual']:,.0f}", f"{holdout['predicted']:,.0f}"
        )
        out.print(groups)


def print_churn(report: dict[str, Any], pres: Presentation) -> None:
    out = console()
    ev = report.get("evaluation", report)
    out.print(f"Churn = no purchase within {report.get('churn_days')} days.")
    summary = Table(title="Temporal holdout", title_justify="left")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    for name in ("roc_auc", "pr_auc", "precision", "recall", "f1", "threshold", "brier"):
        if isinstance(ev.get(name), int | float):
            summary.add_row(name, f"{ev[name]:.3f}")
    out.print(summary)
    targets = report.get("targets") or []
    if targets:
        table = Table(title="Retention targets (by revenue at risk)", title_justify="left")
        for name in ("customer_id", "churn_probability", "risk_band", "main_reason", "revenue_at_risk"):
            table.add_column(
                pres.label(name),
                justify="right" if name in ("churn_probability", "revenue_at_risk") else "left",
            )
        for row in targets[:10]:
            words = row.get("reasons") or [row["reason_1"]]  # the service's words, as on the page
            table.add_row(
                str(row["customer_id"]),
                pres.format(row["churn_probability"], "churn_probability"),
                str(row["risk_band"]),
                str(words[0]),
                pres.format(row["revenue_at_risk"], "revenue_at_risk"),
            )
        out.print(table)


def print_segments(report: dict[str, Any], pres: Presentation) -> None:
    out = console()
    columns = {
        "customers": ("customers", "count"),
        "customer_share": ("share", "percent"),
        "revenue": ("revenue", "money"),
        "revenue_share": ("rev. %", "percent"),
        "avg_recency_days": ("recency", "days"),
        "avg_clv": ("avg CLV", "money"),
    }
    rows = [
        [row["segment"]]
        + [pres.format(row.get(name), name, unit=unit) for name, (_, unit) in columns.items()]
        for row in report["segments"]
    ]
    headers = ["segment", *(header for header, _ in columns.values())]
    out.print(_numbers_table(f"RFM segments as of {report['as_of']}", headers, rows))
    moves = [m for m in report.get("migration") or [] if m["segment_from"] != m["segment_to"]]
    if moves:
        moves.sort(key=lambda m: -m["customers"])
        flows = Table(
            title=f"Largest moves from {report['since']} to {report['as_of']}", title_justify="left"
        )
        for name in ("from", "to", "customers"):
            flows.add_column(name, justify="right" if name == "customers" else "left", no_wrap=True)
        for m in moves[:15]:
            flows.add_row(
                m["segment_from"] or "(not yet a customer)",
                m["segment_to"] or "—",
                pres.format(m["customers"], "customers"),
            )
        out.print(flows)
        out.print("All moves: --json.")


def print_cohorts(rows: list[dict[str, Any]], value: str, pres: Presentation) -> None:
    out = console()
    if not rows:
        out.print("No cohorts: no customer has bought yet.")
        return
    unit = "percent" if value in ("retention", "revenue_retention", "churn_rate") else pres.names.unit(value)

    def render(cell: float) -> str:
        return pres.format(cell, value, unit=unit, compact=True)

    periods = sorted({r["period"] for r in rows})
    for split in dict.fromkeys(r["split"] for r in rows):
        cells: dict[Any, dict[int, str]] = {}
        sizes: dict[Any, str] = {}
        for r in rows:
            if r["split"] == split:
                cell = r[value]
                cells.setdefault(r["cohort"], {})[r["period"]] = "" if cell is None else render(float(cell))
                sizes[r["cohort"]] = pres.format(r["cohort_customers"], "cohort_customers")
        widths = [max(len(str(p)), *(len(c.get(p, "")) for c in cells.values())) for p in periods]
        fixed = 6 + max(len(str(c)) for c in cells) + max(9, *(len(n) for n in sizes.values()))
        shown = 0
        while shown < len(periods) and fixed + sum(w + 3 for w in widths[: shown + 1]) <= out.width:
            shown += 1
        title = f"{pres.label(value)} by cohort and period" + (f" — {split}" if split is not None else "")
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
        table.add_column("cohort", no_wrap=True)
        table.add_column("customers", justify="right", no_wrap=True)
        for period, width in zip(periods[:shown], widths, strict=False):
            table.add_column(str(period), justify="right", min_width=width, no_wrap=True)
        for cohort, by_period in cells.items():
            table.add_row(str(cohort), sizes[cohort], *(by_period.get(p, "") for p in periods[:shown]))
        out.print(table)
        if shown < len(periods):
            out.print(f"[dim]{len(periods) - shown} more periods: widen the terminal, or use --json[/]")


def _numbers_table(title: str, headers: list[str], rows: list[list[str]]) -> Table:
    """A table whose first column (names) may wrap and whose number columns never do."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for i, header in enumerate(headers):
        if i == 0:
            table.add_column(header, ratio=1)
        else:
            widest = max([len(header), *(len(r[i]) for r in rows)])
            table.add_column(header, justify="right", min_width=widest, no_wrap=True)
    for cells in rows:
        table.add_row(*cells)
    return table


def _fmt(value: Any, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def print_reviews(report: dict[str, Any]) -> None:
    out = console()
    a = report["agreement"]
    out.print(
        f"{a['reviews']:,} reviews with text and stars: the text's sentiment matches the stars in "
        f"{_fmt(a['agreement'], '{:.0%}')} (4–5 stars read positive: {_fmt(a['high_rated_positive'], '{:.0%}')}; "
        f"1–2 stars read negative: {_fmt(a['low_rated_negative'], '{:.0%}')}; "
        f"Spearman ρ {_fmt(a['spearman'], '{:.2f}')})."
    )
    key = {"product": "product_id", "category": "category", "month": "month"}[report["by"]]
    rows = [
        [
            str(g[key]),
            f"{g['reviews']:,}",
            _fmt(g["mean_rating"], "{:.2f}"),
            _fmt(g["mean_compound"], "{:+.2f}"),
            _fmt(g["positive_share"], "{:.0%}"),
            _fmt(g["negative_share"], "{:.0%}"),
        ]
        for g in report["groups"]
    ]
    headers = [report["by"], "reviews", "stars", "sentiment", "positive", "negative"]
    out.print(_numbers_table(f"Sentiment by {report['by']}", headers, rows))
    worst = sorted(report["most_negative"], key=lambda r: r["compound"])[:10]
    if worst:
        table = Table(title="Most negative recent reviews", title_justify="left", box=box.SIMPLE_HEAD)
        for name in ("product", "date", "stars", "sentiment", "text"):
            table.add_column(name, justify="right" if name in ("stars", "sentiment") else "left")
        for r in worst:
            table.add_row(
                r["product_id"],
                str(r["review_date"]),
                str(r["rating"]),
                f"{r['compound']:+.2f}",
                r["review_text"],
            )
        out.print(table)


def print_affinity(report: dict[str, Any], pres: Presentation) -> None:
    out = console()
    items = report["items"]
    if report["product"]:
        title = f"Bought {report.get('product_name') or report['product']}, also bought"
        rows = [
            [
                _named(r.get("also_bought_name"), r["also_bought"]),
                pres.format(r["orders"], "orders_together"),
                pres.format(r["confidence"], "confidence"),
                pres.format(r["lift"], "lift"),
                pres.format(r["shrunk_lift"], "lift"),
            ]
            for r in items
        ]
        headers = ["product", "orders", f"P(· | {report['product']})", "lift", "shrunk lift"]
    else:
        title = "Products bought together (strongest first: shrunk lift)"
        rows = [
            [
                f"{_named(r.get('product_a_name'), r['product_a'])} + {_named(r.get('product_b_name'), r['product_b'])}",
                pres.format(r["orders"], "orders_together"),
                pres.format(r["confidence_a_to_b"], "confidence"),
                pres.format(r["lift"], "lift"),
                pres.format(r["shrunk_lift"], "lift"),
            ]
            for r in items
        ]
        headers = ["pair", "orders", "P(b | a)", "lift", "shrunk lift"]
    if not rows:
        out.print(
            f"No pair was bought together in {report['min_orders']} orders or more; try a lower --min-orders."
        )
    else:
        out.print(_numbers_table(title, headers, rows))
    cells = sorted(report["categories"], key=lambda c: -c["lift"])[:10]
    if cells:
        rows = [
            [
                f"{c['category_from']} → {c['category_to']}",
                pres.format(c["confidence"], "confidence"),
                pres.format(c["lift"], "lift"),
            ]
            for c in cells
        ]
        out.print(
            _numbers_table(
                "Category cross-sell (strongest lift)", ["from → to", "P(to | from)", "lift"], rows
            )
        )


def _named(name: str | None, product_id: str) -> str:
    """A product as people know it, with its id: 'Garden hose 20 m (P00375)'."""
    return f"{name} ({product_id})" if name and name != product_id else product_id
