"""Who sees personal data: a ``pii`` grant on roles (admins have it) and on users.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pii", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pii", sa.Boolean(), nullable=False, server_default=sa.false()))
    roles = sa.table("roles", sa.column("name", sa.String), sa.column("pii", sa.Boolean))
    op.execute(roles.update().where(roles.c.name == "admin").values(pii=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("pii")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_column("pii")
