"""Getting approved notices out: the outbox folder beside the log, and SMTP for email."""
