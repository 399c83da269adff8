"""The team-log agent: one process per user and environment that keeps connections to PostgreSQL open between
commands (client.py is the commands' side, server.py the agent, wire.py what crosses the socket)."""
