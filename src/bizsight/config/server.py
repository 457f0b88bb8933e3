"""The ``server:`` block of ``bizsight.yml``: the web app, its metadata store and its limits."""

from __future__ import annotations

import ipaddress
import os

from pydantic import BaseModel, ConfigDict, Field, field_validator

DATABASE_URL_ENV = "BIZSIGHT_DATABASE_URL"
ADMIN_PASSWORD_ENV = "BIZSIGHT_ADMIN_PASSWORD"


class ServerSettings(BaseModel):
    """``bizsight serve``: the web app, its metadata store and its limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=8000, ge=1, le=65535)
    database_url: str | None = Field(
        # May hold a password: keep it out of bizsight.yml by setting the environment variable.
        default_factory=lambda: os.environ.get(DATABASE_URL_ENV) or None,
        repr=False,
        description=f"metadata store, e.g. postgresql+psycopg://user@host/db (default: "
        f"${DATABASE_URL_ENV}, else SQLite at .bizsight/app.db)",
    )
    admin_password: str | None = Field(
        default_factory=lambda: os.environ.get(ADMIN_PASSWORD_ENV) or None,
        repr=False,
        exclude=True,
        description=f"the first admin's password (only from ${ADMIN_PASSWORD_ENV}; else one is generated)",
    )
    session_hours: float = Field(default=12, gt=0, description="a login lasts this long")
    secure_cookies: bool = Field(default=False, description="send the session cookie over HTTPS only")
    login_per_minute: int = Field(default=30, ge=1, description="login attempts per client address")
    login_lock_after: int = Field(default=5, ge=1, description="failed logins in a row that lock an account")
    login_lock_minutes: float = Field(default=15, gt=0, description="how long a locked account stays locked")
    login_spray_accounts: int = Field(
        default=10,
        ge=2,
        description="accounts one wrong password may fail on before it is refused everywhere",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is believed",
    )
    queries_per_minute: int = Field(default=240, ge=1, description="expensive calls per user")
    export_max_rows: int = Field(default=5_000_000, ge=1, description="rows an export may hold")
    max_upload_mb: float = Field(
        default=200, gt=0, description="largest upload (all files of one request together), in MB"
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {value!r} is not an IP address or network") from None
        return values
