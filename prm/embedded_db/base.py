"""Database engine for the embedded PostgreSQL: starts the server on first connection."""

from prm import embedded
from prm.postgres.base import DatabaseWrapper as KyosoDatabaseWrapper


class DatabaseWrapper(KyosoDatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["host"] = embedded.ensure_postgres()
        params.pop("port", None)
        return params
