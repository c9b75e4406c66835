-- A realistic data set for the benchmark: 10,000 users with 20 bookings each (200,000, none
-- overlapping) and 5 conversations each (50,000), and a voice agent's project with 5,000
-- bookings, on top of the local seed. Every bench user's
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

-- A voice agent's project with 5,000 bookings, owned by the seed's user: open every day
-- 08:00-20:00 in Europe/Berlin, one 30-minute service, 16 bookings a day (08:00-16:00) from
-- 100 days ago to 212 days ahead, made by its agent. Its key is bench/run's BENCH_AGENT_KEY.
INSERT INTO projects (id, user_id, agent_name, language, voice_id, business_name, industry,
                      phone, time_zone, schedule)
SELECT '00000000-0000-4000-8000-000000000501', id, 'Bench', 'en', 'voice-bench', 'Bench Studio',
       'Hair salon', '+49 30 1234567', 'Europe/Berlin',
       (SELECT jsonb_agg(jsonb_build_object('day', d, 'enabled', true, 'start', '08:00',
                                            'end', '20:00'))
        FROM unnest(ARRAY['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday',
                          'Sunday']) AS d)
FROM users WHERE email = 'user@example.com';

INSERT INTO services (id, project_id, name, duration, price)
VALUES ('00000000-0000-4000-8000-000000000511', '00000000-0000-4000-8000-000000000501',
        'Bench cut', 30, 30.00);

INSERT INTO agent_keys (project_id, name, key_hash)
VALUES ('00000000-0000-4000-8000-000000000501', 'Bench agent',
        sha256(convert_to('vak_bench000000000000000000000000000000000000000000000000000000001',
                          'UTF8')));

INSERT INTO bookings (user_id, service_id, scheduled_at, duration, status, customer_name)
SELECT NULL, '00000000-0000-4000-8000-000000000511',
       (date_trunc('day', now() AT TIME ZONE 'Europe/Berlin')
        + make_interval(days => i / 16 - 100, hours => 8, mins => (i % 16) * 30))
           AT TIME ZONE 'Europe/Berlin',
       30, CASE WHEN i % 3 = 0 THEN 'CONFIRMED' ELSE 'PENDING' END, 'Caller ' || i
FROM generate_series(0, 4999) AS i;

ANALYZE;
