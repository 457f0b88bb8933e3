"""Customer intelligence: `bizsight analyze clv|churn`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bizsight.cli.remote import through_owner
from bizsight.cli.shell import JsonOpt, ProjectOpt, app, print_json, run

if TYPE_CHECKING:
    from bizsight.services.presentation import Presentation

analyze_app = typer.Typer(help="Customer intelligence: lifetime value and churn risk.", no_args_is_help=True)
app.add_typer(analyze_app, name="analyze")


class TimeUnit(StrEnum):
    day = "day"
    week = "week"
    month = "month"


@analyze_app.command("clv")
def analyze_clv(
    ctx: typer.Context,
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
    through_owner(ctx, project)
    from bizsight.cli.analyze_views import print_clv
    from bizsight.services.analyze import analyze_clv_for
    from bizsight.services.project import Project
    from bizsight.services.query import parse_date
    from bizsight.terminal import RichReporter

    with RichReporter("analyzing lifetime value", quiet=as_json) as reporter:
        report = run(
            lambda: analyze_clv_for(
                Project(project),
                calibration_end=parse_date(calibration_end, "--calibration-end"),
                holdout_end=parse_date(holdout_end, "--holdout-end"),
                time_unit=time_unit.value if time_unit else None,
                reporter=reporter,
            )
        )
    if as_json:
        print_json(report)
    else:
        print_clv(report, _presentation(project))


@analyze_app.command("churn")
def analyze_churn(
    ctx: typer.Context,
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
    through_owner(ctx, project)
    from bizsight.cli.analyze_views import print_churn
    from bizsight.services.analyze import analyze_churn_for
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter

    with RichReporter("analyzing churn", quiet=as_json) as reporter:
        report = run(
            lambda: analyze_churn_for(
                Project(project), churn_days=churn_days, save_model=save_model, reporter=reporter
            )
        )
    if as_json:
        print_json(report)
    else:
        print_churn(report, _presentation(project))


@analyze_app.command("segments")
def analyze_segments(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Score customers as of this day; default: the last order.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Also show how customers moved between segments since this day (YYYY-MM-DD)."),
    ] = None,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """RFM segments: size, revenue share and average predicted CLV per segment.

    Segments follow the rules under customers.rfm in bizsight.yml (default: Champions, Loyal,
    ... Lost). With --since, a migration matrix: rows are the segments customers had then,
    columns the segments they have now ("new" = had not bought yet).

      bizsight analyze segments --since 2026-03-31
    """
    through_owner(ctx, project)
    from bizsight.cli.analyze_views import print_segments
    from bizsight.services.analyze import segments_for
    from bizsight.services.project import Project
    from bizsight.services.query import parse_date

    report = run(
        lambda: segments_for(
            Project(project), as_of=parse_date(as_of, "--as-of"), since=parse_date(since, "--since")
        )
    )
    if as_json:
        print_json(report)
    else:
        print_segments(report, _presentation(project))


class CohortGrain(StrEnum):
    month = "month"
    week = "week"


class CohortAnchor(StrEnum):
    first_purchase = "first_purchase"
    signup = "signup"


class CohortValue(StrEnum):
    retention = "retention"
    revenue_retention = "revenue_retention"
    cumulative_revenue_per_customer = "cumulative_revenue_per_customer"
    churn_rate = "churn_rate"
    active_customers = "active_customers"


@analyze_app.command("cohorts")
def analyze_cohorts(
    ctx: typer.Context,
    grain: Annotated[
        CohortGrain | None,
        typer.Option(help="Cohort and period length.", show_default="customers.cohorts.grain: month"),
    ] = None,
    anchor: Annotated[
        CohortAnchor | None,
        typer.Option(
            help="What puts a customer in a cohort.", show_default="customers.cohorts.anchor: first_purchase"
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Split by a customer attribute: region, acquisition_channel, ..."),
    ] = None,
    periods: Annotated[int | None, typer.Option(help="Show at most this many periods after the first.")] = 12,
    value: Annotated[CohortValue, typer.Option(help="The number in each cell.")] = CohortValue.retention,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Acquisition cohorts × periods since: retention, revenue retention, cumulative revenue
    per customer or churn rate.

    --json prints every cell with all measures (long format: split, cohort, period, ...).

      bizsight analyze cohorts --value revenue_retention --periods 6

      bizsight analyze cohorts --by acquisition_channel --grain week
    """
    through_owner(ctx, project)
    from bizsight.cli.analyze_views import print_cohorts
    from bizsight.services.analyze import cohorts_for
    from bizsight.services.project import Project

    rows = run(
        lambda: cohorts_for(
            Project(project),
            grain=grain.value if grain else None,
            anchor=anchor.value if anchor else None,
            split_by=by,
            max_periods=periods,
        )
    )
    if as_json:
        print_json(rows)
    else:
        print_cohorts(rows, value.value, _presentation(project))


class ReviewGrouping(StrEnum):
    product = "product"
    category = "category"
    month = "month"


@analyze_app.command("reviews")
def analyze_reviews(
    ctx: typer.Context,
    by: Annotated[
        ReviewGrouping, typer.Option("--by", help="Group sentiment by this.")
    ] = ReviewGrouping.category,
    top: Annotated[int, typer.Option(help="Most negative recent reviews to show per product.")] = 1,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Review sentiment (VADER): agreement with the star ratings, sentiment by product,
    category or month, and the most negative recent reviews per product.

    Scores come from marts.review_sentiment, written by `bizsight refresh`. Compound scores run
    from −1 (very negative) to +1 (very positive).

      bizsight analyze reviews --by month
    """
    through_owner(ctx, project)
    from bizsight.cli.analyze_views import print_reviews
    from bizsight.services.analyze import reviews_for
    from bizsight.services.project import Project

    report = run(lambda: reviews_for(Project(project), by=by.value, top=top))
    if as_json:
        print_json(report)
    else:
        print_reviews(report)


@analyze_app.command("affinity")
def analyze_affinity(
    ctx: typer.Context,
    product: Annotated[
        str | None, typer.Option(help="A product id: what else do its buyers put in the same order?")
    ] = None,
    top: Annotated[int, typer.Option(help="How many pairs or products to show.")] = 10,
    min_orders: Annotated[
        int,
        typer.Option(
            help="Leave out pairs seen together in fewer orders (rare pairs have huge, meaningless lifts)."
        ),
    ] = 10,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Products bought together: support, confidence and lift, and the category cross-sell matrix.

    Without --product, the pairs with the highest lift (how many times more often they share an
    order than chance would have it); with --product, "bought X, also bought".

      bizsight analyze affinity --product P00103 --top 5
    """
    through_owner(ctx, project)
    from bizsight.cli.analyze_views import print_affinity
    from bizsight.services.analyze import affinity_for
    from bizsight.services.project import Project

    report = run(lambda: affinity_for(Project(project), product=product, top=top, min_orders=min_orders))
    if as_json:
        print_json(report)
    else:
        print_affinity(report, _presentation(project))


def _presentation(project: Path) -> Presentation:
    from bizsight.services.presentation import presentation
    from bizsight.services.project import Project

    return presentation(Project(project))
