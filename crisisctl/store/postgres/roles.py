"""The SQL of the team's roles: `crisisctl_writer` may read the log and add to it, and do nothing else."""

from __future__ import annotations

# Static text, so that it can be printed without a connection and reviewed before anyone applies it.
TEAM_SQL = """\
-- crisisctl team log: a group role that may only read the log and add to it.
DO $$ BEGIN
  CREATE ROLE crisisctl_writer NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO crisisctl_writer', current_database());
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO crisisctl_writer', current_schema());
  -- No temporary tables or functions: nothing a writer makes may stand in for the log's own objects.
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
REVOKE ALL ON events, playbook_snapshots, playbook_models, incidents, crisisctl_schema FROM crisisctl_writer;
GRANT SELECT, INSERT ON events, playbook_snapshots, playbook_models TO crisisctl_writer;
-- The incident list is changed only through crisisctl_save_incident, which its guard trigger checks.
GRANT SELECT ON incidents, crisisctl_schema TO crisisctl_writer;
GRANT EXECUTE ON FUNCTION crisisctl_save_incident TO crisisctl_writer;
-- Then one login per person, so that each event records who signed in (db_user):
--   CREATE ROLE alice LOGIN IN ROLE crisisctl_writer;  \\password alice
"""
