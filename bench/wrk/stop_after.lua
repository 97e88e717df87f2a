-- With BENCH_STOP_AFTER=N, wrk's one thread stops after N answers (see
-- post.lua for why the main thread needs bench.py's SIGINT then, which
-- BENCH_DONE_FILE tells it to send).  Loaded by post.lua and get.lua.

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
