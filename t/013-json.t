# The JSON the module reads: one value, then nothing but white space.  The
# API's answers here are canned by a location of the server under test
# (what the stand-in cannot answer: text after the JSON).  The trees are
# freed with the request's pool, after the request is logged: the request
# id, taken from the API's answer in place, is still there for the access
# log (and under make test-asan or test-valgrind, read there from memory
# not yet freed).

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: an API answer followed by more text is not taken
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/_canned/;
    }
    location = /_canned/otp/send {
        default_type application/json;
        return 201 '{"success":true,"data":{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","attemptsLeft":3}} {}';
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001301"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
unexpected answer from the API (status 201
--- no_error_log
[alert]
[crit]



=== TEST 2: white space after an API answer is nothing
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/_canned/;
    }
    location = /_canned/otp/send {
        default_type application/json;
        return 201 '{"success":true,"data":{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","attemptsLeft":3}} 	
';
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001302"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","attemptsLeft":3}
--- no_error_log
[error]
[alert]



=== TEST 3: an API error followed by more text: its message is not taken
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/_canned/;
    }
    location = /_canned/otp/send {
        default_type application/json;
        return 400 '{"success":false,"message":"not this"}x';
    }
    location = /auth/send-otp { smotp_send; smotp_retries 0; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001303"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"rejected by OTP service"}
--- no_error_log
[alert]
[crit]



=== TEST 4: the request id from the API's answer is there for the access log
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    log_format smotp_json 'smotp logged request id [$smotp_request_id]';
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/_canned/;
    }
    location = /_canned/otp/send {
        default_type application/json;
        return 201 '{"success":true,"data":{"requestId":"5c0d1e2f-3a4b-4c5d-8e6f-708192a3b4c5","attemptsLeft":2}}';
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_retries 0;
        # the error log's file: the block's error_log check reads it
        access_log logs/error.log smotp_json;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001304"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"requestId":"5c0d1e2f-3a4b-4c5d-8e6f-708192a3b4c5","attemptsLeft":2}
--- error_log
smotp logged request id [5c0d1e2f-3a4b-4c5d-8e6f-708192a3b4c5]
--- no_error_log
[alert]
[crit]



=== TEST 5: white space after a client's JSON body is nothing
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    log_format smotp_json 'smotp body of $content_length bytes: $status';
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_retries 0;
        access_log logs/error.log smotp_json;
    }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r
Host: localhost\r
Content-Type: application/json\r
Content-Length: 35\r
Connection: close\r
\r
{\"phoneNumber\":\"+919800001305\"} \r\n\t"
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$
--- error_log
smotp body of 35 bytes: 200
--- no_error_log
[alert]
[crit]
