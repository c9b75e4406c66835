-- Two costs of every booking made for a caller without an account (agent key, or the owner
-- for a caller); same rules, results and grants. Counted with bench/count_instructions on
-- bench/data.sql, an agent's booking statement with its triggers: 1,704,922 instructions
-- before, 1,606,505 with the new within_hours() alone, 1,391,353 with the narrower
-- constraint alone.

-- A caller's booking has no user_id, and equal NULLs never conflict in an exclusion
-- constraint, yet each such booking was still added to the per-user constraint's GiST index,
-- the most expensive step of the insert. The constraint now leaves those rows out; what it
-- refuses is unchanged, and its name (which the API maps to 409) too. The index is rebuilt
-- here, under the table's lock, for every live user booking.
ALTER TABLE bookings
    DROP CONSTRAINT bookings_no_overlap,
    ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        user_id WITH =,
        tstzrange(scheduled_at, booking_end(scheduled_at, duration), '[)') WITH &&
    ) WHERE (status IN ('PENDING', 'CONFIRMED') AND user_id IS NOT NULL);

-- within_hours() ran a query (open_windows() over one day, joined to the schedule's rows)
-- and so started an executor on every call. The same test in PL/pgSQL expressions, which
-- are evaluated without one: the local day of `starts` in `zone`, its enabled entries, and
-- the booking inside one of them. Only an enabled entry of that day has its hours read, as
-- before (a closed day's may be empty).
CREATE OR REPLACE FUNCTION within_hours(schedule jsonb, zone text, starts timestamptz, minutes integer)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    local_day timestamp := (starts AT TIME ZONE zone)::date::timestamp;
    day_name text := to_char(local_day, 'FMDay');
    hours jsonb;
BEGIN
    FOR i IN 0 .. jsonb_array_length(schedule) - 1 LOOP
        hours := schedule -> i;
        IF hours ->> 'day' = day_name AND (hours ->> 'enabled')::boolean THEN
            IF (local_day + (hours ->> 'start')::time) AT TIME ZONE zone <= starts
               AND starts + make_interval(mins => minutes)
                   <= (local_day + (hours ->> 'end')::time) AT TIME ZONE zone THEN
                RETURN true;
            END IF;
        END IF;
    END LOOP;
    RETURN false;
END
$$;
