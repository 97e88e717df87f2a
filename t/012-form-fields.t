# A form body's corners: a "+" in a field's name, a field without "=", an
# empty name, an encoded NUL.  A form decodes "+" to a space in names as
# in values (t/003-input.t shows the values).

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

log_level('info');
no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a "+" in a name is a space: "phone+Number" is another field, not phoneNumber twice
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
phone+Number=%2B919800001231&phoneNumber=%2B919800001231
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",
--- no_error_log
[error]
[alert]



=== TEST 2: a field without "=" is given, empty: not a phone number
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
phoneNumber
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 3: fields with no name, or nothing between two "&", are skipped
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
=x&&phoneNumber=%2B919800001233&
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",
--- no_error_log
[error]
[alert]



=== TEST 4: an encoded NUL in a form value
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
phoneNumber=%2B919800001234%00x
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body must not contain NUL characters"}
--- no_error_log
smotp send: API call
[alert]
