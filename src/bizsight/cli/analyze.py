"""Customer intelligence: `bizsight analyze clv|churn`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bizsight.cli.shell import JsonOpt, ProjectOpt, app, print_json, run

analyze_app = typer.Typer(help="Customer intelligence: lifetime value and churn risk.", no_args_is_help=True)
app.add_typer(analyze_app, name="analyze")


class TimeUnit(StrEnum):
    day = "day"
    week = "week"
    month = "month"


@analyze_app.command("clv")
def analyze_clv(
    calibration_end: Annotated[
        str | None,
        typer.Option(help="Fit on purchases up to this day (YYYY-MM-DD); default: the last order."),
    ] = None,
    holdout_end: Annotated[
        str | None, typer.Option(help="Compare predictions with what happened up to this day.")
    ] = None,
    time_unit: Annotated[
        TimeUnit | None,
        typer.Option(
            help="Unit of recency and age in the models.", show_default="customers.clv.time_unit: week"
        ),
    ] = None,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Customer lifetime value: BG/NBD purchases and Gamma-Gamma spend, fitted by maximum likelihood.

    Prints the fitted parameters with standard errors, the log-likelihood and the number of
    customers; with --calibration-end before --holdout-end, also predicted against actual repeat
    purchases in the holdout, in total and by the number of repeat purchases before it.
    Purchases on the same day count as one.

      bizsight analyze clv --calibration-end 2025-09-30 --holdout-end 2026-09-30
    """
    from bizsight.services.analyze import analyze_clv_for
    from bizsight.services.project import Project
    from bizsight.services.query import parse_date
    from bizsight.terminal import print_clv

    report = run(
        lambda: analyze_clv_for(
            Project(project),
            calibration_end=parse_date(calibration_end, "--calibration-end"),
            holdout_end=parse_date(holdout_end, "--holdout-end"),
            time_unit=time_unit.value if time_unit else None,
        )
    )
    if as_json:
        print_json(report)
    else:
        print_clv(report)


@analyze_app.command("churn")
def analyze_churn(
    churn_days: Annotated[
        int | None,
        typer.Option(
            help="A customer has churned after this many days without a purchase; default: customers.churn.days in bizsight.yml, else from the data."
        ),
    ] = None,
    save_model: Annotated[
        bool, typer.Option(help="Keep the model in .bizsight/models/churn (versioned).")
    ] = False,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Churn risk: a gradient-boosting model trained on one cutoff and evaluated on a later one.

    Prints ROC-AUC, PR-AUC, precision, recall and F1 at the chosen threshold, the Brier score,
    the most important features, the risk bands and the retention target list (customers ranked
    by revenue at risk: churn probability × predicted lifetime value).
    """
    from bizsight.services.analyze import analyze_churn_for
    from bizsight.services.project import Project
    from bizsight.terminal import print_churn

    report = run(lambda: analyze_churn_for(Project(project), churn_days=churn_days, save_model=save_model))
    if as_json:
        print_json(report)
    else:
        print_churn(report)
