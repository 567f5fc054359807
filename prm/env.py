"""Strict environment parsing.

Every setting read from the environment goes through one of these functions. A value that
cannot be parsed stops the process with a message naming the variable, instead of
starting with a half-understood configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit, urlunsplit


class ImproperlyConfiguredEnv(Exception):
    """A bad environment value. The message names the variable."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = _raw(name)
    if value is None:
        if required:
            raise ImproperlyConfiguredEnv(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(
        f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={number} is below the minimum {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfiguredEnv(f"{name}={number} is above the maximum {maximum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfiguredEnv(f"{name}={value!r} has an empty item in its comma-separated list.")
    return items


def env_int_list(name: str, default: list[int], *, minimum: int, maximum: int) -> list[int]:
    """A comma-separated list of whole numbers, each within bounds, at least one."""
    value = _raw(name)
    if value is None:
        return list(default)
    numbers = []
    for item in env_list(name, []):
        try:
            number = int(item)
        except ValueError:
            raise ImproperlyConfiguredEnv(f"{name}={value!r}: {item!r} is not a whole number.") from None
        if not minimum <= number <= maximum:
            raise ImproperlyConfiguredEnv(f"{name}={value!r}: {number} is outside {minimum}..{maximum}.")
        numbers.append(number)
    if not numbers:
        raise ImproperlyConfiguredEnv(f"{name} is empty.")
    return numbers


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def connection_reuse() -> dict:
    """Persistent connections: each worker keeps its database connection for KYOSO_CONN_MAX_AGE seconds
    (60 unless set; 0 opens one per request) and checks it still works before reusing it
    (KYOSO_CONN_HEALTH_CHECKS, on unless set). Safe with django-tenants: the tenant middleware sets the
    schema on every request, so a reused connection never keeps the previous request's vendor."""
    return {
        "CONN_MAX_AGE": env_int("KYOSO_CONN_MAX_AGE", 60, minimum=0, maximum=24 * 60 * 60),
        "CONN_HEALTH_CHECKS": env_bool("KYOSO_CONN_HEALTH_CHECKS", True),
    }


def statement_reuse() -> dict:
    """Prepared statements: on the pages that ask for it (prm.postgres.prepared_statements), a connection
    sends a statement's values apart from its text (psycopg's server-side binding) and prepares it once it
    has run it KYOSO_DB_PREPARE_THRESHOLD times (5 unless set; "off": never, every statement is sent with
    its values written in, to be parsed and planned each time, as Django does by default and as every
    other statement is). Such a page runs the same few dozen statements on every request, so PostgreSQL plans each
    once per connection instead of once per request. PostgreSQL parses a prepared statement again when
    search_path changed since it was prepared, so a statement prepared for one vendor never reads
    another's tables. PgBouncer in session mode (the only mode Kyoso supports) keeps them, since a client
    keeps its server connection."""
    if (_raw("KYOSO_DB_PREPARE_THRESHOLD") or "").lower() in _FALSE:
        return {}
    threshold = env_int("KYOSO_DB_PREPARE_THRESHOLD", 5, minimum=1, maximum=1000)
    return {"prepare_threshold": threshold}


def parse_database_url(name: str, url: str) -> dict:
    """postgresql://user:password@host:port/dbname?host=/socket/dir -> Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfiguredEnv(
            f"{name} must start with postgresql:// (django-tenants needs PostgreSQL); got {parts.scheme or 'no scheme'}."
        )
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise ImproperlyConfiguredEnv(f"{name} has no database name (postgresql://…/NAME).")
    query = parse_qs(parts.query, keep_blank_values=True)
    repeated = sorted(key for key, values in query.items() if len(values) > 1)
    if repeated:
        raise ImproperlyConfiguredEnv(f"{name} gives the option {repeated[0]!r} more than once.")
    options = {key: values[0] for key, values in query.items()}
    host = options.pop("host", parts.hostname or "")
    port_option = options.pop("port", None)
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} has an invalid port.") from None
    if port_option is not None:
        if not (port_option.isascii() and port_option.isdigit() and 0 < int(port_option) < 65536):
            raise ImproperlyConfiguredEnv(f"{name} has an invalid port.")
        port = int(port_option)
    _check_database_options(name, options)
    entry = {
        "ENGINE": "prm.postgres",  # django-tenants' engine; statements prepared only where asked
        "NAME": database,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
        **connection_reuse(),
    }
    # sslmode, sslrootcert, connect_timeout, application_name … go to libpq as given
    options = {**statement_reuse(), **options}
    if options:
        entry["OPTIONS"] = options
    return entry


_SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


def _check_database_options(name: str, options: dict[str, str]) -> None:
    """Refuse the values libpq would only refuse at the first connection, naming the option."""
    if "sslmode" in options and options["sslmode"] not in _SSLMODES:
        raise ImproperlyConfiguredEnv(
            f"{name}: sslmode={options['sslmode']!r} must be one of: {', '.join(_SSLMODES)}."
        )
    for key in ("connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count"):
        value = options.get(key)
        if value is not None and not (value.isascii() and value.isdigit()):
            raise ImproperlyConfiguredEnv(f"{name}: {key}={value!r} is not a whole number of seconds or counts.")
    empty = sorted(key for key, value in options.items() if not value)
    if empty:
        raise ImproperlyConfiguredEnv(f"{name}: the option {empty[0]!r} has no value.")


def check_redis_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfiguredEnv(f"{name} must start with redis://, rediss:// or unix://; got {url!r}.")
    if parts.scheme == "unix" and not parts.path:
        raise ImproperlyConfiguredEnv(f"{name} has no socket path (unix:///path/to/redis.sock).")
    try:
        parts.port  # noqa: B018  (reading the port is what validates it)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} has an invalid port.") from None
    return url


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a Redis unix socket redis+socket:///path; Django and redis-py use unix://."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://"):]
    return redis_url


def redis_url_with_db(redis_url: str, db: int) -> str:
    """The same Redis server, another numbered database (unix://path?db=N or redis://host:port/N)."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        query = [(key, value) for key, value in parse_qsl(parts.query) if key != "db"] + [("db", str(db))]
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def project_dir() -> Path:
    return Path(__file__).resolve().parent.parent
