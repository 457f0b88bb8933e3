"""The metadata store: users, roles, restrictions, tokens, sessions, dashboards and the audit log,
in SQLite (default, ``.bizsight/app.db``) or PostgreSQL, through SQLAlchemy 2 with Alembic
migrations shipped in the package and applied when the store is opened."""
