"""The engine (ENGINE "prm.postgres"): django-tenants' DatabaseWrapper with a cursor that prepares a statement
only inside prm.postgres.prepared_statements; see there."""

from __future__ import annotations

from django.db.backends.postgresql.base import ServerBindingCursor
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper

from prm.postgres import may_prepare


class KeyedCursor(ServerBindingCursor):
    """psycopg's cursor with its values sent apart; prepared (psycopg counts the runs) only where asked."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and not may_prepare():
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(TenantDatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if connection.cursor_factory is ServerBindingCursor:  # server-side binding on (prm.env.statement_reuse)
            connection.cursor_factory = KeyedCursor
        return connection
