"""The ``bizsight`` command line: a thin shell over the services.

Each command parses its arguments, calls one service function and renders the result. Errors a
user can cause arrive as :class:`~bizsight.errors.BizsightError` and leave as one line on stderr
with exit code 2; never as a traceback. Commands live in one module per area; each registers
itself on :data:`bizsight.cli.shell.app`.
"""

from bizsight.cli import (
    alerts,
    analyze,
    backup,
    data,
    explore,
    jobs,
    privacy,
    report,
    report_admin,
    schedule,
    serve,
    trends,
    users,
)
from bizsight.cli import forecast as forecasting
from bizsight.cli.shell import app

__all__ = ["app", "main"]
# importing a module registers its commands
_COMMAND_MODULES = (
    data,
    explore,
    analyze,
    trends,
    forecasting,
    jobs,
    backup,
    schedule,
    report,
    report_admin,
    serve,
    users,
    privacy,
    alerts,
)


def main() -> None:
    app()
