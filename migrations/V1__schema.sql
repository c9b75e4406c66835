-- The booking API's schema: users, their sessions, services, bookings, conversation logs, and
-- the counters behind login/register rate limits.

-- btree_gist lets the bookings exclusion constraint compare user ids (=) and ranges (&&)
-- in one GiST index. It is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    name          text,
    phone         text,
    role          text        NOT NULL DEFAULT 'USER',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_role_check CHECK (role IN ('USER', 'ADMIN')),
    CONSTRAINT users_email_length CHECK (char_length(email) BETWEEN 3 AND 254)
);
-- Emails are unique and compared case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- One row per issued token. Logout sets revoked_at; every protected request checks it in the
-- same statement as its own query, so revocation holds even where API Gateway caches.
CREATE TABLE sessions (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE services (
    id          uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text          NOT NULL,
    description text,
    duration    integer       NOT NULL,
    price       numeric(10,2),
    is_active   boolean       NOT NULL DEFAULT true,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT services_duration_check CHECK (duration > 0),
    CONSTRAINT services_price_check CHECK (price >= 0)
);
CREATE INDEX services_active_name_idx ON services (name) WHERE is_active;

-- A minutes-only interval is the same length in every time zone, so this is truly immutable
-- (timestamptz + interval in general is only stable) and may be used in the index below.
CREATE FUNCTION booking_end(starts timestamptz, minutes integer) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT starts + make_interval(mins => minutes) $$;

CREATE TABLE bookings (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_id       uuid        NOT NULL REFERENCES services (id) ON DELETE RESTRICT,
    scheduled_at     timestamptz NOT NULL,
    duration         integer     NOT NULL,
    status           text        NOT NULL DEFAULT 'PENDING',
    cal_com_event_id text,
    notes            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bookings_status_check
        CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'COMPLETED')),
    -- Positive and bounded: an empty range would slip inside a taken slot unnoticed.
    CONSTRAINT bookings_duration_check CHECK (duration BETWEEN 1 AND 1440),
    -- The rule the API promises: one person never holds two live bookings that overlap.
    -- Half-open ranges let back-to-back slots both succeed. Enforced here so it holds under
    -- any concurrency, on insert and on reschedule alike.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        user_id WITH =,
        tstzrange(scheduled_at, booking_end(scheduled_at, duration), '[)') WITH &&
    ) WHERE (status IN ('PENDING', 'CONFIRMED'))
);
-- The dashboard's list: one user's bookings, newest first.
CREATE INDEX bookings_user_scheduled_idx ON bookings (user_id, scheduled_at DESC);
CREATE INDEX bookings_service_id_idx ON bookings (service_id);

CREATE TABLE conversations (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid        REFERENCES users (id) ON DELETE SET NULL,
    transcript jsonb       NOT NULL,
    summary    text,
    metadata   jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversations_transcript_object CHECK (jsonb_typeof(transcript) = 'object'),
    CONSTRAINT conversations_metadata_object
        CHECK (metadata IS NULL OR jsonb_typeof(metadata) = 'object')
);
CREATE INDEX conversations_user_created_idx ON conversations (user_id, created_at DESC, id DESC);

-- Fixed-window counters for brute-force limits: one row per bucket (e.g. an address or an
-- account) and window.
CREATE TABLE rate_limits (
    bucket       text        NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);
