"""The engine (ENGINE "prm.postgres"): django-tenants' DatabaseWrapper whose cursors, inside
prm.postgres.prepared_statements, send their values apart from the statement (psycopg's server-side binding) and
so may be prepared; everywhere else they are Django's default cursors, which write the values into the statement
(client-side binding) and are never prepared. See prm.postgres."""

from __future__ import annotations

from django.db.backends.postgresql.base import ServerBindingCursor
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from psycopg import ClientCursor

from prm.postgres import may_prepare

# A statement with more values than this is written out client-side and never prepared: a bulk insert or a long
# IN list gains nothing from a kept plan, and PostgreSQL's protocol takes at most 65,535 values in one statement.
MOST_BOUND_VALUES = 1000


class KeyedCursor(ServerBindingCursor):
    """psycopg's cursor with its values sent apart, prepared after KYOSO_DB_PREPARE_THRESHOLD runs."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if params is not None and len(params) > MOST_BOUND_VALUES:
            query, params, prepare = ClientCursor(self.connection).mogrify(query, params), None, False
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(TenantDatabaseWrapper):
    def create_cursor(self, name=None):
        if name or not may_prepare() or not self.settings_dict["OPTIONS"].get("prepare_threshold"):
            return super().create_cursor(name)
        default, self.connection.cursor_factory = self.connection.cursor_factory, KeyedCursor
        try:
            return super().create_cursor(name)
        finally:
            self.connection.cursor_factory = default
