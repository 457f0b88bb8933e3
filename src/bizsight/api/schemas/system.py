"""The health answer (outside /api/v1)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bizsight.api.schemas.common import Answer


class Health(Answer):
    status: Literal["ok"]
    data_version: int | None = Field(description="changes with every load")
    store_schema: str | None = Field(description="the metadata store's migration revision")
