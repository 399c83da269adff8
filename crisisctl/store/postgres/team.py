"""Applying the team's roles to a PostgreSQL log, as its owner."""

from __future__ import annotations

import psycopg

from crisisctl.dsn import masked
from crisisctl.errors import LogError
from crisisctl.store.postgres.connection import APPEND_LOCK, connect, translate
from crisisctl.store.postgres.migrations import MIGRATIONS, current_version, migrate
from crisisctl.store.postgres.roles import TEAM_SQL


def apply_team_roles(dsn: str) -> None:
    """Create or migrate the log's schema, then the writer role and its grants, in one transaction: an owner
    who may not create roles is told so, and leaves nothing half-made behind."""
    name = masked(dsn)
    connection = connect(dsn)
    try:
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
            version = current_version(connection)
            if version is None or version < len(MIGRATIONS):
                migrate(connection)
            connection.execute(TEAM_SQL)
    except psycopg.errors.InsufficientPrivilege:
        raise LogError(
            f"the database user may not create the team's roles on the log {name}; nothing was changed",
            "run it as the database's owner with CREATEROLE (or as a superuser); see docs/team.md",
        ) from None
    except psycopg.Error as error:
        raise translate(error, name) from None
    finally:
        connection.close()
