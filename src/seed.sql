-- Sample data for local development only (never a migration): the contract's services, an
-- admin and a user (both with password `password123`), and two bookings for the user.
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
     30, 'PENDING', 'Sample consultation')
ON CONFLICT DO NOTHING;
