# Bad input: each gets a clear JSON 4xx error, and none reaches the API
# (the module's debug line for an API call is absent).

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: GET is not allowed: 405, Allow: POST
--- config
    location = /auth/send-otp { smotp_send; }
--- request
GET /auth/send-otp
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
--- response_body chomp
{"error":"method not allowed"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 2: PUT is not allowed on verify either
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
PUT /auth/verify-otp
{"requestId":"a","otpCode":"1234"}
--- more_headers
Content-Type: application/json
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
--- response_body chomp
{"error":"method not allowed"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 3: DELETE is not allowed
--- config
    location = /auth/send-otp { smotp_send; }
--- request
DELETE /auth/send-otp
--- error_code: 405
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"method not allowed"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 4: no Content-Type: 415
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"}
--- error_code: 415
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"Content-Type must be application/json or application/x-www-form-urlencoded"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 5: text/plain: 415
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"}
--- more_headers
Content-Type: text/plain
--- error_code: 415
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"Content-Type must be application/json or application/x-www-form-urlencoded"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 6: a type that only starts like JSON: 415
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"}
--- more_headers
Content-Type: application/jsonp
--- error_code: 415
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"Content-Type must be application/json or application/x-www-form-urlencoded"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 7: multipart forms are not taken: 415
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
x
--- more_headers
Content-Type: multipart/form-data; boundary=x
--- error_code: 415
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"Content-Type must be application/json or application/x-www-form-urlencoded"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 8: malformed JSON
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber": "+919800000301"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is not valid JSON"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 9: JSON followed by more text
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"} {"phoneNumber":"+919800000302"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is not valid JSON"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 10: a JSON array is not an object
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
[{"phoneNumber":"+919800000301"}]
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body must be a JSON object"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 11: a JSON string is not an object
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
"+919800000301"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body must be a JSON object"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 12: no phoneNumber
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phone":"+919800000301"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber is required"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 13: an empty body
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber is required"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 14: phoneNumber as a number
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":919800000301}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 15: phoneNumber null
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":null}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 16: phoneNumber as an object
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":{"$gt":""}}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 17: phoneNumber without +
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"919800000301"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 18: phoneNumber with a leading zero after +
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+0919800000301"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 19: phoneNumber too short
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+9198000"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 20: phoneNumber too long
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+9198000003011234"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 21: phoneNumber with spaces
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+91 98000 00301"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 22: phoneNumber with a NUL and more after it
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301\u0000; DROP"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body must not contain NUL characters"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 23: a form with an unencoded + (a space, as forms decode it)
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
phoneNumber=+919800000301
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



=== TEST 24: phoneNumber twice in JSON
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301","phoneNumber":"+919800000302"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber is given more than once"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 25: phoneNumber twice in a form
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
phoneNumber=%2B919800000301&phoneNumber=%2B919800000302
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber is given more than once"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 26: an Idempotency-Key with a space in it
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"}
--- more_headers
Content-Type: application/json
Idempotency-Key: order 1234
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"Idempotency-Key must be 1 to 255 visible ASCII characters, bare or as a quoted string"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 27: two Idempotency-Key headers
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"}
--- more_headers
Content-Type: application/json
Idempotency-Key: 0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60
Idempotency-Key: 0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f61
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"Idempotency-Key is given more than once"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 28: a body over smotp_max_body_size, by Content-Length: 413
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
"POST /auth/send-otp\n" . "{\"phoneNumber\":\"+919800000301\",\"pad\":\"" . ("x" x 5000) . "\"}"
--- more_headers
Content-Type: application/json
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is too large"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 29: a smaller smotp_max_body_size
--- config
    location = /auth/send-otp { smotp_send; smotp_max_body_size 64; }
--- request eval
"POST /auth/send-otp\n" . "{\"phoneNumber\":\"+919800000301\",\"pad\":\"" . ("x" x 100) . "\"}"
--- more_headers
Content-Type: application/json
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is too large"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 30: a chunked body over the limit: 413
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" . "1000\r\n" . ("x" x 4096) . "\r\n" . "10\r\n" . ("y" x 16) . "\r\n0\r\n\r\n"
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is too large"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 31: a body over client_max_body_size: nginx's own 413, in JSON
--- config
    location = /auth/send-otp { smotp_send; client_max_body_size 1k; }
--- request eval
"POST /auth/send-otp\n" . ("x" x 3000)
--- more_headers
Content-Type: application/json
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is too large"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 32: a broken chunked body: nginx's own 400, in JSON
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"bad request"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 33: verify: no otpCode
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"requestId and otpCode are required"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 34: verify: no requestId
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"requestId and otpCode are required"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 35: verify: otpCode as a number
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":123456}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"otpCode must be a string of 4 to 8 digits"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 36: verify: otpCode with letters
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"12a456"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"otpCode must be a string of 4 to 8 digits"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 37: verify: otpCode too short
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"123"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"otpCode must be a string of 4 to 8 digits"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 38: verify: otpCode too long
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e5f60","otpCode":"123456789"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"otpCode must be a string of 4 to 8 digits"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 39: verify: a requestId with a path in it
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"../../wallet","otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"requestId must be the id that sending the OTP returned"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 40: verify: a requestId that is not a string
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":42,"otpCode":"123456"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"requestId must be the id that sending the OTP returned"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 41: a chunked body within the limit is fine
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" . "f\r\n{\"phoneNumber\":\r\n" . "10\r\n\"+919800000303\"}\r\n0\r\n\r\n"
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",



=== TEST 42: a body nginx wrote to a temporary file (client_body_in_file_only)
--- config
    location = /auth/send-otp {
        smotp_send;
        client_body_in_file_only clean;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000304"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",
--- error_log
a client request body is buffered to a temporary file



=== TEST 43: a body spilled to a temporary file past a small buffer
--- config
    location = /auth/send-otp {
        smotp_send;
        client_body_buffer_size 16;
    }
--- request eval
"POST /auth/send-otp\n" . "{\"phoneNumber\":\"+919800000305\",\"pad\":\"" . ("x" x 3000) . "\"}"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",
--- error_log
a client request body is buffered to a temporary file



=== TEST 44: a raw NUL byte in the body
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
"POST /auth/send-otp\n" . "{\"phoneNumber\":\"+919800000301\0\"}"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body must not contain NUL characters"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 45: an escaped NUL in a name, as the body's last member
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301","x\u0000":1}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body must not contain NUL characters"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 46: an escaped backslash before "u0000" is no NUL
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301\\u0000"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"phoneNumber must be in E.164 format: \"+\", the country code and the number, such as +919876543210"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 47: a body that ends in a backslash
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
"POST /auth/send-otp\n" . "{\"phoneNumber\":\"+919800000301\\"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is not valid JSON"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 48: a Content-Length that is not a number: nginx's 400, in JSON
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 31x\r\nConnection: close\r\n\r\n{\"phoneNumber\":\"+919800000301\"}"
--- error_code: 400
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body chomp
{"error":"bad request"}
--- error_log
client sent invalid "Content-Length" header
--- no_error_log
smotp send: API call
[alert]



=== TEST 49: Content-Length and Transfer-Encoding together: nginx's 400, in JSON
--- config
    location = /auth/verify-otp { smotp_verify; }
--- raw_request eval
"POST /auth/verify-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{\"a\":\r\n0\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"bad request"}
--- error_log
client sent "Content-Length" and "Transfer-Encoding" headers at the same time
--- no_error_log
smotp verify: API call
[alert]



=== TEST 50: a Transfer-Encoding nginx does not know: its 501, in JSON
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n"
--- error_code: 501
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"Transfer-Encoding not supported"}
--- error_log
client sent unknown "Transfer-Encoding"
--- no_error_log
smotp send: API call
[alert]



=== TEST 51: a header larger than the server's buffers: nginx's 400, in JSON
--- config
    large_client_header_buffers 2 512;
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Big: " . ("b" x 1000) . "\r\nContent-Length: 31\r\nConnection: close\r\n\r\n{\"phoneNumber\":\"+919800000301\"}"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"bad request"}
--- error_log
client sent too long header line
--- no_error_log
smotp send: API call
[alert]



=== TEST 52: the same refusal for another location of the server is left to nginx
--- config
    location = /auth/send-otp { smotp_send; }
    location = /other { return 200 "other\n"; }
--- raw_request eval
"POST /other HTTP/1.1\r\nHost: localhost\r\nContent-Length: 31x\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: text/html
--- response_body_like chomp
<title>400 Bad Request</title>
--- no_error_log
[alert]



=== TEST 53: a refused request's body is read off: the next request on the connection is served
--- config
    location = /auth/send-otp { smotp_send; }
--- pipelined_requests eval
["PUT /auth/send-otp\n{\"phoneNumber\":\"+919800000301\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800000302\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[405, 200]
--- response_body_like eval
['^\{"error":"method not allowed"\}$',
 '^\{"requestId":"[0-9a-f-]{36}",']
--- no_error_log
[alert]
[error]



=== TEST 54: likewise after a body over smotp_max_body_size
--- config
    location = /auth/send-otp { smotp_send; smotp_max_body_size 64; }
--- pipelined_requests eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000303\",\"pad\":\"" . ("x" x 200) . "\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800000304\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[413, 200]
--- response_body_like eval
['^\{"error":"request body is too large"\}$',
 '^\{"requestId":"[0-9a-f-]{36}",']
--- no_error_log
[alert]



=== TEST 55: a gzip-coded body: 415, Accept-Encoding: identity
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"}
--- more_headers
Content-Type: application/json
Content-Encoding: gzip
--- error_code: 415
--- response_headers
Content-Type: application/json
Accept-Encoding: identity
--- response_body chomp
{"error":"Content-Encoding is not supported: send the body as it is"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 56: a second Content-Encoding line after identity is still seen, on verify too
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","otpCode":"123456"}
--- more_headers
Content-Type: application/json
Content-Encoding: identity
Content-Encoding: br
--- error_code: 415
--- response_headers
Content-Type: application/json
Accept-Encoding: identity
--- response_body chomp
{"error":"Content-Encoding is not supported: send the body as it is"}
--- no_error_log
smotp verify: API call
[alert]



=== TEST 57: Content-Encoding: identity, no coding at all, is taken
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000305"}
--- more_headers
Content-Type: application/json
Content-Encoding: Identity
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$
--- no_error_log
[alert]
[error]



=== TEST 58: the server's error_page does not take a request refused before the handler: deny, 403 in JSON
--- config
    error_page 403 413 /error.html;
    location = /error.html { return 200 "<html>error page</html>"; }
    location = /auth/send-otp { smotp_send; deny all; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"}
--- more_headers
Content-Type: application/json
--- error_code: 403
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request failed"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 59: likewise a body over client_max_body_size, refused while nginx picks the location: 413 in JSON
--- config
    error_page 403 413 /error.html;
    location = /error.html { return 200 "<html>error page</html>"; }
    location = /auth/send-otp { smotp_send; client_max_body_size 16; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000301"}
--- more_headers
Content-Type: application/json
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is too large"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 60: an smotp location reached by a subrequest (mirror) refuses it: no SMS sent behind the visitor's back
--- config
    location = /front {
        mirror /auth/send-otp;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ok;
    }
    location = /ok { return 200 "ok\n"; }
    location = /auth/send-otp { smotp_send; }
--- request
POST /front
{"phoneNumber":"+919800000306"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body
ok
--- error_log
smotp_send does not answer subrequests (mirror, SSI, auth_request...): location "/auth/send-otp" is reached by one
--- no_error_log
smotp send: API call
[alert]



=== TEST 61: Expect: 100-continue with a body over smotp_max_body_size: 413 at once, no 100 Continue
--- config
    location = /auth/send-otp { smotp_send; smotp_max_body_size 64; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n" . ("x" x 200)
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is too large"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 62: a control byte before the JSON (0x01) is not white space: 400, no API call
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
"POST /auth/send-otp\n" . "\x01{\"phoneNumber\":\"+919800000331\"}"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body is not valid JSON"}
--- no_error_log
smotp send: API call
[alert]



=== TEST 63: a control byte between tokens (0x1f) or a raw form feed: 400, no API call
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
["POST /auth/send-otp\n" . "{\"phoneNumber\":\x1f\"+919800000332\"}",
 "POST /auth/send-otp\n" . "{\"phoneNumber\":\"+919800000333\"\x0c}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 400]
--- response_body eval
["{\"error\":\"request body is not valid JSON\"}",
 "{\"error\":\"request body is not valid JSON\"}"]
--- no_error_log
smotp send: API call
[alert]



=== TEST 64: the white space JSON has (space, tab, CR, LF) is taken around and between tokens
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
"POST /auth/send-otp\n" . " \t\r\n{ \"phoneNumber\" :\t\"+919800000334\"\r\n}\n"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: ^\{"requestId":"[0-9a-f-]{36}",
--- no_error_log
[alert]
