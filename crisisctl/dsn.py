"""PostgreSQL connection strings: told apart from SQLite paths by their scheme, and shown without a password."""

from __future__ import annotations

import re

SCHEMES = ("postgresql://", "postgres://")
_USERINFO_PASSWORD = re.compile(r"^(postgres(?:ql)?://[^:@/?#]*):[^@/?#]*@", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
MASK = "***"


def is_postgres(target: str) -> bool:
    return target.lower().startswith(SCHEMES)


def masked(dsn: str) -> str:
    """The DSN with any password replaced, so it can name the log in messages, reports and files."""
    return _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", _USERINFO_PASSWORD.sub(rf"\g<1>:{MASK}@", dsn))
