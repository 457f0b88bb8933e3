"""``bizsight.yml``: where reports and alerts go (``channels``) and how reports look (``reports``).

A channel is a name → its kind (``email``, ``webhook``, ``slack``, ``teams`` or a plugin's) and
that kind's settings, which :func:`bizsight.delivery.build_channel` checks when the channel is
built (docs/delivery.md lists them). Passwords, signing secrets and chat URLs are written as
``env:NAME`` so the file never holds them.

>>> ChannelSettings.model_validate({"kind": "email", "host": "smtp.example.com"}).options()
{'host': 'smtp.example.com'}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChannelSettings(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str = Field(description="email, webhook, slack, teams, or a plugin's kind")

    def options(self) -> dict[str, Any]:
        """The kind's own settings (everything but ``kind``)."""
        return dict(self.model_extra or {})


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    brand_colour: str = Field(default="#1f4e79", description="#rrggbb: headings, charts and rules")
    logo: Path | None = Field(default=None, description="a PNG, JPEG or SVG file (relative to the project)")
    public_url: str | None = Field(
        default=None,
        description="where people open bizsight, e.g. https://bi.example.com (links in messages)",
    )


class DeliverySettings(BaseModel):
    """How hard a report or an alert tries to get through (exponential backoff, full jitter)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(default=5, ge=1, le=20, description="tries per message and recipient")
    base_seconds: float = Field(
        default=2.0, ge=0, description="the first wait's ceiling; doubles after each try"
    )
    cap_seconds: float = Field(default=300.0, ge=0, description="the longest wait between tries")


class PrivacySettings(BaseModel):
    """Personal data (docs/privacy.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retention_months: int | None = Field(
        default=None,
        ge=1,
        description="erase the personal data of customers inactive for this many months, at each refresh",
    )
