-- The busy-days trigger on insert (V7) is called for a project's bookings only. Its condition
-- also tested the status, which the function tests again (V9), and PostgreSQL reads a
-- trigger's condition back from its stored form on every INSERT statement that fires it: the
-- status list was most of that work. The condition now keeps only what spares a catalogue
-- booking the call; which inserts change a busy day is unchanged.
DROP TRIGGER bookings_busy_days_insert ON bookings;
CREATE TRIGGER bookings_busy_days_insert AFTER INSERT ON bookings FOR EACH ROW
    WHEN (NEW.project_id IS NOT NULL)
    EXECUTE FUNCTION bookings_busy_days();
