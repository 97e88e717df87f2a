# The API location is the user's: what they add there or inherit from
# http{} and server{} (limit_req with a delay, proxy_intercept_errors with
# an error_page, an X-Accel-Redirect in the answer) never breaks the
# module's promises: an answer by smotp_deadline and no connection left
# behind, the API's status mapped, and the key going nowhere but the API.
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

=== TEST 1: limit_req with a burst delays the call: it is made when the delay ends, and the visitor gets the API's answer
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    limit_req_zone $request_method zone=api:1m rate=2r/s;
--- config
    location /_smotp_api/ {
        internal;
        limit_req zone=api burst=5;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 5s;
        add_header X-Time $request_time always;
    }
--- request eval
[
"POST /auth/send-otp
{\"phoneNumber\":\"+919800001101\"}",
"POST /auth/send-otp
{\"phoneNumber\":\"+919800001102\"}",
]
--- more_headers
Content-Type: application/json
--- timeout: 4
--- error_code eval
[200, 200]
--- response_headers_like eval
# (under valgrind the first call takes longer than the limiter's 0.5 s,
# and the second is not held back)
["X-Time: ^\\d+\\.\\d+\$",
 $ENV{TEST_NGINX_USE_VALGRIND} ? "X-Time: ^\\d+\\.\\d+\$"
                               : "X-Time: ^(0\\.[3-9]|[1-4]\\.)\\d*\$"]
--- response_body_like eval
['^\{"requestId":"[^"]+",', '^\{"requestId":"[^"]+",']
--- no_error_log
[alert]
smotp_deadline



=== TEST 2: a delay longer than smotp_deadline: 504 at the deadline, not when the delay ends, and the connection is let go
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    limit_req_zone $request_method zone=api:1m rate=1r/m;
--- config
    location /_smotp_api/ {
        internal;
        limit_req zone=api burst=5;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 1s;
        add_header X-Time $request_time always;
    }
--- request eval
[
"POST /auth/send-otp
{\"phoneNumber\":\"+919800001103\"}",
"POST /auth/send-otp
{\"phoneNumber\":\"+919800001104\"}",
]
--- more_headers
Content-Type: application/json
--- timeout: 3
--- error_code eval
[200, 504]
--- response_headers_like eval
["X-Time: ^0\\.[0-4]\\d*\$", "X-Time: ^(0\\.9|1\\.[0-4])\\d*\$"]
--- response_body_like eval
['^\{"requestId":"[^"]+",', '^\{"error":"OTP service timed out"\}$']
--- no_error_log
[alert]



=== TEST 3: after a 504 at the deadline of a delayed call, the same connection serves the next request
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    limit_req_zone $request_method zone=api:1m rate=1r/m;
--- config
    location /_smotp_api/ {
        internal;
        limit_req zone=api burst=5;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 1s;
    }
    location = /ok { return 200 "ok\n"; }
--- pipelined_requests eval
[
"POST /auth/send-otp
{\"phoneNumber\":\"+919800001105\"}",
"POST /auth/send-otp
{\"phoneNumber\":\"+919800001106\"}",
"GET /ok",
]
--- more_headers
Content-Type: application/json
--- timeout: 4
--- error_code eval
[200, 504, 200]
--- response_body_like eval
['^\{"requestId":"[^"]+",', '^\{"error":"OTP service timed out"\}$', '^ok$']
--- no_error_log
[alert]



=== TEST 4: limit_req refusing the call (nodelay, over the burst) is the API location refusing it: 503
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    limit_req_zone $request_method zone=api:1m rate=1r/m;
--- config
    location /_smotp_api/ {
        internal;
        limit_req zone=api nodelay;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request eval
[
"POST /auth/send-otp
{\"phoneNumber\":\"+919800001107\"}",
"POST /auth/send-otp
{\"phoneNumber\":\"+919800001108\"}",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 503]
--- response_body_like eval
['^\{"requestId":"[^"]+",', '^\{"error":"OTP service unavailable"\}$']
--- no_error_log
[alert]



=== TEST 5: an inherited proxy_intercept_errors with an error_page: the API's 404 stays a 404
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    proxy_intercept_errors on;
--- config
    error_page 404 /not-found.html;
    location = /not-found.html { return 200 "<html>not found</html>"; }
    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }
--- request
POST /auth/verify-otp
{"requestId":"no-such-request-1105","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP request not found"}
--- no_error_log
the API call failed
[alert]



=== TEST 6: proxy_intercept_errors with an error_page for 503: the API's 503 is the API's, retried for a send, never the page
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    proxy_intercept_errors on;
--- config
    error_page 503 /busy.html;
    location = /busy.html { return 200 "<html>busy</html>"; }
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503; fail_first=1";
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_retries 1;
        smotp_retry_backoff 10ms 10ms;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001109"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: ^\{"requestId":"[^"]+",
--- error_log
the API answered 503, retrying in
--- no_error_log
the API call failed
[alert]



=== TEST 7: X-Accel-Redirect in the API's answer is not followed: the internal file it names never reaches the visitor
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/otp/send {
        add_header X-Accel-Redirect /private/answer;
        return 200 '{}';
    }
    location /private/ {
        internal;
        default_type application/json;
        return 200 '{"success":true,"data":{"requestId":"from-a-private-file"}}';
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001110"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
the API's answer redirected the call to "/private/answer" (X-Accel-Redirect): it is not followed
--- no_error_log
from-a-private-file
[alert]



=== TEST 8: X-Accel-Redirect to another proxying location: the key and the body are not sent there
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/otp/send {
        add_header X-Accel-Redirect /elsewhere/collect;
        return 200 '{}';
    }
    location /elsewhere/ {
        internal;
        proxy_pass http://127.0.0.1:1/;
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001111"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
the API's answer redirected the call to "/elsewhere/collect"
--- no_error_log
connect() failed
[alert]



=== TEST 9: X-Accel-Redirect to a named location is refused the same way, and a send is not retried for it
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/otp/send {
        add_header X-Accel-Redirect @collect;
        return 200 '{}';
    }
    location @collect {
        proxy_pass http://127.0.0.1:1;
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_retries 2;
        smotp_retry_backoff 10ms 10ms;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001112"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
the API's answer redirected the call to
--- no_error_log
connect() failed
retrying in
[alert]



=== TEST 10: with proxy_ignore_headers X-Accel-Redirect, as the shipped location has, the API's own answer is used
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
        proxy_ignore_headers X-Accel-Redirect;
    }
    location = /canned/otp/send {
        add_header X-Accel-Redirect /private/answer;
        default_type application/json;
        return 200 '{"success":true,"data":{"requestId":"the-api-s-own-id"}}';
    }
    location /private/ {
        internal;
        return 200 '{"success":true,"data":{"requestId":"from-a-private-file"}}';
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001113"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"requestId":"the-api-s-own-id"}
--- no_error_log
redirected
[alert]
