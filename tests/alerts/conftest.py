"""The alert tests share the delivery tests' receivers (a webhook receiver and aiosmtpd on
loopback, started by the test)."""

from tests.delivery.conftest import no_sleep, receiver, smtp_server  # noqa: F401
