-- Voice agents: projects (one agent for one business, with its weekly hours in its own time
-- zone), their services, the keys the agent's backend calls with, and the project calendar.
-- Existing rows keep their meaning: every new column is NULL for them.

-- Whether `zone` is an IANA zone name of PostgreSQL's own time-zone database (Europe/Berlin,
-- UTC), matched exactly: abbreviations (CEST) and POSIX specs (XYZ+3), which AT TIME ZONE
-- would also take, are fixed offsets without daylight saving; right/ zones count leap seconds.
-- Reading the database's zone list takes tens of milliseconds: only project writes pay it.
CREATE FUNCTION is_time_zone(zone text) RETURNS boolean
LANGUAGE sql STABLE STRICT
AS $$
    SELECT zone !~ '^(posix|right)/'
       AND EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = zone)
$$;

CREATE TABLE projects (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    agent_name    text        NOT NULL,
    language      text        NOT NULL,
    greeting      text,
    voice_id      text        NOT NULL,
    business_name text        NOT NULL,
    industry      text        NOT NULL,
    phone         text        NOT NULL,
    website       text,
    time_zone     text        NOT NULL DEFAULT 'UTC',
    -- [{"day":"Monday","enabled":true,"start":"09:00","end":"17:00"}, ...], checked by the API;
    -- open_windows() reads it.
    schedule      jsonb       NOT NULL DEFAULT '[]',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- Deleting a project keeps its bookings and conversations: it is only marked.
    deleted_at    timestamptz,
    CONSTRAINT projects_time_zone_check CHECK (is_time_zone(time_zone)),
    CONSTRAINT projects_schedule_array CHECK (jsonb_typeof(schedule) = 'array')
);
CREATE INDEX projects_user_created_idx ON projects (user_id, created_at DESC)
    WHERE deleted_at IS NULL;

ALTER TABLE services ADD COLUMN project_id uuid REFERENCES projects (id);
CREATE INDEX services_project_idx ON services (project_id, name) WHERE project_id IS NOT NULL;

-- A booking made by a project's agent belongs to no user; it names its customer instead.
-- project_id is the service's project, copied by the trigger below so that the exclusion
-- constraint can see one project's calendar in one index.
ALTER TABLE bookings
    ALTER COLUMN user_id DROP NOT NULL,
    ADD COLUMN project_id uuid REFERENCES projects (id),
    ADD COLUMN customer_name text,
    ADD COLUMN customer_phone text,
    ADD CONSTRAINT bookings_user_or_project CHECK (user_id IS NOT NULL OR project_id IS NOT NULL),
    ADD CONSTRAINT bookings_customer_name_length CHECK (char_length(customer_name) <= 100),
    ADD CONSTRAINT bookings_customer_phone_length CHECK (char_length(customer_phone) <= 32),
    -- A project is one calendar: no two live bookings on its services overlap, whoever made
    -- them. Like bookings_no_overlap, enforced here so it holds under any concurrency.
    ADD CONSTRAINT bookings_project_no_overlap EXCLUDE USING gist (
        project_id WITH =,
        tstzrange(scheduled_at, booking_end(scheduled_at, duration), '[)') WITH &&
    ) WHERE (status IN ('PENDING', 'CONFIRMED') AND project_id IS NOT NULL);

-- The project calendar's list, soonest first, whatever the status; and, from the index alone,
-- the live bookings around an availability window (a booking is at most a day long).
CREATE INDEX bookings_project_scheduled_idx ON bookings (project_id, scheduled_at)
    INCLUDE (duration, status) WHERE project_id IS NOT NULL;

CREATE FUNCTION bookings_project() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.project_id := (SELECT project_id FROM services WHERE id = NEW.service_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER bookings_project BEFORE INSERT OR UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION bookings_project();

-- Locks the calendars a booking write touches, always in the same order (the user's, then
-- the project's), so that concurrent writes of overlapping bookings queue here and the later
-- one meets the earlier one committed: a 409 at once, not a deadlock broken after
-- deadlock_timeout (see bookings_no_overlap in the API).
CREATE FUNCTION lock_calendars(account uuid, service uuid) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM 1 FROM users WHERE id = account FOR NO KEY UPDATE;
    PERFORM 1 FROM projects p JOIN services s ON s.project_id = p.id
        WHERE s.id = service FOR NO KEY UPDATE OF p;
    RETURN true;
END
$$;

-- The open windows of a weekly `schedule` on the local days (in `zone`) from `from_ts` to
-- `to_ts`, as instants. Wall-clock hours become instants with the offset of their own day,
-- so a window is right on both sides of a daylight-saving change. Windows never cross local
-- midnight (start < end within a day). Inlined into the calling statement.
CREATE FUNCTION open_windows(schedule jsonb, zone text, from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (opens timestamptz, closes timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT (d + h.start::time) AT TIME ZONE zone, (d + h."end"::time) AT TIME ZONE zone
    FROM generate_series((from_ts AT TIME ZONE zone)::date::timestamp,
                         (to_ts AT TIME ZONE zone)::date::timestamp, interval '1 day') AS d
    JOIN jsonb_to_recordset(schedule) AS h(day text, enabled boolean, start text, "end" text)
        ON h.enabled AND h.day = to_char(d, 'FMDay')
$$;

-- Whether [starts, starts + minutes) lies inside one open window of the schedule.
CREATE FUNCTION within_hours(schedule jsonb, zone text, starts timestamptz, minutes integer)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (
        SELECT 1 FROM open_windows(schedule, zone, starts, starts) w
        WHERE w.opens <= starts AND starts + make_interval(mins => minutes) <= w.closes
    )
$$;

-- Keys a project's voice agent calls with. Only a SHA-256 of the key is kept: keys are 256
-- random bits, so a fast hash is enough, and it can be looked up in the statement it opens.
CREATE TABLE agent_keys (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id   uuid        NOT NULL REFERENCES projects (id),
    name         text        NOT NULL,
    key_hash     bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX agent_keys_project_idx ON agent_keys (project_id, created_at DESC);

ALTER TABLE conversations ADD COLUMN project_id uuid REFERENCES projects (id);

REVOKE ALL ON FUNCTION lock_calendars(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lock_calendars(uuid, uuid) TO booking_app;
GRANT SELECT, INSERT, UPDATE ON projects, agent_keys TO booking_app;

-- The caller (while their session is live) and the owner of `project` (while it is open):
-- what every owner-only statement decides on. Inlined like live_caller.
CREATE FUNCTION project_access(session uuid, account uuid, project uuid)
RETURNS TABLE (caller_id uuid, caller_role text, owner_id uuid)
LANGUAGE sql STABLE
AS $$
    SELECT c.id, c.role, p.user_id
    FROM live_caller($1, $2) c LEFT JOIN projects p ON p.id = $3 AND p.deleted_at IS NULL
$$;

-- A project's active services as the API shows them, by name.
CREATE FUNCTION project_services(project uuid) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(s ORDER BY s.name, s.id), '[]')
    FROM services s WHERE s.project_id = $1 AND s.is_active
$$;

-- The project of the live key hashing to `hash` (limited to `project` unless it is NULL), or
-- NULL. Records when the key was last used, at most once a minute so busy agents do not
-- rewrite the row on every call.
CREATE FUNCTION use_agent_key(hash bytea, project uuid) RETURNS uuid
LANGUAGE plpgsql
AS $$
DECLARE
    found_id uuid;
    found_project uuid;
    used timestamptz;
BEGIN
    SELECT k.id, k.project_id, k.last_used_at INTO found_id, found_project, used
    FROM agent_keys k JOIN projects p ON p.id = k.project_id
    WHERE k.key_hash = hash AND k.revoked_at IS NULL AND p.deleted_at IS NULL
      AND (project IS NULL OR k.project_id = project);
    IF found_id IS NOT NULL AND (used IS NULL OR used < now() - interval '1 minute') THEN
        UPDATE agent_keys SET last_used_at = now() WHERE id = found_id;
    END IF;
    RETURN found_project;
END
$$;

-- Sets a project's service list: entries with an id update that service of the project (and
-- make it active again), entries without one create a service, and the project's services left
-- out become inactive (their bookings stay). SECURITY DEFINER so that the API's role needs no
-- UPDATE on services: it can change a project's own services this way, never the catalogue.
CREATE FUNCTION set_project_services(project uuid, given jsonb) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    UPDATE services s SET is_active = false, updated_at = now()
    WHERE s.project_id = project AND s.is_active AND s.id NOT IN (
        SELECT g.id FROM jsonb_to_recordset(given) AS g(id uuid) WHERE g.id IS NOT NULL);
    UPDATE services s
    SET name = g.name, description = g.description, duration = g.duration, price = g.price,
        is_active = true, updated_at = now()
    FROM jsonb_to_recordset(given)
        AS g(id uuid, name text, description text, duration integer, price numeric)
    WHERE s.id = g.id AND s.project_id = project;
    INSERT INTO services (project_id, name, description, duration, price)
    SELECT project, g.name, g.description, g.duration, g.price
    FROM jsonb_to_recordset(given)
        AS g(id uuid, name text, description text, duration integer, price numeric)
    WHERE g.id IS NULL;
    SELECT true;
$$;

REVOKE ALL ON FUNCTION project_access(uuid, uuid, uuid), use_agent_key(bytea, uuid),
    set_project_services(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION project_access(uuid, uuid, uuid), use_agent_key(bytea, uuid),
    set_project_services(uuid, jsonb) TO booking_app;
