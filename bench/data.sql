-- A realistic data set for the benchmark: 10,000 users with 20 bookings each (200,000, none
-- overlapping) and 5 conversations each (50,000), on top of the local seed. Every bench user's
-- password is password123 (the seed's cost-12 hash).
INSERT INTO users (email, password_hash, name, role)
SELECT 'bench' || i || '@example.com',
       (SELECT password_hash FROM users WHERE email = 'user@example.com'),
       'Bench User ' || i, 'USER'
FROM generate_series(1, 10000) AS i;

INSERT INTO bookings (user_id, service_id, scheduled_at, duration, status, notes)
SELECT u.id, '00000000-0000-4000-8000-000000000101',
       date_trunc('day', now()) + make_interval(days => d, hours => 8 + (d % 8)),
       30, CASE WHEN d % 3 = 0 THEN 'CONFIRMED' ELSE 'PENDING' END, 'bench'
FROM users u CROSS JOIN generate_series(1, 20) AS d
WHERE u.email LIKE 'bench%';

INSERT INTO conversations (user_id, transcript, summary, metadata, created_at)
SELECT u.id,
       jsonb_build_object('turns', jsonb_build_array(
           jsonb_build_object('role', 'agent', 'text', 'Hello, how can I help?'),
           jsonb_build_object('role', 'caller', 'text', 'I would like a haircut on Friday.'))),
       'Call ' || c || ' of ' || u.email, jsonb_build_object('callId', 'c-' || c),
       now() - make_interval(mins => c)
FROM users u CROSS JOIN generate_series(1, 5) AS c
WHERE u.email LIKE 'bench%';

ANALYZE;
