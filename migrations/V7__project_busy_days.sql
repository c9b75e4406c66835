-- The busy time of each project's calendar, one row per UTC day: its live bookings starting
-- that day, merged into a multirange (back-to-back bookings become one range). Availability
-- reads about one row a day of its window instead of every booking in it: on the benchmark's
-- project (bench/data.sql), 33 rows of one range each instead of 528 bookings to sort.
--
-- Kept by the triggers below, in the same transaction as every booking write, so it is never
-- behind. Adding and removing a booking's range is exact because a project's live bookings
-- never overlap (bookings_project_no_overlap): no other booking covers the time one frees.
-- A booking is at most a day long, so those that reach into a day start that day or the one
-- before. Days that become empty keep their row (an empty multirange). Availability no
-- longer reads bookings_project_scheduled_idx (V5); the project calendar's list still does.
CREATE TABLE project_busy_days (
    project_id uuid           NOT NULL REFERENCES projects (id),
    day        date           NOT NULL,
    busy       tstzmultirange NOT NULL,
    PRIMARY KEY (project_id, day)
);

-- The UTC day a booking starting at `starts` is kept under.
CREATE FUNCTION busy_day(starts timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT (starts AT TIME ZONE 'UTC')::date $$;

-- Takes a booking's old range out of its day and puts its new one in. SECURITY DEFINER: the
-- API's role reads the table but cannot write it except through a booking write, so the
-- summary cannot be made to disagree with the bookings.
CREATE FUNCTION bookings_busy_days() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.project_id IS NOT NULL
       AND OLD.status IN ('PENDING', 'CONFIRMED') THEN
        UPDATE project_busy_days
        SET busy = busy - tstzmultirange(
            tstzrange(OLD.scheduled_at, booking_end(OLD.scheduled_at, OLD.duration), '[)'))
        WHERE project_id = OLD.project_id AND day = busy_day(OLD.scheduled_at);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.project_id IS NOT NULL
       AND NEW.status IN ('PENDING', 'CONFIRMED') THEN
        INSERT INTO project_busy_days AS d (project_id, day, busy)
        VALUES (NEW.project_id, busy_day(NEW.scheduled_at), tstzmultirange(
            tstzrange(NEW.scheduled_at, booking_end(NEW.scheduled_at, NEW.duration), '[)')))
        ON CONFLICT (project_id, day) DO UPDATE SET busy = d.busy + EXCLUDED.busy;
    END IF;
    RETURN NULL;
END
$$;

-- The WHEN conditions leave the other writes alone without calling the function: a booking
-- of no project (a user's booking from the catalogue), and an update that moves no time
-- (notes). For a project's booking the trigger adds 40-80 µs to an insert of about 250 µs
-- (5,000 inserts in a loop, rolled back, three times each way).
CREATE TRIGGER bookings_busy_days_insert AFTER INSERT ON bookings FOR EACH ROW
    WHEN (NEW.project_id IS NOT NULL AND NEW.status IN ('PENDING', 'CONFIRMED'))
    EXECUTE FUNCTION bookings_busy_days();
CREATE TRIGGER bookings_busy_days_update AFTER UPDATE ON bookings FOR EACH ROW
    WHEN ((OLD.project_id IS NOT NULL OR NEW.project_id IS NOT NULL)
          AND (OLD.project_id, OLD.scheduled_at, OLD.duration, OLD.status)
              IS DISTINCT FROM (NEW.project_id, NEW.scheduled_at, NEW.duration, NEW.status))
    EXECUTE FUNCTION bookings_busy_days();
CREATE TRIGGER bookings_busy_days_delete AFTER DELETE ON bookings FOR EACH ROW
    WHEN (OLD.project_id IS NOT NULL AND OLD.status IN ('PENDING', 'CONFIRMED'))
    EXECUTE FUNCTION bookings_busy_days();

INSERT INTO project_busy_days (project_id, day, busy)
SELECT project_id, busy_day(scheduled_at),
       range_agg(tstzrange(scheduled_at, booking_end(scheduled_at, duration), '[)'))
FROM bookings
WHERE project_id IS NOT NULL AND status IN ('PENDING', 'CONFIRMED')
GROUP BY 1, 2;

GRANT SELECT ON project_busy_days TO booking_app;
