"""The canonical data model: the entities bizsight loads, their columns, keys and rules.

Everything downstream — staging, validation, raw/quarantine/core tables — is derived from these
definitions, so a column is described once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's text is cleaned and typed."""

    ID = "id"  # trimmed text, case kept
    TEXT = "text"  # trimmed text
    CATEGORY = "category"  # trimmed; spelling unified to the most frequent one ignoring case
    ENUM = "enum"  # trimmed, lower-cased, must be one of ``allowed``
    CODE = "code"  # trimmed, upper-cased (currency codes)
    INTEGER = "integer"
    MONEY = "money"  # DECIMAL(18, 4) as read; amounts derived from it are rounded to cents
    DATE = "date"
    TIMESTAMP = "timestamp"


SQL_TYPES = {
    Kind.ID: "VARCHAR",
    Kind.TEXT: "VARCHAR",
    Kind.CATEGORY: "VARCHAR",
    Kind.ENUM: "VARCHAR",
    Kind.CODE: "VARCHAR",
    Kind.INTEGER: "BIGINT",
    Kind.MONEY: "DECIMAL(18, 4)",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMP",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    allowed: tuple[str, ...] = ()  # for ENUM
    default: str | None = None  # for ENUM: the value of an empty cell
    personal: str | None = None  # personal data: "name", "email" (masked without the pii grant), "text"

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]

    @property
    def expected(self) -> str:
        """What a valid value looks like, for quarantine reasons."""
        return {
            Kind.INTEGER: "a whole number",
            Kind.MONEY: "a number such as 1234.50",
            Kind.DATE: "a date such as 2025-03-31",
            Kind.TIMESTAMP: "a date and time such as 2025-03-31 14:05:00",
            Kind.ENUM: "one of " + ", ".join(self.allowed),
        }.get(self.kind, "a value")


@dataclass(frozen=True)
class Check:
    """A row rule over typed columns. ``failing`` is SQL (ours, never user text) that is TRUE for
    rows that break the rule."""

    rule: str
    field: str
    failing: str
    expected: str


@dataclass(frozen=True)
class Reference:
    """``field`` must name a row of ``entity``; otherwise the row is quarantined under ``rule``."""

    field: str
    entity: str
    rule: str


@dataclass(frozen=True)
class Entity:
    name: str
    file_names: tuple[str, ...]  # default file stems that identify it, the first is canonical
    core_table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    checks: tuple[Check, ...] = ()
    references: tuple[Reference, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _non_negative(field: str) -> Check:
    return Check("out_of_range", field, f"{field} < 0", "a value of zero or more")


CUSTOMERS = Entity(
    name="customers",
    file_names=("customer_database", "customers"),
    core_table="dim_customer",
    columns=(
        Column("customer_id", Kind.ID, required=True),
        Column("customer_name", Kind.TEXT, personal="name"),
        Column("email", Kind.TEXT, personal="email"),
        Column("signup_date", Kind.DATE),
        Column("customer_segment", Kind.CATEGORY),
        Column("region", Kind.CATEGORY),
        Column("country", Kind.CATEGORY),
        Column("acquisition_channel", Kind.CATEGORY),
    ),
    key=("customer_id",),
)

PRODUCTS = Entity(
    name="products",
    file_names=("product_catalog", "products"),
    core_table="dim_product",
    columns=(
        Column("product_id", Kind.ID, required=True),
        Column("product_name", Kind.TEXT),
        Column("category", Kind.CATEGORY),
        Column("price", Kind.MONEY),
        Column("unit_cost", Kind.MONEY),
        Column("stock_level", Kind.INTEGER),
    ),
    key=("product_id",),
    checks=(_non_negative("price"), _non_negative("unit_cost")),
)

ORDER_LINES = Entity(
    name="order_lines",
    file_names=("sales_transactions", "order_lines", "orders", "transactions"),
    core_table="fact_order_line",
    columns=(
        Column("order_id", Kind.ID, required=True),
        Column("customer_id", Kind.ID, required=True),
        Column("product_id", Kind.ID, required=True),
        Column("order_date", Kind.TIMESTAMP, required=True),
        Column("quantity", Kind.INTEGER, required=True),
        Column("unit_price", Kind.MONEY, required=True),
        Column("total_amount", Kind.MONEY),
        Column("discount", Kind.MONEY),
        Column("region", Kind.CATEGORY),
        Column("category", Kind.CATEGORY),
        Column("channel", Kind.CATEGORY),
        Column("status", Kind.ENUM, allowed=("completed", "refunded", "cancelled"), default="completed"),
        Column("currency", Kind.CODE),
        # Not in the default export; presets such as UCI fill them, and placeholder dimension
        # rows take their attributes from them.
        Column("product_name", Kind.TEXT),
        Column("country", Kind.CATEGORY),
    ),
    key=("order_id", "product_id"),
    checks=(
        Check(
            "negative_quantity",
            "quantity",
            "quantity < 0 AND status <> 'refunded'",
            "a positive quantity (negative only when status is refunded)",
        ),
        _non_negative("unit_price"),
        _non_negative("discount"),
    ),
    references=(
        Reference("customer_id", "customers", "unknown_customer"),
        Reference("product_id", "products", "unknown_product"),
    ),
)

REVIEWS = Entity(
    name="reviews",
    file_names=("customer_reviews", "reviews"),
    core_table="fact_review",
    columns=(
        Column("review_id", Kind.ID, required=True),
        Column("customer_id", Kind.ID, required=True),
        Column("product_id", Kind.ID, required=True),
        Column("rating", Kind.INTEGER, required=True),
        Column("review_date", Kind.DATE),
        Column("review_text", Kind.TEXT, personal="text"),  # erased with its author; not masked
    ),
    key=("review_id",),
    checks=(Check("out_of_range", "rating", "rating NOT BETWEEN 1 AND 5", "a rating from 1 to 5"),),
    references=(
        Reference("customer_id", "customers", "unknown_customer"),
        Reference("product_id", "products", "unknown_product"),
    ),
)

MARKETING_SPEND = Entity(
    name="marketing_spend",
    file_names=("marketing_spend", "marketing"),
    core_table="fact_marketing_spend",
    columns=(
        Column("date", Kind.DATE, required=True),
        Column("channel", Kind.CATEGORY, required=True),
        Column("campaign", Kind.TEXT),
        Column("spend", Kind.MONEY, required=True),
        Column("impressions", Kind.INTEGER),
        Column("clicks", Kind.INTEGER),
        Column("signups", Kind.INTEGER),
    ),
    key=("date", "channel", "campaign"),
    checks=(
        _non_negative("spend"),
        _non_negative("impressions"),
        _non_negative("clicks"),
        _non_negative("signups"),
    ),
)

DEALS = Entity(
    name="deals",
    file_names=("sales_pipeline", "deals", "pipeline"),
    core_table="fact_deal",
    columns=(
        Column("deal_id", Kind.ID, required=True),
        Column("customer_id", Kind.ID),
        Column("owner", Kind.TEXT),
        Column("stage", Kind.CATEGORY, required=True),
        Column("amount", Kind.MONEY, required=True),
        Column("created_date", Kind.DATE, required=True),
        Column("expected_close_date", Kind.DATE),
        Column("closed_date", Kind.DATE),
        Column("status", Kind.ENUM, allowed=("open", "won", "lost"), default="open"),
        Column("source", Kind.CATEGORY),
    ),
    key=("deal_id",),
    checks=(_non_negative("amount"),),
    references=(Reference("customer_id", "customers", "unknown_customer"),),
)

TARGETS = Entity(
    name="targets",
    file_names=("targets",),
    core_table="fact_target",
    columns=(
        Column("metric", Kind.ID, required=True),
        Column("period_start", Kind.DATE, required=True),
        Column("period_end", Kind.DATE, required=True),
        Column("target_value", Kind.MONEY, required=True),
        Column("region", Kind.CATEGORY),
        Column("category", Kind.CATEGORY),
        Column("channel", Kind.CATEGORY),
        Column("customer_segment", Kind.CATEGORY),
    ),
    key=(
        "metric",
        "period_start",
        "period_end",
        "region",
        "category",
        "channel",
        "customer_segment",
    ),
    checks=(
        Check(
            "out_of_range",
            "period_end",
            "period_end < period_start",
            "a period end on or after the period start",
        ),
    ),
)

MARKET = Entity(
    name="market",
    file_names=("market_data", "market"),
    core_table="fact_market",
    columns=(
        Column("period", Kind.DATE, required=True),
        Column("region", Kind.CATEGORY, required=True),
        Column("market_size", Kind.MONEY),
        Column("competitor", Kind.TEXT),
        Column("competitor_revenue", Kind.MONEY),
    ),
    key=("period", "region", "competitor"),
    checks=(_non_negative("market_size"), _non_negative("competitor_revenue")),
)

# In load order: dimensions before the facts that reference them.
ENTITIES: tuple[Entity, ...] = (
    CUSTOMERS,
    PRODUCTS,
    ORDER_LINES,
    REVIEWS,
    MARKETING_SPEND,
    DEALS,
    TARGETS,
    MARKET,
)
BY_NAME = {entity.name: entity for entity in ENTITIES}
