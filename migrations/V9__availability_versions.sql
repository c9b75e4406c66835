-- Availability reads a version of what its slots are computed from, and computes the slots
-- only when the caller's copy is of another version. Counted with bench/count_instructions on
-- bench/data.sql (31 days, 33 busy days): computing costs about 1.6 million instructions,
-- reading the version a tenth of that.
--
-- The slots of a window depend on the project's hours and time zone, the service's duration
-- and the live bookings of the window's busy days (and on now, which the caller applies).
-- Every change of hours or busy days takes a new number from one sequence, so the greatest
-- number over the project row and the window's busy days changes with any of them. A busy-day
-- row is never deleted (V7 keeps empty days), but their count is part of the version anyway,
-- so that a deleted row could not bring back an older greatest number.
CREATE SEQUENCE calendar_changes;

ALTER TABLE project_busy_days
    ADD COLUMN changed bigint NOT NULL DEFAULT nextval('calendar_changes');
ALTER TABLE projects
    ADD COLUMN hours_changed bigint NOT NULL DEFAULT nextval('calendar_changes');
GRANT USAGE ON SEQUENCE calendar_changes TO booking_app;

CREATE FUNCTION projects_hours_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.hours_changed := nextval('calendar_changes');
    RETURN NEW;
END
$$;
CREATE TRIGGER projects_hours_changed BEFORE UPDATE ON projects FOR EACH ROW
    WHEN ((OLD.schedule, OLD.time_zone) IS DISTINCT FROM (NEW.schedule, NEW.time_zone))
    EXECUTE FUNCTION projects_hours_changed();

-- As in V7, with the row's new number on every change.
CREATE OR REPLACE FUNCTION bookings_busy_days() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.project_id IS NOT NULL
       AND OLD.status IN ('PENDING', 'CONFIRMED') THEN
        UPDATE project_busy_days
        SET busy = busy - tstzmultirange(
            tstzrange(OLD.scheduled_at, booking_end(OLD.scheduled_at, OLD.duration), '[)')),
            changed = nextval('calendar_changes')
        WHERE project_id = OLD.project_id AND day = busy_day(OLD.scheduled_at);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.project_id IS NOT NULL
       AND NEW.status IN ('PENDING', 'CONFIRMED') THEN
        INSERT INTO project_busy_days AS d (project_id, day, busy)
        VALUES (NEW.project_id, busy_day(NEW.scheduled_at), tstzmultirange(
            tstzrange(NEW.scheduled_at, booking_end(NEW.scheduled_at, NEW.duration), '[)')))
        ON CONFLICT (project_id, day) DO UPDATE
        SET busy = d.busy + EXCLUDED.busy, changed = EXCLUDED.changed;
    END IF;
    RETURN NULL;
END
$$;

-- The free slots of `service` in [from_ts, to_ts): the statement availability ran before this
-- migration, unchanged (see functions/src/projects/queries.rs for how it works). PL/pgSQL
-- keeps its plan for the session, and the caller's statement runs it only when its version
-- differs; STABLE, so it reads the caller's snapshot, the one the version was read in.
CREATE FUNCTION availability_slots(project uuid, service uuid, from_ts timestamptz,
                                   to_ts timestamptz) RETURNS timestamptz[]
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (
        WITH p AS (SELECT id, schedule, time_zone FROM projects
                   WHERE id = project AND deleted_at IS NULL),
        s AS (SELECT duration, make_interval(mins => duration) AS step FROM services
              WHERE id = service AND project_id = project AND is_active),
        busy AS (SELECT array_agg(lower(r) ORDER BY d.day, r) AS starts,
                        array_agg(upper(r) ORDER BY d.day, r) AS ends
                 FROM project_busy_days d, unnest(d.busy) r WHERE d.project_id = project
                   AND d.day BETWEEN busy_day(from_ts) - 1 AND busy_day(to_ts))
        SELECT ARRAY(SELECT g FROM (
            SELECT generate_series(date_bin(s.step, gap.lo + s.step - interval '1 microsecond',
                                            gap.opens), gap.hi - s.step, s.step) AS g
            FROM (SELECT w.opens, greatest(w.opens, from_ts, now(), busy.ends[w.j]) AS lo,
                         least(w.closes, to_ts + s.step, busy.starts[w.j + 1]) AS hi
                  FROM (SELECT o.opens, o.closes,
                               generate_series(coalesce(width_bucket(o.opens, busy.starts), 0),
                                               coalesce(width_bucket(o.closes, busy.starts), 0))
                               AS j
                        FROM (SELECT * FROM open_windows(p.schedule, p.time_zone, from_ts, to_ts)
                              OFFSET 0) o) w
                  WHERE coalesce(busy.ends[w.j] < busy.starts[w.j + 1], true) OFFSET 0) gap
            WHERE gap.lo >= from_ts AND gap.lo < to_ts AND gap.lo < gap.hi) slot
          WHERE g >= from_ts AND g < to_ts AND g > now() ORDER BY g)
        FROM busy, p, s
    );
END
$$;
