-- The RSVP POST path: a form post with the session cookie and its CSRF token
-- (both fetched by bench/run.py and passed in WRK_BODY and -H Cookie).
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
