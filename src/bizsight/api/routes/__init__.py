"""The API's routers, all under /api/v1 (system routes at the root).

Forecasts, anomalies and targets get their own router modules here once their services exist
(``routes/forecasts.py`` ...): add them to :data:`API_ROUTERS`, guard them with the matching
:mod:`bizsight.api.deps` alias and a permission in ``services.access.MATRIX``; the permission-
matrix test then covers them once they are listed in its table of calls.
"""

from bizsight.api.routes import (
    alerts,
    ask,
    auth,
    catalogue,
    customers,
    dashboards,
    data,
    exports,
    forecasts,
    insights,
    jobs,
    local,
    market,
    marketing,
    pipeline,
    privacy,
    report_render,
    reports,
    schedules,
    system,
    users,
)
from bizsight.api.routes import pages as page_data

API_ROUTERS = (
    auth.router,
    catalogue.router,
    ask.router,
    customers.router,
    data.router,
    exports.router,
    dashboards.router,
    users.router,
    page_data.router,
    forecasts.router,
    jobs.router,
    local.router,
    schedules.router,
    reports.router,
    privacy.router,
    report_render.router,
    alerts.router,
    market.router,
    marketing.router,
    pipeline.router,
    insights.router,
)
ROOT_ROUTERS = (system.router,)
