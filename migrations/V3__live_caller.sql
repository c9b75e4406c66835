-- The caller of a request while its session is live (not revoked, not expired, user not
-- deleted): the user's id and current role, else no row. Every statement acting for a
-- signed-in caller joins it, so the session check costs no round trip of its own. A plain SQL
-- function over one SELECT, neither STRICT nor SECURITY DEFINER, so the planner inlines it
-- into the calling statement; it runs with the caller's privileges on sessions and users.
CREATE FUNCTION live_caller(session uuid, account uuid)
RETURNS TABLE (id uuid, role text)
LANGUAGE sql STABLE
AS $$
    SELECT u.id, u.role
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
$$;

REVOKE ALL ON FUNCTION live_caller(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION live_caller(uuid, uuid) TO booking_app;
