-- The role the API functions connect as: it may read and write rows, each table only as the
-- handlers' statements need, and nothing else. It owns nothing, so it cannot DROP, ALTER or
-- TRUNCATE a table, create one, or touch the migrations' history: an injected statement is
-- limited to what the API could do anyway. Migrations keep running as the database owner.
--
-- Roles belong to the whole cluster, so it may exist already (another database, a previous
-- run, or created ahead by an administrator when the owner lacks CREATEROLE). It has no
-- password here: trust/peer locally, an RDS IAM token (`rds_iam`, below), or a password an
-- administrator sets with ALTER ROLE (docs/deploy.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'booking_app') THEN
        CREATE ROLE booking_app LOGIN;
    END IF;
EXCEPTION
    -- Another database of the same cluster created it at the same moment.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- RDS IAM authentication: a role signs in with a token only as a member of rds_iam, which
-- exists on RDS and Aurora only. Granted only when missing, so an owner without the right to
-- grant it can still run this once an administrator has.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam')
       AND NOT pg_has_role('booking_app', 'rds_iam', 'MEMBER') THEN
        GRANT rds_iam TO booking_app;
    END IF;
END
$$;

-- Only migrations create objects (PostgreSQL 15 no longer lets PUBLIC create in `public`;
-- this also holds on a database upgraded from an older version).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO booking_app;

-- Exactly what the statements in functions/ run (no sequences: every key is a uuid default).
-- users: sign-in lookups, register, profile edits, and the row lock booking writes take on
-- their owner (SELECT ... FOR NO KEY UPDATE needs UPDATE). Users are never deleted.
GRANT SELECT, INSERT, UPDATE ON users TO booking_app;
-- sessions: the caller check of every protected statement, login/register, logout's revoke,
-- and login's clean-up of the user's expired sessions.
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO booking_app;
-- services: the list, and an ADMIN's new service. Services are never changed or deleted.
GRANT SELECT, INSERT ON services TO booking_app;
-- bookings: list, create, reschedule/edit/status (a cancel is an UPDATE). Never deleted.
GRANT SELECT, INSERT, UPDATE ON bookings TO booking_app;
-- conversations: saved and listed, never changed.
GRANT SELECT, INSERT ON conversations TO booking_app;
-- rate_limits: counted with INSERT ... ON CONFLICT DO UPDATE; old windows swept by DELETE.
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits TO booking_app;
