-- wrk script: the same JSON POST on every request.
--
--   BENCH_BODY='{"phoneNumber":"+919876543210"}' wrk -s bench/wrk/post.lua URL
--
-- With BENCH_STOP_AFTER=N the (single) thread stops after N answers, for
-- runs of a fixed number of requests (memory, instruction counts); it is
-- left out otherwise, since a response() callback costs wrk time.

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"phoneNumber":"+919876543210"}'
wrk.headers["Content-Type"] = "application/json"

local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "")

if stop_after then
    local n = 0

    response = function(status, headers, body)
        n = n + 1

        if n >= stop_after then
            wrk.thread:stop()
        end
    end
end
