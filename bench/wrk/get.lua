-- wrk script: a GET of the gate's rows with the cookie a verify set.
--
--   BENCH_COOKIE='smotp=AWNX...' wrk -s bench/wrk/get.lua URL
--
-- Every row (no gate, smotp_require, auth_request) is sent the same
-- request, cookie and all, so that the client side costs each the same.

wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
       .. "stop_after.lua")
