"""Secrets of channels (SMTP passwords, webhook keys, chat webhook URLs), given as ``env:NAME``
or as the value itself, read only when a message is sent and never shown."""

from __future__ import annotations

import os
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from bizsight.errors import ConfigError

ENV_PREFIX = "env:"


class Secret:
    """A secret value or a reference to an environment variable holding it.

    ``repr`` and ``str`` show the reference (``env:NAME``) or ``***``, never the value, so a
    channel can be logged and printed safely.

    >>> s = Secret("hunter2")
    >>> s, str(s)
    (Secret('***'), '***')
    >>> Secret("env:SMTP_PASSWORD")
    Secret('env:SMTP_PASSWORD')
    >>> Secret("env:BIZSIGHT_DOCTEST_UNSET").reveal()
    Traceback (most recent call last):
    ...
    bizsight.errors.ConfigError: the environment variable BIZSIGHT_DOCTEST_UNSET is not set (a channel's secret refers to it)
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value or value == ENV_PREFIX:
            raise ConfigError("a secret is empty; give the value or env:NAME")
        self._value = value

    @property
    def env_name(self) -> str | None:
        """The environment variable the secret is read from, or None for a literal."""
        return self._value[len(ENV_PREFIX) :] if self._value.startswith(ENV_PREFIX) else None

    def reveal(self) -> str:
        """The value, read from the environment now when the secret is a reference."""
        name = self.env_name
        if name is None:
            return self._value
        value = os.environ.get(name)
        if not value:
            raise ConfigError(f"the environment variable {name} is not set (a channel's secret refers to it)")
        return value

    def __str__(self) -> str:
        name = self.env_name
        return f"{ENV_PREFIX}{name}" if name is not None else "***"

    def __repr__(self) -> str:
        return f"Secret({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # in settings a secret is written as a string; it is dumped as its reference or "***"
        return core_schema.no_info_plain_validator_function(
            _validate,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
            json_schema_input_schema=core_schema.str_schema(),
        )


def _validate(value: object) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError("a secret is a non-empty string: the value or env:NAME")
    return Secret(value)
