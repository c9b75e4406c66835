-- POST /api/auth/login for a seed account (bcrypt cost 12).
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"email":"bench3@example.com","password":"password123"}'
