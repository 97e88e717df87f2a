# Secrets at debug level: no OTP code and no whole phone number anywhere in
# the error log, and the API key only in nginx's own dump of the upstream
# request headers (the proxy module's debug output, see README.md).

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

log_level('debug');
no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a send logs the phone masked, and the key only in the proxy's header dump
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000701"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- error_log
+91******0701
--- no_error_log
919800000701
--- grep_error_log eval
qr/(?:http proxy header: "|^)X-API-Key: sm_test_0123456789abcdef|sm_test_0123456789abcdef/m
--- grep_error_log_out
http proxy header: "X-API-Key: sm_test_0123456789abcdef
X-API-Key: sm_test_0123456789abcdef



=== TEST 2: a verify logs neither the code nor the key outside the proxy's dump
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800000701:requestId}}","otpCode":"{{inbox:+919800000701:code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"verified":true}
--- no_error_log
{{inbox:+919800000701:code}}
otpCode
--- grep_error_log eval
qr/(?:http proxy header: "|^)X-API-Key: sm_test_0123456789abcdef|sm_test_0123456789abcdef/m
--- grep_error_log_out
http proxy header: "X-API-Key: sm_test_0123456789abcdef
X-API-Key: sm_test_0123456789abcdef



=== TEST 3: the code is in no response either: a wrong code's answer
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800000701:requestId}}","otpCode":"{{inbox:+919800000701:wrong_code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 410
--- response_body chomp
{"error":"OTP request expired"}
--- no_error_log
{{inbox:+919800000701:wrong_code}}



=== TEST 4: the shortest number is masked as much: four of its eight digits hidden
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+18765432"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- error_log
+18****32
--- no_error_log
8765432
**5432
