# The client's Idempotency-Key as clients send it: a UUID, a Stripe-style
# string, or a quoted structured-field string (the IETF httpapi draft),
# the quotes not part of the key.  Only an empty, too long or twice given
# key, or one with controls or bytes past ASCII, is refused.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a Stripe-style key twice sends one SMS
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800002001;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002001\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002001\"}",
 "GET /stats"]
--- more_headers
Content-Type: application/json
Idempotency-Key: order-4242-otp
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requests":2,"sms":1\}$/]



=== TEST 2: the key quoted and the same key bare are one key
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800002002;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002002\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002002\"}",
 "GET /stats"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: \"order-4242-otp\"",
 "Content-Type: application/json\nIdempotency-Key: order-4242-otp",
 ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requests":2,"sms":1\}$/]



=== TEST 3: a quoted UUID is the UUID, whatever the case of its digits
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800002003;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002003\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002003\"}",
 "GET /stats"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: \"8e03978e-40d5-43e8-bc93-6894a57f9324\"",
 "Content-Type: application/json\nIdempotency-Key: 8E03978E-40D5-43E8-BC93-6894A57F9324",
 ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requests":2,"sms":1\}$/]



=== TEST 4: a key that is not a UUID is taken as it is: two cases, two sends
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800002004;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002004\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002004\"}",
 "GET /stats"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: Order-7",
 "Content-Type: application/json\nIdempotency-Key: order-7",
 ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requests":2,"sms":2\}$/]



=== TEST 5: escapes in a quoted key: "a\"b\\c" is the bare a"b\c
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800002005;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002005\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002005\"}",
 "GET /stats"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: \"a\\\"b\\\\c\"",
 "Content-Type: application/json\nIdempotency-Key: a\"b\\c",
 ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requests":2,"sms":1\}$/]



=== TEST 6: a space inside a quoted key is part of it
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002006"}
--- more_headers
Content-Type: application/json
Idempotency-Key: "order 4242"
--- error_code: 200
--- response_body_like: ^\{"requestId":"[0-9a-f-]{36}",
--- error_log
smotp send: API call



=== TEST 7: a key of 255 characters, bare and quoted
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002007\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002007\"}"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: " . ("k" x 255),
 "Content-Type: application/json\nIdempotency-Key: \"" . ("q" x 255) . "\""]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\{"requestId":"[0-9a-f-]{36}",/]



=== TEST 8: refused, each with the same clear error and no API call: too long (bare, quoted), empty (bare, quoted), a space, a control, a byte past ASCII, an unclosed quote, a quote inside, an unknown escape, a dangling escape
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
[("POST /auth/send-otp\n{\"phoneNumber\":\"+919800002008\"}") x 11]
--- more_headers eval
[map { "Content-Type: application/json\nIdempotency-Key: $_" }
 ("k" x 256), "\"" . ("q" x 256) . "\"", "", "\"\"", "order 4242",
 "order\x{01}4242", "cl\x{c3}\x{a9}", "\"order", "\"a\"b\"", "\"a\\nb\"",
 "\"ab\\\""]
--- error_code eval
[(400) x 11]
--- response_headers eval
[("Content-Type: application/json") x 11]
--- response_body eval
[('{"error":"Idempotency-Key must be 1 to 255 visible ASCII characters, bare or as a quoted string"}') x 11]
--- no_error_log
smotp send: API call
[alert]



=== TEST 9: a key of a UUID's length that is not a UUID (a letter past "f", no dash where one goes) is taken as it is: its cases are two keys, two sends each
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800002041;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002041\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002041\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002041\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002041\"}",
 "GET /stats"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: 3F1C9A2E-7B4D-4E8F-9A1B-2C3D4E5F6A7G",
 "Content-Type: application/json\nIdempotency-Key: 3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7g",
 "Content-Type: application/json\nIdempotency-Key: 3F1C9A2EX7B4D-4E8F-9A1B-2C3D4E5F6A7B",
 "Content-Type: application/json\nIdempotency-Key: 3f1c9a2ex7b4d-4e8f-9a1b-2c3d4e5f6a7b",
 ""]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"requests":4,"sms":4\}$/]
