# The worker is never blocked: while the API takes 2 s to answer a send,
# the same single worker serves another location at once.
#
# The send is started by a mirror subrequest (its own connection to this
# server), and the main request proxies to /fast on the same server.  The
# error log's order proves which finished first: /fast's rewrite_log line
# must come before the send's "OTP sent" line, 2 s later.
#
# smotp-test: serial (its times are asserted: scripts/test.sh runs it
# alone, after the shards, not beside another file under valgrind)

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: another location answers while the API call is in flight
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "delay=2";
    }
    location = /auth/send-otp { smotp_send; }

    location = /t {
        mirror /slow-send;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fast;
    }
    location = /slow-send {
        internal;
        proxy_method POST;
        proxy_set_header Content-Type application/json;
        proxy_set_body '{"phoneNumber":"+919800000801"}';
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/auth/send-otp;
    }
    location = /fast {
        rewrite_log on;
        rewrite ^ /fast-answer last;
    }
    location = /fast-answer {
        return 200 "fast\n";
    }
--- request
GET /t
--- timeout: 10
--- error_code: 200
--- response_body
fast
--- grep_error_log eval
qr/rewritten data: "\/fast-answer"|smotp send: OTP sent/
--- grep_error_log_out
rewritten data: "/fast-answer"
smotp send: OTP sent
