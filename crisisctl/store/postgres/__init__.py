"""The PostgreSQL store: a team log on a server, with the same events, chain and guards as SQLite."""
