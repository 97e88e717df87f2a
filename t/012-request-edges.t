# Requests the module refuses or takes at the edges of HTTP: a Content-Type
# that starts with a tab, a Content-Encoding past nginx's first 20 header
# lines, Idempotency-Keys of a UUID's length that are not one, a key that
# is not valid when evaluated, an empty chunked body, a refused request
# whose body nginx cannot discard, a body that never comes, and
# nginx's own refusals, in JSON, with the text of their status.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

log_level('info');
no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a Content-Type value that starts with a tab
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type:\tapplication/json\r\nContent-Length: 31\r\nConnection: close\r\n\r\n{\"phoneNumber\":\"+919800001241\"}"
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",
--- no_error_log
[error]
[alert]



=== TEST 2: a Content-Encoding after 20 other header lines is still seen
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001242"}
--- more_headers eval
join("", map { "X-Filler-$_: $_\n" } 1 .. 24)
. "Content-Type: application/json\nContent-Encoding: gzip\n"
--- error_code: 415
--- response_headers
Accept-Encoding: identity
--- response_body chomp
{"error":"Content-Encoding is not supported: send the body as it is"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 3: an Idempotency-Key of 256 characters, one past the longest
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001243"}
--- more_headers
Content-Type: application/json
Idempotency-Key: 3f1c9a2e07b4d04e8f09a1b02c3d4e5f6a7b3f1c9a2e07b4d04e8f09a1b02c3d4e5f6a7b3f1c9a2e07b4d04e8f09a1b02c3d4e5f6a7b3f1c9a2e07b4d04e8f09a1b02c3d4e5f6a7b3f1c9a2e07b4d04e8f09a1b02c3d4e5f6a7b3f1c9a2e07b4d04e8f09a1b02c3d4e5f6a7b3f1c9a2e07b4d04e8f09a1b02c3d4e5f6a7b0123
--- error_code: 400
--- response_body chomp
{"error":"Idempotency-Key must be 1 to 255 visible ASCII characters, bare or as a quoted string"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 4: an Idempotency-Key quoted, with a tab in it
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001244"}
--- more_headers eval
"Content-Type: application/json\nIdempotency-Key: \"3f1c9a2e-7b4d-4e8f\t9a1b-2c3d4e5f6a7b\""
--- error_code: 400
--- response_body chomp
{"error":"Idempotency-Key must be 1 to 255 visible ASCII characters, bare or as a quoted string"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 5: a key from a variable that is not one word, with an Idempotency-Key: 503, the key not logged
--- http_config
    smotp_api_key $http_x_account_key;
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001245"}
--- more_headers
Content-Type: application/json
Idempotency-Key: 3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b
X-Account-Key: sm_test_not one_word
--- error_code: 503
--- response_body chomp
{"error":"OTP service unavailable"}
--- no_error_log
one_word
smotp send: API call
[alert]



=== TEST 6: an empty chunked body: no phone number
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber is required"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 7: refused with a broken chunked body: the answer, then the connection closed
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
--- error_code: 415
--- response_headers
Connection: close
--- response_body chomp
{"error":"Content-Type must be application/json or application/x-www-form-urlencoded"}
--- timeout: 3
--- no_error_log
smotp send: API call
[alert]



=== TEST 8: a body that stops short: closed at client_body_timeout, no answer (nginx never sends its 408)
--- config
    client_body_timeout 1s;
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"phoneNumber\":"
--- log_level: debug
--- error_code eval
""
--- response_body eval
""
--- error_log
http finalize request: 408
--- no_error_log
smotp send: API call
[alert]
--- timeout: 5



=== TEST 9: TRACE, which nginx refuses before it picks a location: 405 in JSON
--- config
    location = /auth/send-otp { smotp_send; }
--- request
TRACE /auth/send-otp
--- error_code: 405
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"method not allowed"}
--- no_error_log
[alert]



=== TEST 10: nginx's own 411, 429, 502 and 504 in an smotp location (return, limit_req...) in JSON
--- config
    location = /411 { smotp_send; return 411; }
    location = /429 { smotp_send; return 429; }
    location = /502 { smotp_verify; return 502; }
    location = /504 { smotp_verify; return 504; }
--- request eval
["POST /411", "POST /429", "POST /502", "POST /504"]
--- error_code eval
[411, 429, 502, 504]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: application/json", "Content-Type: application/json"]
--- response_body eval
['{"error":"Content-Length is required"}',
 '{"error":"too many requests, try again later"}',
 '{"error":"OTP service error"}',
 '{"error":"OTP service timed out"}']
--- no_error_log eval
["[alert]", "[alert]", "[alert]", "[alert]"]
