-- Sample data for local development only (never a migration): the contract's services, an
-- admin and a user (both with password `password123`), two bookings for the user and one for
-- the admin, and the sessions the sample events in events/ sign in with.
-- Idempotent: fixed ids and ON CONFLICT DO NOTHING.

INSERT INTO users (id, email, password_hash, name, role) VALUES
    ('00000000-0000-4000-8000-000000000001', 'admin@example.com',
     '$2b$12$YtWX9Iu.gpqkZsbwXe9KYOe49VYmIRrFDtbHXnLnNp8.m61DAwW3i', 'Admin User', 'ADMIN'),
    ('00000000-0000-4000-8000-000000000002', 'user@example.com',
     '$2b$12$YtWX9Iu.gpqkZsbwXe9KYOe49VYmIRrFDtbHXnLnNp8.m61DAwW3i', 'Test User', 'USER')
ON CONFLICT DO NOTHING;

INSERT INTO services (id, name, description, duration, price) VALUES
    ('00000000-0000-4000-8000-000000000101', 'Haircut', 'Classic haircut and styling', 30, 25.00),
    ('00000000-0000-4000-8000-000000000102', 'Hair Coloring', 'Full hair coloring service', 90, 80.00),
    ('00000000-0000-4000-8000-000000000103', 'Consultation', 'Free initial consultation', 30, 0),
    ('00000000-0000-4000-8000-000000000104', 'Meeting', 'General meeting', 60, NULL)
ON CONFLICT DO NOTHING;

-- Tomorrow at 10:00 (confirmed) and in a week at 14:00 (pending), UTC.
INSERT INTO bookings (id, user_id, service_id, scheduled_at, duration, status, notes) VALUES
    ('00000000-0000-4000-8000-000000000201', '00000000-0000-4000-8000-000000000002',
     '00000000-0000-4000-8000-000000000101',
     date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day 10 hours',
     30, 'CONFIRMED', 'Sample booking'),
    ('00000000-0000-4000-8000-000000000202', '00000000-0000-4000-8000-000000000002',
     '00000000-0000-4000-8000-000000000103',
     date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '7 days 14 hours',
     30, 'PENDING', 'Sample consultation'),
    -- The admin's own booking, in three days at 09:00: another user's booking for the samples.
    ('00000000-0000-4000-8000-000000000203', '00000000-0000-4000-8000-000000000001',
     '00000000-0000-4000-8000-000000000104',
     date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '3 days 9 hours',
     60, 'PENDING', 'Sample admin booking')
ON CONFLICT DO NOTHING;

-- Sessions behind the tokens in events/ (signed with the development secret in events/dev.env,
-- valid until 2100): the user's, the admin's, one already revoked, and one the logout sample
-- revokes. Useless without that secret, which no deployed stack has.
INSERT INTO sessions (id, user_id, expires_at, revoked_at) VALUES
    ('00000000-0000-4000-8000-000000000301', '00000000-0000-4000-8000-000000000002',
     '2100-01-01T00:00:00Z', NULL),
    ('00000000-0000-4000-8000-000000000302', '00000000-0000-4000-8000-000000000001',
     '2100-01-01T00:00:00Z', NULL),
    ('00000000-0000-4000-8000-000000000303', '00000000-0000-4000-8000-000000000002',
     '2100-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('00000000-0000-4000-8000-000000000304', '00000000-0000-4000-8000-000000000002',
     '2100-01-01T00:00:00Z', NULL)
ON CONFLICT DO NOTHING;
