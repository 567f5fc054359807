"""The test database's address for a process the test starts (a worker, gunicorn, a benchmark): one spelling, with
the password when there is one (a run through PgBouncer has one), so every subprocess reaches the same database."""

from __future__ import annotations

from urllib.parse import quote

from django.db import connection


def subprocess_database_url(application_name: str | None = None) -> str:
    params = connection.get_connection_params()
    host = params.get("host", "")
    database = connection.settings_dict["NAME"]
    query = [f"host={host}"] if host.startswith("/") else []
    location = "@/" + database if host.startswith("/") else f"@{host or '127.0.0.1'}:{params.get('port') or 5432}/{database}"
    if application_name:
        query.append(f"application_name={application_name}")
    user = quote(params.get("user", "postgres"), safe="")
    credentials = user + (f":{quote(params['password'], safe='')}" if params.get("password") else "")
    return f"postgresql://{credentials}{location}" + ("?" + "&".join(query) if query else "")
