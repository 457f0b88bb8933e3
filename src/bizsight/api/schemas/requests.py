"""Request bodies of the API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from bizsight.app.models import Role
from bizsight.metrics.drill import MAX_PAGE_SIZE
from bizsight.metrics.query import Query

CellValue = str | int | float | dt.date | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DrillRequest(_Strict):
    """The rows behind one cell of ``query``'s result: the cell names the query's period (when it
    has a grain) and each of its dimensions."""

    query: Query
    metric: str = Field(max_length=200)
    cell: dict[str, CellValue] = Field(default_factory=dict, max_length=20)
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)


class AskRequest(_Strict):
    question: str = Field(min_length=1, max_length=500, description="in plain English")
    today: dt.date | None = Field(default=None, description="answer as if this were today's date")


class Login(_Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class NewUser(_Strict):
    username: str = Field(min_length=1, max_length=64)
    role: Role = Role.VIEWER
    password: str | None = Field(default=None, max_length=1024, description="omit to have one generated")


class UserChange(_Strict):
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, max_length=1024)
    pii: bool | None = Field(default=None, description="sees names and e-mails whatever the role")


class RolePii(_Strict):
    pii: bool = Field(description="every user of the role sees names and e-mails")


class Restrictions(_Strict):
    restrictions: dict[str, list[str]] = Field(
        default_factory=dict, max_length=20, description="dimension → values the user may see; {} lifts all"
    )


class NewToken(_Strict):
    name: str = Field(min_length=1, max_length=100)
    days: float | None = Field(default=None, gt=0, le=3650, description="expires after this many days")
