"""The engine (ENGINE "prm.postgres"): django-tenants' DatabaseWrapper whose cursors, inside
prm.postgres.prepared_statements, send their values apart from the statement (psycopg's server-side binding) and
so may be prepared; everywhere else they are Django's default cursors, which write the values into the statement
(client-side binding) and are never prepared. See prm.postgres."""

from __future__ import annotations

from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.postgresql.operations import DatabaseOperations
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from psycopg import ClientCursor, errors, pq

from prm.postgres import generic_plans, may_prepare

# A statement with more values than this is written out client-side and never prepared: a bulk insert or a long
# IN list gains nothing from a kept plan, and PostgreSQL's protocol takes at most 65,535 values in one statement.
MOST_BOUND_VALUES = 1000


class KeyedCursor(ServerBindingCursor):
    """psycopg's cursor with its values sent apart, prepared after KYOSO_DB_PREPARE_THRESHOLD runs."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if params is not None and len(params) > MOST_BOUND_VALUES:
            query, params, prepare = ClientCursor(self.connection).mogrify(query, params), None, False
        return super().execute(query, params, prepare=prepare, binary=binary)


class Operations(DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """What Django records of a statement (tests' CaptureQueriesContext, DEBUG's query list): psycopg keeps no
        text for a run of a statement it prepared, so a KeyedCursor's is written out from its values here."""
        found = super().last_executed_query(cursor, sql, params)
        if found is None and isinstance(cursor, KeyedCursor):
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return sql
        return found


# The connection's plan_cache_mode as this wrapper last set it: the server's default on a new connection, UNKNOWN
# after a rollback (which undoes a SET made inside what it rolls back).
GENERIC, DEFAULT, UNKNOWN = "force_generic_plan", "default", "unknown"


class DatabaseWrapper(TenantDatabaseWrapper):
    ops_class = Operations
    kyoso_plan_mode = UNKNOWN

    def init_connection_state(self):
        super().init_connection_state()
        self.kyoso_plan_mode = DEFAULT

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self.kyoso_plan_mode = UNKNOWN

    def _savepoint_rollback(self, sid):
        try:  # the ROLLBACK TO SAVEPOINT runs first: until it has, the transaction takes no SET
            return super()._savepoint_rollback(sid)
        finally:
            self.kyoso_plan_mode = UNKNOWN

    def _plan_as_asked(self) -> None:
        """plan_cache_mode as the block asks (prm.postgres.prepared_statements), set only when it differs from what
        the connection has: it matters to statements whose values are bound apart, and only KeyedCursor binds so, so
        it is checked here rather than reset when a block ends (a block ended by an error could not reset it)."""
        asked = generic_plans()
        wanted = GENERIC if asked else DEFAULT
        if asked is None or self.kyoso_plan_mode == wanted or self.connection.info.transaction_status == pq.TransactionStatus.INERROR:
            return  # a failed transaction runs nothing until its rollback, after which the mode is set again
        with self.connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan" if wanted == GENERIC else "RESET plan_cache_mode")
        self.kyoso_plan_mode = wanted

    def create_cursor(self, name=None):
        if name or not may_prepare() or not self.settings_dict["OPTIONS"].get("prepare_threshold"):
            return super().create_cursor(name)
        self._plan_as_asked()
        default, self.connection.cursor_factory = self.connection.cursor_factory, KeyedCursor
        try:
            return super().create_cursor(name)
        finally:
            self.connection.cursor_factory = default
