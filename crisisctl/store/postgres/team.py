"""Applying the team's roles to a PostgreSQL log, as its owner."""

from __future__ import annotations

from crisisctl.store.postgres.connection import transaction
from crisisctl.store.postgres.log import PostgresLog
from crisisctl.store.postgres.roles import TEAM_SQL


def apply_team_roles(dsn: str) -> None:
    """Create the log's schema if need be, then the writer role and its grants, in one transaction."""
    log = PostgresLog(dsn)
    try:
        with log.write():  # creates and migrates the schema, as the owner connected here
            pass
        connection = log.connection()
        with transaction(connection, log.name, lock=True):
            connection.execute(TEAM_SQL)
    finally:
        log.close()
