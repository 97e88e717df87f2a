# What reaches the API: only the module's own headers and body, with the
# right key, and one SMS per idempotency key.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: none of the client's headers reach the API (the stand-in reports what it got)
--- config
    location = /auth/send-otp { smotp_send; }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800000501;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000501\"}", "GET /last"]
--- more_headers
Content-Type: application/json
Cookie: session=secret-session
Authorization: Bearer secret-token
X-Forwarded-For: 203.0.113.7
X-API-Key: sm_live_client_supplied
User-Agent: curl/8.0
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"method":\s*"POST",\s*"path":\s*"\/otp\/send",\s*"headerNames":\s*\["accept",\s*"connection",\s*"content-length",\s*"content-type",\s*"host",\s*"x-api-key"\],\s*"apiKeyValid":\s*true,\s*"body":\s*\{"phoneNumber":\s*"\+919800000501",\s*"idempotencyKey":\s*"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"\}\}$/]



=== TEST 2: the verify call carries just the request id and the code
--- config
    location = /auth/verify-otp { smotp_verify; }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?requestId=0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f05;
    }
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f05\",\"otpCode\":\"0042\",\"extra\":1}", "GET /last"]
--- more_headers
Content-Type: application/json
Cookie: session=secret-session
--- error_code eval
[404, 200]
--- response_body_like eval
[qr/^\{"error":"OTP request not found"\}$/,
 qr/^\{"method":\s*"POST",\s*"path":\s*"\/otp\/verify",\s*"headerNames":\s*\["accept",\s*"connection",\s*"content-length",\s*"content-type",\s*"host",\s*"x-api-key"\],\s*"apiKeyValid":\s*true,\s*"body":\s*\{"requestId":\s*"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f05",\s*"otpCode":\s*"0042"\}\}$/]



=== TEST 3: the same Idempotency-Key twice sends one SMS
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800000503;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000503\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800000503\"}",
 "GET /stats"]
--- more_headers
Content-Type: application/json
Idempotency-Key: 6f1c2b7e-3d4a-4b5c-8d9e-0a1b2c3d4e5f
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requests":2,"sms":1\}$/]



=== TEST 4: both answers carry the same request id
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Id $smotp_request_id;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000503\"}"]
--- more_headers
Content-Type: application/json
Idempotency-Key: 6F1C2B7E-3D4A-4B5C-8D9E-0A1B2C3D4E5F
--- error_code: 200
--- response_headers
X-Id: {{inbox:+919800000503:requestId}}



=== TEST 5: the same Idempotency-Key for another phone is another send
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800000505;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000505\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
Idempotency-Key: 6f1c2b7e-3d4a-4b5c-8d9e-0a1b2c3d4e5f
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\{"requests":1,"sms":1\}$/]



=== TEST 6: without an Idempotency-Key, each send is a new one
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800000506;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000506\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800000506\"}",
 "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId"/, qr/^\{"requestId"/, qr/^\{"requests":2,"sms":2\}$/]



=== TEST 7: the key may come from a variable: one nginx, two accounts (map $host)
--- http_config
    map $host $smotp_key {
        default          sm_test_0123456789abcdef;
        second.example   sm_test_second_account;
    }
    smotp_api_key $smotp_key;
--- config
    location = /auth/send-otp { smotp_send; }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800000507;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000507\"}", "GET /last"]
--- more_headers
Content-Type: application/json
Host: second.example
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/"apiKeyValid":\s*true/]



=== TEST 8: a key the API does not know: 503 for the visitor, the cause in the log, never the key
--- http_config
    map $host $smotp_key {
        default          sm_test_unknown_account_key;
    }
    smotp_api_key $smotp_key;
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000508"}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
the API rejected the API key (401)
--- no_error_log eval
qr/\[(error|warn|notice|info)\][^\n]*sm_test_unknown_account_key/



=== TEST 9: a variable key that comes out empty: 503, logged, no API call
--- http_config
    map $host $smotp_key {
        default          "";
    }
    smotp_api_key $smotp_key;
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000509"}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
the API key for this request is empty
--- no_error_log
smotp send: API call



=== TEST 10: the key from smotp_api_key_file, surrounding white space ignored
--- http_config
    smotp_api_key_file ../html/smotp.key;
--- config
    location = /auth/send-otp { smotp_send; }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800000510;
    }
--- user_files
>>> smotp.key
  sm_test_second_account

--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000510\"}", "GET /last"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/"apiKeyValid":\s*true/]



=== TEST 11: a location's own key overrides the server's
--- http_config
    smotp_api_key sm_test_unknown_account_key;
--- config
    location = /auth/send-otp {
        smotp_api_key sm_test_0123456789abcdef;
        smotp_send;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000511"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",



=== TEST 12: proxy_set_header in the API location replaces the module's X-API-Key and Accept: the API gets one of each
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-API-Key sm_test_second_account;
        proxy_set_header Accept "application/json, */*;q=0.1";
    }
    location = /auth/send-otp { smotp_send; }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800000512;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000512\"}", "GET /last"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/"headerNames":\s*\["accept",\s*"connection",\s*"content-length",\s*"content-type",\s*"host",\s*"x-api-key"\],\s*"apiKeyValid":\s*true,/]



=== TEST 13: the key proxy_set_header gives is the one the API sees: a wrong one is rejected
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-API-Key sm_test_not_an_account;
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000513"}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
the API rejected the API key (401)



=== TEST 14: an API location that is not internal gets no call: 503, logged, nothing sent to it
--- config
    smotp_api_location /app/;
    location /app/ {
        proxy_pass http://127.0.0.1:1/;
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000514"}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
smotp: the API call "/app/otp/send" matches location "/app/", which is not internal
the API location did not proxy the call, it refused it (503)
--- no_error_log
connect() failed
[alert]
