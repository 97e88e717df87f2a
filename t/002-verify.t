# smotp_verify, and the whole flow: send, read the code from the stand-in's
# test inbox (as the phone would), verify.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: send an OTP
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000201"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",



=== TEST 2: a wrong code does not verify, and uses up an attempt
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800000201:requestId}}","otpCode":"{{inbox:+919800000201:wrong_code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body chomp
{"verified":false,"attemptsLeft":2}
--- error_log
smotp verify: request
not verified



=== TEST 3: the code from the inbox verifies
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800000201:requestId}}","otpCode":"{{inbox:+919800000201:code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"verified":true}
--- no_error_log
[error]



=== TEST 4: a used request is gone: the API's 410 and message
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800000201:requestId}}","otpCode":"{{inbox:+919800000201:code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 410
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP request expired"}



=== TEST 5: an unknown request: the API's 404 and message
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"00000000-0000-4000-8000-000000000000","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_body chomp
{"error":"OTP request not found"}



=== TEST 6: the flow with HTML forms: send
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
phoneNumber=%2B919800000202
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",



=== TEST 7: the flow with HTML forms: verify
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
otpCode={{inbox:+919800000202:code}}&requestId={{inbox:+919800000202:requestId}}
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_body chomp
{"verified":true}
