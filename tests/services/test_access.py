"""Row-level security in one place: restrictions become metric filters; what cannot be filtered
is refused; the matrix is complete."""

from __future__ import annotations

import datetime as dt

import pytest

from bizsight.app.models import Role
from bizsight.errors import AccessDeniedError, ConfigError
from bizsight.metrics.definitions import builtin
from bizsight.metrics.query import Filter, Query
from bizsight.services.access import (
    MATRIX,
    Permission,
    Principal,
    authorize,
    customer_rows,
    restriction_filters,
    scoped_query,
)

CATALOGUE = builtin()
EU = Principal(1, "eu", Role.VIEWER, restriction_filters({"region": ["Europe"]}))
FREE = Principal(2, "free", Role.ADMIN)


def test_restrictions_are_added_to_the_users_own_filters() -> None:
    own = Filter(dimension="category", values=("Books",))
    scoped = scoped_query(EU, Query(metrics=("revenue",), filters=(own,)), CATALOGUE)
    assert scoped.filters == (own, Filter(dimension="region", op="in", values=("Europe",)))
    assert scoped_query(FREE, Query(metrics=("revenue",)), CATALOGUE).filters == ()


def test_metrics_whose_rows_lack_the_dimension_are_refused() -> None:
    with pytest.raises(AccessDeniedError, match="region"):
        scoped_query(EU, Query(metrics=("customer_acquisition_cost",)), CATALOGUE)  # marketing ÷ customers
    with pytest.raises(ConfigError, match="did you mean"):
        scoped_query(EU, Query(metrics=("revenu",)), CATALOGUE)


def test_customer_rows_filter_by_the_dimensions_sql_for_that_model() -> None:
    tree = customer_rows(EU, CATALOGUE, "order_lines", dt.date(2026, 1, 1))
    assert tree is not None
    sql = tree.sql("duckdb")
    assert "COALESCE(f.region, customer.region) IN ('Europe')" in sql
    assert customer_rows(FREE, CATALOGUE, "order_lines", dt.date(2026, 1, 1)) is None
    by_product = Principal(3, "p", Role.VIEWER, restriction_filters({"product": ["P1"]}))
    with pytest.raises(AccessDeniedError):
        customer_rows(by_product, CATALOGUE, "new_customers", dt.date(2026, 1, 1))


def test_matrix_covers_every_permission_and_admins_may_do_everything() -> None:
    assert set(MATRIX) == set(Permission)
    for permission in Permission:
        authorize(FREE, permission)
    with pytest.raises(AccessDeniedError):
        authorize(EU, Permission.DATA_STATUS)  # unfiltered views are closed to restricted users
    with pytest.raises(AccessDeniedError):
        authorize(Principal(4, "v", Role.VIEWER), Permission.DASHBOARDS_WRITE)
