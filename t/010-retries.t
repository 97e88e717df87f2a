# Retries (issue 3): what each API fault costs.  Every row shows the
# visitor's answer, how many calls the stand-in saw, and how many SMS it
# "sent": never more than one per send, however many attempts it took.
# smotp_retries 2 and smotp_retry_backoff 200ms 2s are the defaults.
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

=== TEST 1: 503 every time: three attempts, then 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001001;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001001\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"OTP service error"}\E$/, qr/^\Q{"requests":3,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 2: 500 once: the retry sends the SMS
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=500; fail_first=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001002;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001002\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 3: 502 twice: the third attempt sends it
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=502; fail_first=2";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001003;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001003\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":3,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 4: 504 three times: retries run out, 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=504; fail_first=3";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001004;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001004\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"OTP service error"}\E$/, qr/^\Q{"requests":3,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 5: reset before the API read the body, once
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "reset=headers; fail_first=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001005;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001005\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 6: reset after the request was sent, before an answer, once
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "reset=body; fail_first=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001006;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001006\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 7: reset after the API sent the SMS: the retry reuses the key, one SMS
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "reset=midway; fail_first=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001007;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001007\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 8: an answer slower than proxy_read_timeout, once: one SMS
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "delay=2; fail_first=1";
        proxy_read_timeout 1s;
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001008;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001008\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 9: 429 with a Retry-After that fits in the deadline: waited, then sent
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=429; retry_after=1; fail_first=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001009;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001009\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 10: 429 with a Retry-After past the deadline: no retry, 429 passed on
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=429; retry_after=30";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001010;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001010\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[429, 200]
--- response_body_like eval
[qr/^\Q{"error":"too many requests, try again later"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 11: 429 without Retry-After, once: retried after the backoff
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=429; fail_first=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001011;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001011\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 12: 400 is not retried
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=400; message=bad phone";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001012;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001012\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 200]
--- response_body_like eval
[qr/^\Q{"error":"bad phone"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 13: a 200 that is not JSON is not retried
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=nonjson";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001013;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001013\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"unexpected answer from OTP service"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 14: a 200 without data is not retried
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=nodata";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001014;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001014\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"unexpected answer from OTP service"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 15: data of the wrong types is not retried
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=wrongtypes";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001015;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001015\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"unexpected answer from OTP service"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 16: an answer cut short every time: three attempts, 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=truncated";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001016;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001016\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"OTP service unreachable"}\E$/, qr/^\Q{"requests":3,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 17: an answer cut short once: the retry sends it
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=truncated; fail_first=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001017;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001017\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 18: a chunked answer cut short once: the retry sends it
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=truncated; chunked=1; fail_first=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001018;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001018\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":2,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 19: an answer larger than the buffer is not retried
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=huge";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001019;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001019\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"unexpected answer from OTP service"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 20: a chunked answer
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "chunked=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001020;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001020\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":1,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 21: an answer delimited by closing the connection
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "close=1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001021;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001021\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\Q{"requests":1,"sms":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 22: verify: 500 is not retried (the API used up an attempt)
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=500";
    }
    location = /auth/verify-otp { smotp_verify; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?requestId=0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e1022;
    }
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e1022\",\"otpCode\":\"123456\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"OTP service error"}\E$/, qr/^\Q{"requests":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 23: verify: reset after the request was sent is not retried
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "reset=body";
    }
    location = /auth/verify-otp { smotp_verify; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?requestId=0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e1023;
    }
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e1023\",\"otpCode\":\"123456\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"OTP service unreachable"}\E$/, qr/^\Q{"requests":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 24: verify: an answer slower than proxy_read_timeout is not retried
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "delay=2";
        proxy_read_timeout 1s;
    }
    location = /auth/verify-otp { smotp_verify; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?requestId=0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e1024;
    }
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e1024\",\"otpCode\":\"123456\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[504, 200]
--- response_body_like eval
[qr/^\Q{"error":"OTP service timed out"}\E$/, qr/^\Q{"requests":1}\E$/]
--- timeout: 8
--- no_error_log
[alert]
[crit]



=== TEST 25: verify: 429 is not retried
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=429; retry_after=1";
    }
    location = /auth/verify-otp { smotp_verify; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?requestId=0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e1025;
    }
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e1025\",\"otpCode\":\"123456\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[429, 200]
--- response_body_like eval
[qr/^\Q{"error":"too many requests, try again later"}\E$/, qr/^\Q{"requests":1}\E$/]
--- no_error_log
[alert]
[crit]



=== TEST 26: a refused connection is retried, for a send: three attempts
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:1/;
    }
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001090"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"OTP service unreachable"}
--- grep_error_log eval
qr/connect\(\) failed \(111: Connection refused\)/
--- grep_error_log_out
connect() failed (111: Connection refused)
connect() failed (111: Connection refused)
connect() failed (111: Connection refused)



=== TEST 27: ... and for a verify, which never reached the API
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:1/;
    }
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5091","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"OTP service unreachable"}
--- grep_error_log eval
qr/connect\(\) failed \(111: Connection refused\)/
--- grep_error_log_out
connect() failed (111: Connection refused)
connect() failed (111: Connection refused)
connect() failed (111: Connection refused)



=== TEST 28: a certificate that does not verify: retried (never sent), then 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_STANDIN_TLS_PORT/;
        proxy_ssl_name localhost;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/wrong-ca.crt;
    }
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001092"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"OTP service unreachable"}
--- grep_error_log eval
qr/upstream SSL certificate verify error/
--- grep_error_log_out
upstream SSL certificate verify error
upstream SSL certificate verify error
upstream SSL certificate verify error



=== TEST 29: smotp_retries 0: one attempt
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001093;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001093\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"OTP service error"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
retrying



=== TEST 30: the deadline ends a slow call: 504 then, and its attempt (the connection closes before the API's 3 s)
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "delay=3";
        proxy_read_timeout 10s;
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 1s;
        add_header X-Time $request_time always;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001094"}
--- more_headers
Content-Type: application/json
--- timeout: 2.5
--- error_code: 504
--- response_headers_like
X-Time: ^(0\.9|1\.[0-4])\d*$
--- response_body chomp
{"error":"OTP service timed out"}
--- error_log
no answer from the API within smotp_deadline (1000ms, 1 attempt), client:
finalize http upstream request: -4
--- no_error_log
[alert]
smotp send: OTP sent



=== TEST 31: no retry starts that the deadline would cut: the answer comes at once
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503";
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 2s;
        smotp_retry_backoff 5s 5s;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001095;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001095\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\Q{"error":"OTP service error"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
retrying



=== TEST 32: the visitor leaving during the backoff cancels the retry
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503";
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_retry_backoff 2s 2s;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001096"}
--- more_headers
Content-Type: application/json
--- timeout: 0.5
--- abort
--- wait: 2.5
--- ignore_response
--- error_log
retrying in
client prematurely closed connection
--- no_error_log
otp/send", attempt 2
[alert]



=== TEST 33: ... and no call was made after it
--- config
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001096;
    }
--- request
GET /stats
--- response_body chomp
{"requests":1,"sms":0}



=== TEST 34: the visitor leaving during an attempt ends it
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "delay=2";
    }
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001097"}
--- more_headers
Content-Type: application/json
--- timeout: 0.5
--- abort
--- wait: 0.5
--- ignore_response
--- error_log
client prematurely closed connection
--- no_error_log
[alert]
smotp send: OTP sent



=== TEST 35: the retry is logged with its cause and delay
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503";
    }
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001098"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"OTP service error"}
--- grep_error_log eval
qr/the API answered 503(?:, retrying in \d+ms \(attempt \d of 3\))?/
--- grep_error_log_out eval
qr/\Athe API answered 503, retrying in \d+ms \(attempt 2 of 3\)
the API answered 503, retrying in \d+ms \(attempt 3 of 3\)
the API answered 503
\z/



=== TEST 36: an answer cut short is logged as such
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=truncated";
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001099"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
upstream prematurely closed connection
the API's answer was cut short
