"""The question parser piece by piece, with hand-written cases: periods resolved against a fixed
today, comparisons, grains, ranking, names and synonyms, members as filters, typos, declines."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizsight.metrics.definitions import builtin
from bizsight.metrics.query import Filter
from bizsight.metrics.question_periods import find_period
from bizsight.metrics.question_phrases import find_compare, find_grain, find_ranking
from bizsight.metrics.question_words import correction, osa, tokens, vocabulary
from bizsight.metrics.questions import Reading, read_question
from bizsight.presentation import date_span

TODAY = dt.date(2026, 8, 15)  # a Saturday in Q3 2026
D = dt.date
CAT = builtin()
MEMBERS = {
    "region": ["Europe", "North America", "Asia Pacific"],
    "category": ["Electronics", "Home & Kitchen", "Books"],
    "sales_channel": ["online", "mobile_app"],
    "channel": ["Email", "Referral"],
    "acquisition_channel": ["Email", "Referral"],
    "deal_source": ["Referral", "Inbound"],
    "customer_segment": ["Enterprise", "Consumer"],
}
VOCAB = vocabulary(CAT, MEMBERS)


def ask(question: str, today: dt.date = TODAY) -> Reading:
    return read_question(question, CAT, VOCAB, today)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("last 7 days", D(2026, 8, 9), D(2026, 8, 15)),
        ("the past 30 days", D(2026, 7, 17), D(2026, 8, 15)),
        ("last 2 weeks", D(2026, 8, 2), D(2026, 8, 15)),
        ("last three months", D(2026, 5, 16), D(2026, 8, 15)),
        ("last 12 months", D(2025, 8, 16), D(2026, 8, 15)),
        ("this month", D(2026, 8, 1), D(2026, 8, 31)),
        ("last month", D(2026, 7, 1), D(2026, 7, 31)),
        ("this quarter", D(2026, 7, 1), D(2026, 9, 30)),
        ("last quarter", D(2026, 4, 1), D(2026, 6, 30)),
        ("this year", D(2026, 1, 1), D(2026, 12, 31)),
        ("last year", D(2025, 1, 1), D(2025, 12, 31)),
        ("this week", D(2026, 8, 10), D(2026, 8, 16)),
        ("last week", D(2026, 8, 3), D(2026, 8, 9)),
        ("q3 2025", D(2025, 7, 1), D(2025, 9, 30)),
        ("2025 q1", D(2025, 1, 1), D(2025, 3, 31)),
        ("third quarter of 2024", D(2024, 7, 1), D(2024, 9, 30)),
        ("q4", D(2025, 10, 1), D(2025, 12, 31)),  # Q4 2026 has not begun
        ("q3", D(2026, 7, 1), D(2026, 9, 30)),
        ("march 2026", D(2026, 3, 1), D(2026, 3, 31)),
        ("in feb 2024", D(2024, 2, 1), D(2024, 2, 29)),
        ("in december", D(2025, 12, 1), D(2025, 12, 31)),
        ("2025", D(2025, 1, 1), D(2025, 12, 31)),
        ("first half of 2026", D(2026, 1, 1), D(2026, 6, 30)),
        ("second half of 2025", D(2025, 7, 1), D(2025, 12, 31)),
        ("h2", D(2026, 7, 1), D(2026, 12, 31)),
        ("year to date", D(2026, 1, 1), D(2026, 8, 15)),
        ("ytd", D(2026, 1, 1), D(2026, 8, 15)),
        ("quarter to date", D(2026, 7, 1), D(2026, 8, 15)),
        ("since january 2024", D(2024, 1, 1), D(2026, 8, 15)),
        ("since 2025", D(2025, 1, 1), D(2026, 8, 15)),
        ("between march 2025 and june 2025", D(2025, 3, 1), D(2025, 6, 30)),
        ("between 2025-01-15 and 2025-02-10", D(2025, 1, 15), D(2025, 2, 10)),
        ("from november to february 2026", D(2025, 11, 1), D(2026, 2, 28)),
        ("from q1 2025 to q2 2025", D(2025, 1, 1), D(2025, 6, 30)),
        ("on 2026-08-01", D(2026, 8, 1), D(2026, 8, 1)),
        ("yesterday", D(2026, 8, 14), D(2026, 8, 14)),
        ("for the past year", D(2025, 8, 16), D(2026, 8, 15)),
    ],
)
def test_periods_resolve_against_today(text: str, start: dt.date, end: dt.date) -> None:
    period, rest = find_period(f"revenue {text} by region", TODAY)
    assert period is not None, text
    assert (period.start, period.end) == (start, end)
    assert rest == "revenue by region"


def test_a_fiscal_year_moves_quarters_and_years() -> None:
    period, _ = find_period("revenue this year", TODAY, fiscal_year_start=4)
    assert period is not None and (period.start, period.end) == (D(2026, 4, 1), D(2027, 3, 31))


def test_text_without_a_period_is_left_as_it_is() -> None:
    assert find_period("revenue by region", TODAY) == (None, "revenue by region")
    assert find_period("top 5 products", TODAY)[0] is None  # a number is not a year


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("revenue this quarter compared with last", ("previous", None)),
        ("orders last month vs the month before", ("previous", "month")),
        ("revenue vs last year", ("previous", "year")),
        ("revenue year over year", ("year", None)),
        ("revenue last month vs same month last year", ("year", None)),
        ("aov versus the previous period", ("previous", None)),
        ("revenue by region", None),
        ("europe vs north america", None),  # members compared: not a period comparison
    ],
)
def test_comparisons(text: str, found: tuple[str, str | None] | None) -> None:
    assert find_compare(text)[0] == found


@pytest.mark.parametrize(
    ("text", "grain"),
    [
        ("revenue per week", "week"),
        ("monthly revenue", "month"),
        ("orders by quarter", "quarter"),
        ("daily orders", "day"),
        ("annual revenue", "year"),
        ("aov month over month", "month"),
        ("top 5 months by revenue", "month"),
        ("revenue trend", "month"),
        ("revenue by region", None),
    ],
)
def test_grains(text: str, grain: str | None) -> None:
    assert find_grain(text)[0] == grain


@pytest.mark.parametrize(
    ("text", "descending", "limit"),
    [
        ("top 5 products by units", True, 5),
        ("top products", True, 10),
        ("worst three products", False, 3),
        ("which region has the highest revenue", True, None),
        ("lowest margin", False, None),
    ],
)
def test_ranking(text: str, descending: bool, limit: int | None) -> None:
    ranking, _ = find_ranking(text)
    assert ranking is not None and (ranking.descending, ranking.limit) == (descending, limit)


def test_tokens_and_typo_distance() -> None:
    assert tokens("Home & Kitchen's AOV, LTV:CAC") == ["home", "and", "kitchens", "aov", "ltv", "cac"]
    assert osa("reigon", "region") == 1  # a swap of neighbours is one edit
    assert osa("revenue", "revenue") == 0 and osa("kitten", "sitting") == 3


def test_typos_are_corrected_only_when_clear() -> None:
    known = frozenset(VOCAB.words)
    assert correction("revnue", known) == "revenue"
    assert correction("reigon", known) == "region"
    assert correction("eurpoe", known) == "europe"
    assert correction("feeling", known) is None  # "selling" is one edit away, but not its first letter
    assert correction("rev", known) is None  # too short to guess


@pytest.mark.parametrize(
    ("question", "metrics", "dimensions"),
    [
        ("sales by region", ["revenue"], ["region"]),
        ("AOV by customer segment", ["average_order_value"], ["customer_segment"]),
        ("CAC per channel", ["customer_acquisition_cost"], ["channel"]),
        ("how many customers do we have", ["active_customers"], []),
        ("new customers by acquisition channel", ["new_customers"], ["acquisition_channel"]),
        ("units sold and revenue by category", ["units", "revenue"], ["category"]),
        ("win rate by lead source", ["win_rate"], ["deal_source"]),  # not the stage "Lead"
    ],
)
def test_names_labels_and_synonyms(question: str, metrics: list[str], dimensions: list[str]) -> None:
    query = ask(question).query
    assert query is not None
    assert (list(query.metrics), list(query.dimensions)) == (metrics, dimensions)


def test_members_become_filters() -> None:
    query = ask("Electronics revenue from the mobile app in Europe").query
    assert query is not None and query.metrics == ("revenue",) and not query.dimensions
    assert set(query.filters) == {
        Filter(dimension="category", values=("Electronics",)),
        Filter(dimension="sales_channel", values=("mobile_app",)),
        Filter(dimension="region", values=("Europe",)),
    }


def test_a_member_of_two_dimensions_means_the_one_more_models_have() -> None:
    query = ask("new customers from referral").query  # a marketing channel and a deal source
    assert query is not None and query.filters == (Filter(dimension="channel", values=("Referral",)),)


def test_members_compared_are_filtered_and_split() -> None:
    query = ask("revenue Europe vs North America").query
    assert query is not None and query.dimensions == ("region",)
    assert query.filters == (Filter(dimension="region", op="in", values=("Europe", "North America")),)
    query = ask("Electronics and Books orders").query  # "and": both, added up
    assert query is not None and not query.dimensions and query.filters[0].op == "in"


def test_excluding_a_member() -> None:
    query = ask("revenue excluding Books").query
    assert query is not None and query.filters == (Filter(dimension="category", op="!=", values=("Books",)),)


def test_a_dimension_word_beside_its_member_is_not_a_grouping() -> None:
    query = ask("orders in the online channel").query
    assert query is not None and not query.dimensions
    query = ask("revenue from enterprise customers").query  # "customers" describes the member
    assert query is not None and query.metrics == ("revenue",)


def test_ranking_orders_by_the_metric_and_limits() -> None:
    query = ask("top 5 products by units last month").query
    assert query is not None
    assert (query.dimensions, query.order_by, query.limit) == (("product",), ("-units",), 5)
    assert (query.start, query.end) == (D(2026, 7, 1), D(2026, 7, 31))
    query = ask("highest revenue").query  # nothing to rank: one number
    assert query is not None and not query.order_by


def test_period_comparisons() -> None:
    query = ask("revenue this quarter compared with last").query
    assert query is not None and query.compare == "previous_period"
    assert (query.start, query.end) == (D(2026, 7, 1), D(2026, 9, 30))
    query = ask("orders this month vs last year").query
    assert query is not None and query.compare == "previous_year"
    query = ask("revenue vs last month").query  # no period said: this month against the last
    assert query is not None and (query.start, query.compare) == (D(2026, 8, 1), "previous_period")
    query = ask("YoY revenue growth").query  # the growth metric measured year on year
    assert query is not None and (query.metrics, query.compare) == (("revenue_growth_yoy",), None)


def test_typos_read_and_the_reading_says_so() -> None:
    reading = ask("revnue by reigon")
    assert reading.query is not None and reading.query.dimensions == ("region",)
    assert reading.confidence < 0.9 and reading.suggestions == ("revenue by region",)
    assert ask("revenue by region").confidence == 1.0


def test_interpretation_names_labels_and_dates() -> None:
    reading = ask("revenue by region last quarter")
    assert reading.interpretation == "I read this as: revenue, by region, 1 Apr – 30 Jun 2026."
    reading = ask("top 3 categories by AOV in Europe since 2025 vs last year")
    assert reading.interpretation == (
        "I read this as: average order value, by product category, where region is Europe, "
        "top 3 by average order value, 1 Jan 2025 – 15 Aug 2026, compared with a year earlier."
    )
    assert date_span(D(2026, 1, 1), D(2026, 1, 1)) == "1 Jan 2026"


@pytest.mark.parametrize(
    "question",
    [
        "what's the weather tomorrow",  # no metric, and the future
        "forecast revenue next quarter",  # a forecast, not a query
        "why did revenue drop in March",  # an explanation
        "revenue by employee",  # a dimension the catalogue lacks
        "revenue in Narnia",  # a member the data lacks
        "profit per employee",
        "DROP TABLE core.fact_order_line",
        "revenue; delete from orders",
        "marketing spend by product category",  # spend has no category
        "which employees sold the most",  # an unknown word is never ignored
        "revenue between june 2025 and march 2025",  # ends before it starts
        "revenue since 2030",
        "revenue on 2026-02-30",
        "top 0 products by revenue",
        "",
    ],
)
def test_questions_that_cannot_be_mapped_are_declined(question: str) -> None:
    reading = ask(question)
    assert reading.query is None and reading.confidence == 0
    assert reading.interpretation.startswith("I can't answer that")
    assert reading.suggestions  # the closest questions that can be answered


def test_a_decline_suggests_questions_about_the_metric_it_named() -> None:
    reading = ask("marketing spend by product category")
    assert reading.suggestions[0] == "marketing spend by month this year"
    for suggestion in reading.suggestions:  # and each of them is answered
        assert ask(suggestion).query is not None, suggestion


WORDS = sorted(
    {w for phrase in VOCAB.phrases for w in phrase}
    | {
        "last",
        "top",
        "vs",
        "by",
        "q3",
        "2025",
        "since",
        "between",
        "and",
        "march",
        "june",
        "0",
        "2030",
        "2026-02-30",
        ";",
        "'",
        "-",
    }
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=12))
def test_any_text_is_read_or_declined_never_an_error(words: list[str]) -> None:
    reading = ask(" ".join(words))
    if reading.query is None:
        assert reading.interpretation.startswith("I can't answer that") and reading.suggestions
    else:
        assert reading.interpretation.startswith("I read this as: ")
        assert set(reading.query.metrics) <= set(CAT.metrics)
        assert set(reading.query.dimensions) <= set(CAT.dimensions)
