# What the API answers, and what the visitor gets: every failure mode of
# the API (injected through the stand-in's X-Standin-Fault) maps to one
# JSON answer with the right status, and the operator's problems are
# logged, not shown.  Retries are off here: t/010-retries.t is about them.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: the API's 400: the same status and the API's message
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=400; message=phone number is not reachable";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000411"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phone number is not reachable"}
--- no_error_log
[alert]
[crit]



=== TEST 2: the API's message under \"error\" is taken too
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=422; message=unprocessable phone; message_field=error";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000412"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unprocessable phone"}
--- no_error_log
[alert]
[crit]



=== TEST 3: the API's 409 with its message
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=409; message=request in progress";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000413"}
--- more_headers
Content-Type: application/json
--- error_code: 409
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request in progress"}
--- no_error_log
[alert]
[crit]



=== TEST 4: verify: the API's 404
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=404; message=no such OTP request";
    }
    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"no such OTP request"}
--- no_error_log
[alert]
[crit]



=== TEST 5: verify: the API's 410
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=410; message=OTP expired";
    }
    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 410
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP expired"}
--- no_error_log
[alert]
[crit]



=== TEST 6: a 404 without a JSON body gets a message of the module's
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=404; body=nonjson";
    }
    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP request not found"}
--- no_error_log
[alert]
[crit]



=== TEST 7: the API's 401 (bad key) is the operator's problem: 503, logged
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=401";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000417"}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
the API rejected the API key (401)
--- no_error_log
[alert]
[crit]



=== TEST 8: the API's 403 likewise
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=403";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000418"}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
the API rejected the API key (403)
--- no_error_log
[alert]
[crit]



=== TEST 9: the API's 402 (wallet empty): 503, logged
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=402";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000419"}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
the wallet balance is too low (402)
--- no_error_log
[alert]
[crit]



=== TEST 10: the API's 429 with Retry-After: 429 and the same Retry-After
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=429; retry_after=7";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000420"}
--- more_headers
Content-Type: application/json
--- error_code: 429
--- response_headers
Content-Type: application/json
Retry-After: 7
--- response_body chomp
{"error":"too many requests, try again later"}
--- error_log
the API is rate limiting (429)
--- no_error_log
[alert]
[crit]



=== TEST 11: the API's 429 without Retry-After
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=429";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000421"}
--- more_headers
Content-Type: application/json
--- error_code: 429
--- response_headers
Content-Type: application/json
!Retry-After
--- response_body chomp
{"error":"too many requests, try again later"}
--- no_error_log
[alert]
[crit]



=== TEST 12: the API's 500: 502, logged
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=500";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000422"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service error"}
--- error_log
the API answered 500
--- no_error_log
[alert]
[crit]



=== TEST 13: the API's 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=502; body=nonjson";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000423"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service error"}
--- error_log
the API answered 502
--- no_error_log
[alert]
[crit]



=== TEST 14: the API's 503
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503; retry_after=3";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000424"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
!Retry-After
--- response_body chomp
{"error":"OTP service error"}
--- error_log
the API answered 503
--- no_error_log
[alert]
[crit]



=== TEST 15: the API's 504
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=504";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000425"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service error"}
--- error_log
the API answered 504
--- no_error_log
[alert]
[crit]



=== TEST 16: verify: the API's 500
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=500";
    }
    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service error"}
--- error_log
the API answered 500
--- no_error_log
[alert]
[crit]



=== TEST 17: a 200 that is not JSON: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=nonjson";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000427"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API (status 200
--- no_error_log
[alert]
[crit]



=== TEST 18: a 200 without data: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=nodata";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000428"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API
--- no_error_log
[alert]
[crit]



=== TEST 19: a 201 whose data has the wrong types: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=wrongtypes";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000429"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API (status 201
--- no_error_log
[alert]
[crit]



=== TEST 20: verify: \"verified\" as a string: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=wrongtypes";
    }
    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API
--- no_error_log
[alert]
[crit]



=== TEST 21: a JSON array instead of an object: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=notobject";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000431"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API
--- no_error_log
[alert]
[crit]



=== TEST 22: an answer cut short (Content-Length not met): 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=truncated";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000432"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
the API call failed
--- no_error_log
[alert]
[crit]



=== TEST 23: a chunked answer cut short: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=truncated; chunked=1";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000433"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"(OTP service unreachable|unexpected answer from OTP service)"\}$
--- error_log
smotp send: 
--- no_error_log
[alert]
[crit]



=== TEST 24: an answer larger than subrequest_output_buffer_size: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=huge";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000434"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
the API's answer is larger than subrequest_output_buffer_size
--- no_error_log
[alert]
[crit]



=== TEST 25: a chunked answer is read whole
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "chunked=1";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000401"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$
--- no_error_log
[alert]
[crit]



=== TEST 26: an answer delimited by closing the connection is read whole
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "close=1";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000402"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",
--- no_error_log
[alert]
[crit]



=== TEST 27: the connection reset before the API read the body: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "reset=headers";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000437"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
the API call failed
--- no_error_log
[alert]
[crit]



=== TEST 28: the connection reset after the request, before an answer: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "reset=body";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000438"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
the API call failed
--- no_error_log
[alert]
[crit]



=== TEST 29: the connection reset in the middle of the answer's headers: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "reset=midway";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000439"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
the API call failed
--- no_error_log
[alert]
[crit]



=== TEST 30: an API slower than proxy_read_timeout: 504, logged
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "delay=3";
        proxy_read_timeout 1s;
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000440"}
--- more_headers
Content-Type: application/json
--- error_code: 504
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service timed out"}
--- error_log
the API did not answer in time
--- no_error_log
[alert]
[crit]



=== TEST 31: the API cannot be reached (connection refused): 502, logged
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:1/;
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000498"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
connect() failed (111: Connection refused)
the API call failed



=== TEST 32: an API location that does not proxy is a configuration error: 503, logged
--- config
    location /_smotp_api/ {
        internal;
        return 200 '{"success":true,"data":{"requestId":"x"}}';
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000499"}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
the API location did not proxy the call



=== TEST 33: an error_page in the server does not turn the module's errors into HTML
--- config
    error_page 502 503 504 /50x.html;
    location = /50x.html { return 200 "<html>error page</html>"; }
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:1/;
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000497"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unreachable"}



=== TEST 34: a chunked answer larger than the first buffer is read whole
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "chunked=1; pad=3000";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000450"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$
--- no_error_log
[error]
[alert]
[crit]


=== TEST 35: an answer without a length larger than the first buffer is read whole
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "close=1; pad=3000";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000451"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$
--- no_error_log
[error]
[alert]
[crit]


=== TEST 36: an answer of exactly subrequest_output_buffer_size is read
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        subrequest_output_buffer_size 4k;
        proxy_set_header X-Standin-Fault "pad=4096";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000452"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$
--- no_error_log
[error]
[alert]
[crit]


=== TEST 37: one byte more than subrequest_output_buffer_size: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        subrequest_output_buffer_size 4k;
        proxy_set_header X-Standin-Fault "pad=4097";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000453"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
the API's answer is larger than subrequest_output_buffer_size
--- no_error_log
[alert]
[crit]


=== TEST 38: a chunked answer of exactly subrequest_output_buffer_size is read
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        subrequest_output_buffer_size 4k;
        proxy_set_header X-Standin-Fault "chunked=1; pad=4096";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000454"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$
--- no_error_log
[error]
[alert]
[crit]


=== TEST 39: a chunked answer one byte over subrequest_output_buffer_size: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        subrequest_output_buffer_size 4k;
        proxy_set_header X-Standin-Fault "chunked=1; pad=4097";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000455"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
the API's answer is larger than subrequest_output_buffer_size
--- no_error_log
[alert]
[crit]


=== TEST 40: the API's id with a path in it: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "id=../../etc/passwd";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000441"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API (status 201
--- no_error_log
[alert]
[crit]


=== TEST 41: the API's id with a space: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "id=abc def";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000442"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API (status 201
--- no_error_log
[alert]
[crit]


=== TEST 42: an empty id from the API: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "id=";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000443"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API (status 201
--- no_error_log
[alert]
[crit]


=== TEST 43: the API's id of 129 characters: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "id=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000444"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API (status 201
--- no_error_log
[alert]
[crit]


=== TEST 44: the API's id with a character that is not ASCII: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "id=abcé";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000445"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API (status 201
--- no_error_log
[alert]
[crit]


=== TEST 45: the API's id of 128 characters, the most taken, is passed on
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "id=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1234567";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000446"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1234567",
--- no_error_log
[alert]
[crit]



=== TEST 46: the API's id with each punctuation mark an id may have is passed on
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "id=req_01HZX.a:b-C9";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000447"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"req_01HZX\.a:b-C9","expiresAt":"[^"]+","attemptsLeft":3\}$
--- no_error_log
[alert]
[crit]



=== TEST 47: the API's expiresAt with a quote, a tab and a backslash is escaped in the answer
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/otp/send {
        default_type application/json;
        return 201 '{"success":true,"data":{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","expiresAt":"in \\"ten\\" minutes\\t\\\\","attemptsLeft":3}}';
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000448"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body chomp
{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","expiresAt":"in \"ten\" minutes\t\\","attemptsLeft":3}
--- no_error_log
[alert]
[crit]



=== TEST 48: the API's expiresAt in UTF-8 beyond ASCII is passed on as it is
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/otp/send {
        default_type application/json;
        return 201 '{"success":true,"data":{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","expiresAt":"dans dix minutes, à 10 h 40 ✓","attemptsLeft":3}}';
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000449"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body chomp
{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","expiresAt":"dans dix minutes, à 10 h 40 ✓","attemptsLeft":3}
--- no_error_log
[alert]
[crit]
