-- POST /api/conversations as the voice agent sends it (Bearer token, a small transcript).
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("BENCH_WRITER_TOKEN")
wrk.body = '{"transcript":{"turns":[{"role":"agent","text":"Hello"},{"role":"caller",'
  .. '"text":"A haircut on Friday, please"}]},"summary":"Haircut request","metadata":{"callId":"bench"}}'
