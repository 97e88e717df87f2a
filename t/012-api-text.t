# The API's words passed on to the visitor, and the members copied from
# its data, where they go wrong: a message longer than the module passes
# on (200 bytes) is cut, bytes that are not UTF-8 become "?", a failure
# without a message gets the module's words, and an answer whose
# expiresAt or attemptsLeft has the wrong type is an unexpected answer.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

log_level('info');
no_shuffle();
no_long_string();
run_tests();

sub api_location {
    my ($fault) = @_;

    return <<"_EOC_";
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault '$fault';
    }
_EOC_
}

__DATA__

=== TEST 1: a message of 250 bytes: its first 200 passed on
--- config eval
main::api_location("status=400; message=" . ("abcdefghij" x 25))
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001251"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body eval
'{"error":"' . ("abcdefghij" x 20) . '"}'
--- no_error_log
[alert]



=== TEST 2: bytes that are not UTF-8 become "?"; a 4-byte character is kept
--- config eval
# a, U+1F600, b, FF, U+00E9, c, C3 then "A" (no continuation), d, ED A0 80 (a
# surrogate), e, and a lead byte C3 with nothing after it
main::api_location("status=400; message_hex=61f09f9880" . "62ffc3a9" . "63c341"
                   . "64eda080" . "65c3")
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001252"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body eval
"{\"error\":\"a\xf0\x9f\x98\x80b?\xc3\xa9c?Ad???e?\"}"
--- no_error_log
[alert]



=== TEST 3: a byte that is not UTF-8, then 250 bytes: mended and cut at 200
--- config eval
main::api_location("status=400; message_hex=ff" . ("61" x 250))
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001253"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body eval
'{"error":"?' . ("a" x 199) . '"}'
--- no_error_log
[alert]



=== TEST 4: a 2-byte character across the 200-byte limit: dropped whole
--- config eval
main::api_location("status=400; message_hex=" . ("61" x 199) . "c3a9")
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001254"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body eval
'{"error":"' . ("a" x 199) . '?"}'
--- no_error_log
[alert]



=== TEST 5: verify: the API's 410 with no message: the module's words
--- config eval
main::api_location("status=410; body=notobject")
. '    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }'
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 410
--- response_body chomp
{"error":"OTP request expired"}
--- no_error_log
[alert]



=== TEST 6: the API's 400 with an empty message: the module's words
--- config eval
main::api_location("status=400; message_hex=")
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001256"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"rejected by OTP service"}
--- no_error_log
[alert]



=== TEST 7: send: an expiresAt that is not a string: an unexpected answer
--- config eval
main::api_location("body=wrongtypes; id=8a0f2c1e-3b4d-4c5e-9f60-718293a4b5c6")
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001257"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
smotp send: unexpected answer from the API
--- no_error_log
[alert]



=== TEST 8: send: attemptsLeft as a string: an unexpected answer, though the SMS went
--- config eval
main::api_location('attempts_left="3"')
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001258"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
smotp send: unexpected answer from the API
--- no_error_log
[alert]



=== TEST 9: a code is sent for the verify tests below
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001259"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",



=== TEST 10: verify, a wrong code: the API's attemptsLeft negative: an unexpected answer
--- config eval
main::api_location("attempts_left=-1")
. '    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }'
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800001259:requestId}}","otpCode":"{{inbox:+919800001259:wrong_code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
smotp verify: unexpected answer from the API
--- no_error_log
[alert]



=== TEST 11: verify, a wrong code: the API's attemptsLeft with a fraction: an unexpected answer
--- config eval
main::api_location("attempts_left=1.5")
. '    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }'
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800001259:requestId}}","otpCode":"{{inbox:+919800001259:wrong_code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"unexpected answer from OTP service"}
--- error_log
smotp verify: unexpected answer from the API
--- no_error_log
[alert]



=== TEST 12: the same wrong code, answered as it is: the two calls above reached the API
--- config
    location = /auth/verify-otp { smotp_verify; smotp_retries 0; }
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800001259:requestId}}","otpCode":"{{inbox:+919800001259:wrong_code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"verified":false,"attemptsLeft":0}
