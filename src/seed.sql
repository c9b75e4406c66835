-- Sample data for local development only (never a migration): the contract's services, an
-- admin and a user (both with password `password123`), two bookings for the user and one for
-- the admin, the sessions the sample events in events/ sign in with, and a voice agent's
-- project (at the end).
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

-- A voice agent's project owned by the user: Monday to Friday, 09:00-17:00 in Europe/Berlin,
-- two services, one agent key (printed at start-up; a development key, useless elsewhere) and
-- two bookings next week that the agent made for callers.
INSERT INTO projects (id, user_id, agent_name, language, greeting, voice_id, business_name,
                      industry, phone, website, time_zone, schedule) VALUES
    ('00000000-0000-4000-8000-000000000401', '00000000-0000-4000-8000-000000000002',
     'Mia', 'en', 'Hello, you are speaking with Mia from Studio Nord. How can I help?',
     'voice-mia', 'Studio Nord', 'Hair salon', '+49 30 1234567', 'https://studio-nord.example',
     'Europe/Berlin',
     '[{"day":"Monday","enabled":true,"start":"09:00","end":"17:00"},
       {"day":"Tuesday","enabled":true,"start":"09:00","end":"17:00"},
       {"day":"Wednesday","enabled":true,"start":"09:00","end":"17:00"},
       {"day":"Thursday","enabled":true,"start":"09:00","end":"17:00"},
       {"day":"Friday","enabled":true,"start":"09:00","end":"17:00"},
       {"day":"Saturday","enabled":false,"start":"10:00","end":"14:00"},
       {"day":"Sunday","enabled":false,"start":"10:00","end":"14:00"}]')
ON CONFLICT DO NOTHING;

INSERT INTO services (id, project_id, name, description, duration, price) VALUES
    ('00000000-0000-4000-8000-000000000411', '00000000-0000-4000-8000-000000000401',
     'Cut and style', 'Wash, cut and blow-dry', 60, 45.00),
    ('00000000-0000-4000-8000-000000000412', '00000000-0000-4000-8000-000000000401',
     'Fringe trim', NULL, 15, 10.00)
ON CONFLICT DO NOTHING;

INSERT INTO agent_keys (id, project_id, name, key_hash) VALUES
    ('00000000-0000-4000-8000-000000000421', '00000000-0000-4000-8000-000000000401',
     'Development agent',
     sha256(convert_to('vak_5eed000000000000000000000000000000000000000000000000000000000001',
                       'UTF8')))
ON CONFLICT DO NOTHING;

-- Next week's Monday at 10:00 and Tuesday at 14:00, Berlin time.
INSERT INTO bookings (id, user_id, service_id, scheduled_at, duration, status, notes,
                      customer_name, customer_phone) VALUES
    ('00000000-0000-4000-8000-000000000431', NULL,
     '00000000-0000-4000-8000-000000000411',
     (date_trunc('week', now() AT TIME ZONE 'Europe/Berlin') + interval '7 days 10 hours')
         AT TIME ZONE 'Europe/Berlin',
     60, 'CONFIRMED', 'Booked by phone', 'Lena Fischer', '+49 171 5550188'),
    ('00000000-0000-4000-8000-000000000432', NULL,
     '00000000-0000-4000-8000-000000000412',
     (date_trunc('week', now() AT TIME ZONE 'Europe/Berlin') + interval '8 days 14 hours')
         AT TIME ZONE 'Europe/Berlin',
     15, 'PENDING', 'Booked by phone', 'Jonas Weber', '+49 170 5550123')
ON CONFLICT DO NOTHING;
