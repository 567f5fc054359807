"""Database engine for the embedded PostgreSQL: starts the server on first connection."""

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper

from prm import embedded


class DatabaseWrapper(TenantDatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["host"] = embedded.ensure_postgres()
        params.pop("port", None)
        return params
