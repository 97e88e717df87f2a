-- wrk script: the same JSON POST on every request.
--
--   BENCH_BODY='{"phoneNumber":"+919876543210"}' wrk -s bench/wrk/post.lua URL
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

local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "")
local done_file = os.getenv("BENCH_DONE_FILE")

if stop_after then
    local n = 0

    response = function(status, headers, body)
        n = n + 1

        if n == stop_after then
            wrk.thread:stop()

            if done_file then
                io.open(done_file, "w"):close()
            end
        end
    end
end
