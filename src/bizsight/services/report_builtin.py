"""The built-in report templates, registered by importing their modules here."""

from bizsight.services import (  # noqa: F401  (importing a module registers its templates)
    report_customers,
    report_dashboard,
    report_executive,
    report_quality,
    report_sales,
)
