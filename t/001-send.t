# smotp_send: a phone number in, an OTP request id out.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a JSON send answers the API's request id, expiry and attempts
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber": "+919800000101"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","attemptsLeft":3\}$
--- error_log
smotp send: OTP sent to +91******0101
--- no_error_log
+919800000101
[error]



=== TEST 2: the stand-in sent exactly one SMS for it
--- config
    location = /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800000101;
    }
--- request
GET /t
--- response_body chomp
{"requests":1,"sms":1}



=== TEST 3: an HTML form works as well as JSON
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
phoneNumber=%2B919800000102&other=ignored
--- more_headers
Content-Type: application/x-www-form-urlencoded; charset=UTF-8
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$



=== TEST 4: a Content-Type with parameters and another case is JSON too
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+14155550103","unknown":{"nested":[1,2,3]}}
--- more_headers
Content-Type: Application/JSON; charset=utf-8
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",



=== TEST 5: the newer name of the id, otpRequestId, is accepted
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "id_name=otpRequestId";
    }
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000104"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$



=== TEST 6: $smotp_request_id and $smotp_api_status are there for logs
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Request-Id $smotp_request_id always;
        add_header X-Api-Status $smotp_api_status always;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000105"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers_like
X-Request-Id: ^[0-9a-f-]{36}$
X-Api-Status: ^201$



=== TEST 7: the variables are empty when no API call was made
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Request-Id "[$smotp_request_id]" always;
        add_header X-Api-Status "[$smotp_api_status]" always;
    }
--- request
POST /auth/send-otp
{}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
X-Request-Id: []
X-Api-Status: []
--- response_body chomp
{"error":"phoneNumber is required"}



=== TEST 8: the API location may be elsewhere, with or without a slash
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_api_location /otp-api/;
--- config
    location /otp-api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
    location = /auth/send-otp { smotp_send; }
    location /_smotp_api/ { return 500; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000106"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",



=== TEST 9: 150 sends without a client key are 150 SMS: every key is new
The worker takes its random bytes 64 keys at a time; 150 sends use its
store up twice over, and no key may come back.
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800000107;
    }
--- request eval
[(map { "POST /auth/send-otp\n{\"phoneNumber\":\"+919800000107\"}" } 1 .. 150),
 "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[(200) x 150, 200]
--- response_body_like eval
[(qr/^\{"requestId":"[0-9a-f-]{36}",/) x 150,
 qr/^\Q{"requests":150,"sms":150}\E$/]
