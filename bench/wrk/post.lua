-- wrk script: a JSON POST on every request.
--
--   BENCH_BODY='{"phoneNumber":"+919876543210"}' wrk -s bench/wrk/post.lua URL
--
-- With BENCH_VARY=N, BENCH_BODY is a string.format() template with one
-- number in it ('{"phoneNumber":"+9198%08d"}', a requestId ending in
-- '%012x'): N requests are made once, in init(), from the numbers
-- BENCH_VARY_FROM (0) to BENCH_VARY_FROM + N - 1, and sent in turn, so
-- that the abuse limits' zone holds one entry per phone (or request id)
-- and a phone comes back only after N requests.  Making them up front
-- keeps wrk's cost per request to a table read; every variant of one run
-- is sent the same way, so that the client side costs each the same.
--
-- With BENCH_STOP_AFTER=N, wrk's one thread stops after N answers, for
-- runs of a fixed number of requests (memory, instruction counts); it is
-- left out otherwise, since a response() callback costs wrk time.  A
-- stopped thread does not end wrk's main thread, which sleeps out -d: the
-- script then creates the file BENCH_DONE_FILE, and bench/bench.py, which
-- watches for it, sends wrk the SIGINT that wrk takes for Ctrl-C (a signal
-- sent from here could reach the ending thread rather than the sleeping
-- one, and be lost).

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"phoneNumber":"+919876543210"}'
wrk.headers["Content-Type"] = "application/json"

local vary = tonumber(os.getenv("BENCH_VARY") or "")
local vary_from = tonumber(os.getenv("BENCH_VARY_FROM") or "") or 0

if vary then
    local template = wrk.body
    local requests = {}
    local i = 0

    init = function(args)
        for n = 1, vary do
            requests[n] = wrk.format(nil, nil, nil,
                                     string.format(template,
                                                   vary_from + n - 1))
        end
    end

    request = function()
        i = i + 1

        if i > vary then
            i = 1
        end

        return requests[i]
    end
end

-- the BENCH_STOP_AFTER stop, shared with get.lua
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
       .. "stop_after.lua")
