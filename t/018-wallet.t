# smotp_wallet: the account's balance, a GET with nothing of the client's
# sent on, the API's answer checked and copied.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: the balance, as the API gives it, a decimal written plainly (the stand-in answers /wallet to a GET only)
--- config
    location = /wallet { smotp_wallet; }
--- request
GET /wallet
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body chomp
{"balance":250,"currency":"INR"}
--- no_error_log
[error]



=== TEST 2: HEAD: the headers alone
--- config
    location = /wallet { smotp_wallet; }
--- request
HEAD /wallet
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body



=== TEST 3: a POST is refused: 405 with Allow
--- config
    location = /wallet { smotp_wallet; }
--- request
POST /wallet
{"balance":1}
--- more_headers
Content-Type: application/json
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body chomp
{"error":"method not allowed"}



=== TEST 4: a body sent with the GET is read off and goes nowhere; the next request on the connection is served
--- config
    location = /wallet { smotp_wallet; }
--- pipelined_requests eval
["GET /wallet\n{\"please\":\"ignore me\"}", "GET /wallet"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body eval
['{"balance":250,"currency":"INR"}', '{"balance":250,"currency":"INR"}']



=== TEST 5: the API's fields of the wrong types: 502, logged
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "body=wrongtypes";
    }
    location = /wallet { smotp_wallet; smotp_retries 0; }
--- request
GET /wallet
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
smotp wallet: unexpected answer from the API



=== TEST 6: a balance of another shape: a fraction, as few digits as it takes; no currency
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/wallet {
        default_type application/json;
        return 200 '{"success":true,"data":{"balance":1234.50}}';
    }
    location = /wallet { smotp_wallet; }
--- request
GET /wallet
--- error_code: 200
--- response_body chomp
{"balance":1234.5}



=== TEST 7: a balance that is not a number, or missing: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/wallet {
        default_type application/json;
        return 200 '{"success":true,"data":{"currency":"INR"}}';
    }
    location = /wallet { smotp_wallet; smotp_retries 0; }
--- request
GET /wallet
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}



=== TEST 8: a rejected key is the operator's problem: 503, logged
--- http_config
    smotp_api_key sm_test_not_a_key_of_the_standin;
--- config
    location = /wallet { smotp_wallet; }
--- request
GET /wallet
--- error_code: 503
--- response_body chomp
{"error":"OTP service unavailable"}
--- error_log
the API rejected the API key (401)



=== TEST 9: a 503 of the API is retried: a GET may be made again
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503; fail_first=1";
    }
    location = /wallet { smotp_wallet; smotp_retry_backoff 10ms 10ms; }
--- request
GET /wallet
--- error_code: 200
--- response_body chomp
{"balance":250,"currency":"INR"}
--- error_log
the API answered 503, retrying in



=== TEST 10: behind allow and deny, as README shows: another address gets 403 in JSON
--- config
    location = /wallet { allow 192.0.2.1; deny all; smotp_wallet; }
--- request
GET /wallet
--- error_code: 403
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request failed"}



=== TEST 11: a currency that is not a string: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/wallet {
        default_type application/json;
        return 200 '{"success":true,"data":{"balance":12,"currency":356}}';
    }
    location = /wallet { smotp_wallet; smotp_retries 0; }
--- request
GET /wallet
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}



=== TEST 12: a balance too large to write exactly (1e15 or an overflow to infinity): 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/wallet {
        default_type application/json;
        return 200 '{"success":true,"data":{"balance":1e999}}';
    }
    location = /wallet { smotp_wallet; smotp_retries 0; }
--- request
GET /wallet
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}



=== TEST 13: a balance that rounds up to 10^15 at the 15th digit: 502
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/wallet {
        default_type application/json;
        return 200 '{"success":true,"data":{"balance":999999999999999.6}}';
    }
    location = /wallet { smotp_wallet; smotp_retries 0; }
--- request
GET /wallet
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}



=== TEST 14: a negative balance (an account in debt) keeps its sign
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    }
    location = /canned/wallet {
        default_type application/json;
        return 200 '{"success":true,"data":{"balance":-12.75,"currency":"INR"}}';
    }
    location = /wallet { smotp_wallet; }
--- request
GET /wallet
--- error_code: 200
--- response_body chomp
{"balance":-12.75,"currency":"INR"}
