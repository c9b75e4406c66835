-- The expressions the rate-limit statements share (functions/src/auth/queries.rs and
-- functions/src/conversations/queries.rs), written once. Plain SQL functions over one
-- expression, so the planner inlines them: the statements run as before.

-- The start of the current fixed window of `secs` seconds.
CREATE FUNCTION rate_window(secs float8) RETURNS timestamptz
LANGUAGE sql STABLE
AS $$ SELECT date_bin(make_interval(secs => $1), now(), TIMESTAMPTZ '2000-01-01 00:00:00+00') $$;

-- Seconds until the window of `secs` seconds that started at `started` ends; at least 1.
CREATE FUNCTION rate_retry_after(started timestamptz, secs float8) RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT GREATEST(1, ceil(extract(epoch FROM $1 + make_interval(secs => $2) - now())))::bigint $$;

-- How an email names its account in a bucket: the lower() of the users lookup and of the
-- unique index users_email_key, so whatever email finds an account finds its counter too,
-- under any collation (Rust's to_lowercase disagrees with it for some letters, such as İ).
CREATE FUNCTION email_key(email text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT lower($1) $$;

-- The bucket of an account's failed logins.
CREATE FUNCTION login_failures_bucket(email text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT 'login-failures:' || email_key($1) $$;

-- The bucket of an account's failed logins from one source address (which never has a `|`).
CREATE FUNCTION login_failures_from_bucket(address text, email text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT 'login-failures-from:' || $1 || '|' || email_key($2) $$;

-- The account's failed logins in the current window of `secs` seconds.
CREATE FUNCTION login_failures(email text, secs float8) RETURNS int
LANGUAGE sql STABLE
AS $$
    SELECT COALESCE((SELECT hits FROM rate_limits
                     WHERE bucket = login_failures_bucket($1) AND window_start = rate_window($2)), 0)
$$;

REVOKE ALL ON FUNCTION rate_window(float8), rate_retry_after(timestamptz, float8),
    email_key(text), login_failures_bucket(text), login_failures_from_bucket(text, text),
    login_failures(text, float8) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rate_window(float8), rate_retry_after(timestamptz, float8),
    email_key(text), login_failures_bucket(text), login_failures_from_bucket(text, text),
    login_failures(text, float8) TO booking_app;
