# smotp_send_field: fields the API accepts, added to the send's body
# (a dot makes a nested object), from constants or variables, as a
# string, number or boolean; a value that comes out empty is left out;
# the module's own names and malformed names refused by nginx -t.
#
# nginx runs through t/inc/nginx-startup-log (see t/009-config.t) so that
# the configuration errors can be read from logs/error.log.

use FindBin;
use lib "$FindBin::Bin/inc";

BEGIN {
    $ENV{SMOTP_NGINX_BINARY} = $ENV{TEST_NGINX_BINARY} || 'nginx';
    $ENV{TEST_NGINX_BINARY} = "$FindBin::Bin/inc/nginx-startup-log";
}

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: constant fields, nested ones in one object, in the order given
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field templateId 1107161234567890123;
        smotp_send_field variables.appName "Shop One";
        smotp_send_field channel sms;
        smotp_send_field variables.brand acme;
    }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800002101;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002101\"}", "GET /last"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/"body":\s*\{"phoneNumber":\s*"\+919800002101",\s*"idempotencyKey":\s*"[0-9a-f-]{36}",\s*"templateId":\s*"1107161234567890123",\s*"variables":\s*\{"appName":\s*"Shop One",\s*"brand":\s*"acme"\},\s*"channel":\s*"sms"\}\}$/]



=== TEST 2: numbers and booleans written as JSON, not as strings
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field otp_length 6 type=number;
        smotp_send_field expiry_seconds 1.5e2 type=number;
        smotp_send_field options.whatsapp false type=boolean;
        smotp_send_field options.note 6 type=string;
    }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800002102;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002102\"}", "GET /last"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/"idempotencyKey":\s*"[0-9a-f-]{36}",\s*"otp_length":\s*6,\s*"expiry_seconds":\s*150(\.0)?,\s*"options":\s*\{"whatsapp":\s*false,\s*"note":\s*"6"\}\}\}$/]



=== TEST 3: values from variables, escaped as JSON (quotes, a backslash, UTF-8)
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field variables.appName $http_x_app;
        smotp_send_field expiry_seconds $http_x_expiry type=number;
    }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800002103;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002103\"}", "GET /last"]
--- more_headers eval
["Content-Type: application/json\nX-App: Caf\x{c3}\x{a9} \"One\" \\ 1\nX-Expiry: 300", ""]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/"idempotencyKey":\s*"[0-9a-f-]{36}",\s*"variables":\s*\{"appName":\s*"Caf(\x{c3}\x{a9}|\\u00e9) \\"One\\" \\\\ 1"\},\s*"expiry_seconds":\s*300\}\}$/]



=== TEST 4: a value that comes out empty is left out, and so is an object left empty
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field templateId $http_x_template;
        smotp_send_field variables.appName $http_x_app;
        smotp_send_field variables.lang $http_x_lang;
    }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800002104;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002104\"}", "GET /last"]
--- more_headers eval
["Content-Type: application/json\nX-Template: 42", ""]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/"idempotencyKey":\s*"[0-9a-f-]{36}",\s*"templateId":\s*"42"\}\}$/]



=== TEST 5: fields are inherited by a location that has none, and replaced by one that has its own
--- config
    smotp_send_field templateId server-template;
    smotp_send_field variables.appName server-app;
    location = /auth/send-otp { smotp_send; }
    location = /auth/send-otp-2 {
        smotp_send;
        smotp_send_field channel whatsapp;
    }
    location = /last1 {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800002105;
    }
    location = /last2 {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800002115;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002105\"}",
 "POST /auth/send-otp-2\n{\"phoneNumber\":\"+919800002115\"}",
 "GET /last1", "GET /last2"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId"/, qr/^\{"requestId"/,
 qr/"idempotencyKey":\s*"[0-9a-f-]{36}",\s*"templateId":\s*"server-template",\s*"variables":\s*\{"appName":\s*"server-app"\}\}\}$/,
 qr/"idempotencyKey":\s*"[0-9a-f-]{36}",\s*"channel":\s*"whatsapp"\}\}$/]



=== TEST 6: a variable's value that is not a JSON number: 400 JSON, the field named at info, no API call
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field expiry_seconds $http_x_expiry type=number;
    }
--- request eval
[("POST /auth/send-otp\n{\"phoneNumber\":\"+919800002106\"}") x 5]
--- more_headers eval
[map { "Content-Type: application/json\nX-Expiry: $_" }
 "300s", "01", "1.", "1e", "-"]
--- error_code eval
[(400) x 5]
--- response_headers eval
[("Content-Type: application/json") x 5]
--- response_body eval
[('{"error":"the request carries a value the API does not take"}') x 5]
--- error_log
the value of smotp_send_field "expiry_seconds" is not a JSON number
--- no_error_log
smotp send: API call
[alert]



=== TEST 7: a variable's value that is not a boolean
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field options.whatsapp $http_x_whatsapp type=boolean;
    }
--- request eval
[("POST /auth/send-otp\n{\"phoneNumber\":\"+919800002106\"}") x 2]
--- more_headers eval
[map { "Content-Type: application/json\nX-Whatsapp: $_" } "yes", "True"]
--- error_code eval
[400, 400]
--- response_body eval
[('{"error":"the request carries a value the API does not take"}') x 2]
--- error_log
the value of smotp_send_field "options.whatsapp" is not a "true" or "false"
--- no_error_log
smotp send: API call
[alert]



=== TEST 8: a variable's value that is not UTF-8 (a Latin-1 byte, a broken sequence)
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field variables.appName $http_x_app;
    }
--- request eval
[("POST /auth/send-otp\n{\"phoneNumber\":\"+919800002106\"}") x 2]
--- more_headers eval
[map { "Content-Type: application/json\nX-App: $_" } "caf\x{e9}", "\x{c3}\x{28}"]
--- error_code eval
[400, 400]
--- response_body eval
[('{"error":"the request carries a value the API does not take"}') x 2]
--- error_log
the value of smotp_send_field "variables.appName" is not a UTF-8 text
--- no_error_log
smotp send: API call
[alert]



=== TEST 9: numbers JSON takes, from a variable
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field a $http_x_a type=number;
        smotp_send_field b $http_x_b type=number;
        smotp_send_field c $http_x_c type=number;
        smotp_send_field d $http_x_d type=boolean;
    }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800002107;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002107\"}", "GET /last"]
--- more_headers eval
["Content-Type: application/json\nX-A: -0.25\nX-B: 0\nX-C: 2E-3\nX-D: true", ""]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId"/,
 qr/"idempotencyKey":\s*"[0-9a-f-]{36}",\s*"a":\s*-0\.25,\s*"b":\s*0,\s*"c":\s*0\.002,\s*"d":\s*true\}\}$/]



=== TEST 10: the module's own names are refused
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field phoneNumber +919800000000;
    }
--- must_die
--- error_log
"smotp_send_field" cannot set "phoneNumber": the module sets it itself



=== TEST 11: the idempotency key cannot be set, nor made an object
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field idempotencyKey.x 1;
    }
--- must_die
--- error_log
"smotp_send_field" cannot set "idempotencyKey": the module sets it itself



=== TEST 12: a name given twice
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field variables.appName one;
        smotp_send_field variables.appName two;
    }
--- must_die
--- error_log
"smotp_send_field" "variables.appName" clashes with "variables.appName", given before



=== TEST 13: a value, then an object of the same name
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field variables one;
        smotp_send_field variables.appName two;
    }
--- must_die
--- error_log
"smotp_send_field" "variables.appName" clashes with "variables", given before



=== TEST 14: an object, then a value of the same name
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field variables.a.b one;
        smotp_send_field variables.a two;
    }
--- must_die
--- error_log
"smotp_send_field" "variables.a" clashes with "variables.a", given before



=== TEST 15: malformed names
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field $name one;
    }
--- must_die
--- error_log
invalid field name "$name" in "smotp_send_field" directive: names of letters, digits, "_" and "-" joined by "." are expected, 4 deep and 64 characters at most



=== TEST 16: an empty part
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field variables..appName one;
    }
--- must_die
--- error_log
invalid field name "variables..appName"



=== TEST 17: a name ending in a dot
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field variables. one;
    }
--- must_die
--- error_log
invalid field name "variables."



=== TEST 18: five deep
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field a.b.c.d.e one;
    }
--- must_die
--- error_log
invalid field name "a.b.c.d.e"



=== TEST 19: 65 characters
--- config eval
"    location = /auth/send-otp {
        smotp_send;
        smotp_send_field " . ("n" x 65) . " one;
    }"
--- must_die
--- error_log eval
'invalid field name "' . ("n" x 65) . '"'



=== TEST 20: an empty name
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field "" one;
    }
--- must_die
--- error_log
invalid field name ""



=== TEST 21: an unknown type
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field otp_length 6 type=integer;
    }
--- must_die
--- error_log
invalid parameter "type=integer" in "smotp_send_field" directive: type=string, type=number or type=boolean is expected



=== TEST 22: a constant that is not a number
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field otp_length six type=number;
    }
--- must_die
--- error_log
invalid value "six" of "otp_length" in "smotp_send_field" directive: a JSON number is expected



=== TEST 23: a constant that is not a boolean
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field flag yes type=boolean;
    }
--- must_die
--- error_log
invalid value "yes" of "flag" in "smotp_send_field" directive: a "true" or "false" is expected



=== TEST 24: a constant that is not UTF-8
--- config eval
"    location = /auth/send-otp {
        smotp_send;
        smotp_send_field appName caf\x{e9};
    }"
--- must_die
--- error_log eval
qr/invalid value "caf.*" of "appName" in "smotp_send_field" directive: a UTF-8 text is expected/



=== TEST 25: fields are no part of a verify
--- config
    smotp_send_field templateId server-template;
    location = /auth/verify-otp { smotp_verify; }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?requestId=3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b;
    }
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b\",\"otpCode\":\"123456\"}", "GET /last"]
--- more_headers
Content-Type: application/json
--- error_code eval
[404, 200]
--- response_body_like eval
[qr/^\{"error":/,
 qr/"body":\s*\{"requestId":\s*"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b",\s*"otpCode":\s*"\d+"\}\}$/]



=== TEST 26: a value whose variable is not closed
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_send_field appName ${host;
    }
--- must_die
--- error_log
the closing bracket in "host" variable is missing
