"""PostgreSQL connection strings: told apart from SQLite paths by their scheme, and shown without a password."""

from __future__ import annotations

from urllib.parse import quote

SCHEMES = ("postgresql://", "postgres://")
UNREADABLE = "postgresql://(an address that could not be read)"


def is_postgres(target: str) -> bool:
    return target.lower().startswith(SCHEMES)


def masked(target: str) -> str:
    """The log's name for messages, reports and files: a SQLite path as it is; a PostgreSQL address as libpq
    reads it (every spelling of a password understood, however it is escaped or placed), without the password."""
    if not is_postgres(target):
        return target
    try:
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # without the driver, nothing can be read safely: name no part of it
        return UNREADABLE
    try:
        params = {key: str(value) for key, value in conninfo_to_dict(target).items()}
    except ProgrammingError:
        return UNREADABLE
    credentials = target.split("://", 1)[1].rpartition("@")[0]
    if ":" in credentials and "password" not in params:
        return UNREADABLE  # user:secret@ that libpq reads some other way (a `/` in it): show none of it
    params.pop("password", None)
    user, host, port = params.pop("user", ""), params.pop("host", ""), params.pop("port", "")
    where = (f"{quote(user, safe='')}@" if user else "") + quote(host, safe=",[]:") + (f":{port}" if port else "")
    query = "&".join(
        f"{quote(key)}={quote(value, safe='')}" for key, value in sorted(params.items()) if key != "dbname"
    )
    database = quote(params.get("dbname", ""), safe="")
    return f"postgresql://{where}/{database}" + (f"?{query}" if query else "")
