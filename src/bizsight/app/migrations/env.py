"""Alembic's entry point: migrations run on the connection that :mod:`bizsight.app.store` hands over."""

from alembic import context

from bizsight.app.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
