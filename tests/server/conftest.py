"""Fixtures of the served tests: the loopback receivers of tests/delivery."""

from tests.delivery.conftest import receiver, smtp_server  # noqa: F401
