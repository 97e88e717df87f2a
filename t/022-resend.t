# smotp_resend: a new code sent to the phone of an OTP request, as the
# API's POST /otp/resend does.  It bills an SMS, so it carries an
# idempotency key kept across retries (the client's Idempotency-Key taken
# as for a send), and the limits count it as a send to the phone its send
# recorded in the zone.
#
# The inbox substitution ({{inbox:+PHONE:FIELD}}) reads the stand-in before
# a block runs, so a resend of a request id is in the block after the send
# that made it.  A block that needs the send's phone in its own zone sends
# again with the Idempotency-Key of an earlier block: the API answers the
# same request id (no SMS), and the zone records it.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;
use Digest::SHA qw(sha256);

# a test number's id: a version 8 UUID of the number's SHA-256
sub test_id {
    my @b = unpack("C*", sha256($_[0]));

    $b[6] = ($b[6] & 0x0f) | 0x80;
    $b[8] = ($b[8] & 0x3f) | 0x80;

    my $h = join '', map { sprintf "%02x", $_ } @b[0 .. 15];

    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
                     substr($h, 16, 4), substr($h, 20, 12);
}

our $TestId = test_id('+919999999999');

our $Limits = <<'_EOC_';
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
    map $request_uri $smotp_test_fault {
        ~fault=500  "status=500";
        default     "";
    }
_EOC_

our $ApiLocation = <<'_EOC_';
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault $smotp_test_fault;
    }
_EOC_

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a send, for the resends below
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002201"}
--- more_headers
Content-Type: application/json
--- error_code: 200



=== TEST 2: a resend: the same request id, in JSON, logged
--- config
    location = /auth/resend-otp {
        smotp_resend;
        add_header X-Id $smotp_request_id;
    }
--- request
POST /auth/resend-otp
{"requestId":"{{inbox:+919800002201:requestId}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
X-Id: {{inbox:+919800002201:requestId}}
--- response_body_like: ^\{"requestId":"[0-9a-f-]{36}","expiresAt":"[^"]+","attemptsLeft":3\}$
--- error_log
smotp resend: OTP sent again, request
--- no_error_log
[alert]



=== TEST 3: the resend sent a second SMS, and the API got the request id and an idempotency key
--- config
    location = /inbox {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/inbox?phone=%2B919800002201;
    }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last$is_args$args;
    }
--- request eval
["GET /inbox", "GET /last?requestId={{inbox:+919800002201:requestId}}"]
--- error_code eval
[200, 200]
--- response_body_like eval
['"requestId":\s*"{{inbox:+919800002201:requestId}}",\s*"count":\s*2\}$',
 '^\{"method":\s*"POST",\s*"path":\s*"/otp/resend",.*"body":\s*\{"requestId":\s*"{{inbox:+919800002201:requestId}}",\s*"idempotencyKey":\s*"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"\}\}$']



=== TEST 4: the resent code verifies
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800002201:requestId}}","otpCode":"{{inbox:+919800002201:code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"verified":true}



=== TEST 5: a verified request is not resent: the API's 410, in JSON
--- config
    location = /auth/resend-otp { smotp_resend; }
--- request
POST /auth/resend-otp
{"requestId":"{{inbox:+919800002201:requestId}}"}
--- more_headers
Content-Type: application/json
--- error_code: 410
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP request expired"}



=== TEST 6: an id the API does not know: its 404, in JSON
--- config
    location = /auth/resend-otp { smotp_resend; }
--- request
POST /auth/resend-otp
{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP request not found"}



=== TEST 7: another send, for the Idempotency-Key and retry blocks
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002202\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002203\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]



=== TEST 8: the same Idempotency-Key twice resends one SMS
--- config
    location = /auth/resend-otp { smotp_resend; }
    location = /inbox {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/inbox?phone=%2B919800002202;
    }
--- request eval
["POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002202:requestId}}\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002202:requestId}}\"}",
 "GET /inbox"]
--- more_headers
Content-Type: application/json
Idempotency-Key: resend-2202-a
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"requestId":/, qr/^\{"requestId":/, qr/"count":\s*2\}$/]



=== TEST 9: a resend the API took but whose answer was lost is retried with its key: one SMS
--- config
    location /_faulty_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "reset=midway; fail_first=1";
    }
    location = /auth/resend-otp {
        smotp_resend;
        smotp_api_location /_faulty_api;
    }
--- request
POST /auth/resend-otp
{"requestId":"{{inbox:+919800002203:requestId}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: ^\{"requestId":"[0-9a-f-]{36}",
--- error_log
smotp resend: API call "/_faulty_api/otp/resend", attempt 2
--- no_error_log
[alert]



=== TEST 10: its retry was answered from its key: two SMS in all, the send's and the resend's
--- config
    location = /inbox {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/inbox?phone=%2B919800002203;
    }
--- request
GET /inbox
--- error_code: 200
--- response_body_like: "count":\s*2\}$



=== TEST 11: bad input: each a 400 JSON error, no API call
--- config
    location = /auth/resend-otp { smotp_resend; }
--- request eval
["POST /auth/resend-otp\n{}",
 "POST /auth/resend-otp\n{\"requestId\":42}",
 "POST /auth/resend-otp\n{\"requestId\":\"not an id\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"\"}",
 "POST /auth/resend-otp\nnot json"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 400, 400, 400, 400]
--- response_headers eval
[("Content-Type: application/json") x 5]
--- response_body_like eval
[qr/^\Q{"error":"requestId is required"}\E$/,
 qr/^\Q{"error":"requestId must be the id that sending the OTP returned"}\E$/,
 qr/^\Q{"error":"requestId must be the id that sending the OTP returned"}\E$/,
 qr/^\Q{"error":"requestId must be the id that sending the OTP returned"}\E$/,
 qr/^\{"error":"[^"]+"\}$/]
--- no_error_log
smotp resend: API call
[alert]



=== TEST 12: only POST: 405 JSON with Allow, no API call
--- config
    location = /auth/resend-otp { smotp_resend; }
--- request
GET /auth/resend-otp
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
--- response_body chomp
{"error":"method not allowed"}
--- no_error_log
smotp resend: API call



=== TEST 13: an Idempotency-Key that is malformed: 400, no API call
--- config
    location = /auth/resend-otp { smotp_resend; }
--- request
POST /auth/resend-otp
{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b"}
--- more_headers
Content-Type: application/json
Idempotency-Key: two words
--- error_code: 400
--- response_body chomp
{"error":"Idempotency-Key must be 1 to 255 visible ASCII characters, bare or as a quoted string"}
--- no_error_log
smotp resend: API call



=== TEST 14: sends with Idempotency-Keys, for the limit blocks (their ids come back to a send with the same key)
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
[map { "POST /auth/send-otp\n{\"phoneNumber\":\"+91980000220$_\"}" } 4 .. 8]
--- more_headers eval
[map { "Content-Type: application/json\nIdempotency-Key: limits-220$_" } 4 .. 8]
--- error_code eval
[(200) x 5]



=== TEST 15: a resend counts as a send to its phone: a limit of 2 lets one send and one resend through, not a second resend
--- http_config eval: $::Limits
--- config eval
$::ApiLocation . <<'_EOC_';
    smotp_limit zone=otp key=$smotp_phone rate=2/10m;
    location = /auth/send-otp { smotp_send; }
    location = /auth/resend-otp {
        smotp_resend;
        add_header X-Limit $smotp_limit_status always;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002204\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002204:requestId}}\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002204:requestId}}\"}"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: limits-2204",
 "Content-Type: application/json", "Content-Type: application/json"]
--- error_code eval
[200, 200, 429]
--- response_headers_like eval
["", "X-Limit: passed", "X-Limit: limited\nContent-Type: application/json"]
--- response_body_like eval
['^\{"requestId":"{{inbox:+919800002204:requestId}}",',
 '^\{"requestId":"{{inbox:+919800002204:requestId}}",',
 '^\{"error":"too many requests, try again later","retryAfter":\d+\}$']
--- error_log eval
qr/smotp (send: OTP sent to|resend: OTP sent again to|resend: refused by smotp_limit key=\$smotp_phone rate=2\/10m, phone) \+91\*{6}2204/
--- no_error_log
[alert]



=== TEST 16: the cooldown of smotp_resend_interval holds for a resend after a send
--- http_config eval: $::Limits
--- config eval
$::ApiLocation . <<'_EOC_';
    smotp_resend_interval 30s zone=otp;
    location = /auth/send-otp { smotp_send; }
    location = /auth/resend-otp {
        smotp_resend;
        add_header X-Limit $smotp_limit_status always;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002205\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002205:requestId}}\"}"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: limits-2205",
 "Content-Type: application/json"]
--- error_code eval
[200, 429]
--- response_headers_like eval
["", "X-Limit: cooldown\nRetry-After: (29|30)\n"]
--- no_error_log
smotp resend: API call



=== TEST 17: a resend that fails gives its count back: the next one gets through
--- http_config eval: $::Limits
--- config eval
$::ApiLocation . <<'_EOC_';
    smotp_retries 0;
    smotp_limit zone=otp key=$smotp_phone rate=2/10m;
    location = /auth/send-otp { smotp_send; }
    location = /auth/resend-otp { smotp_resend; }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002206\"}",
 "POST /auth/resend-otp?fault=500\n{\"requestId\":\"{{inbox:+919800002206:requestId}}\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002206:requestId}}\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002206:requestId}}\"}"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: limits-2206",
 ("Content-Type: application/json") x 3]
--- error_code eval
[200, 502, 200, 429]



=== TEST 18: with limits (two of one zone), an id no send recorded is refused before any call: the limits cannot count it
--- http_config eval: $::Limits
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/resend-otp {
        smotp_resend;
        smotp_limit zone=otp key=$smotp_phone rate=3/10m;
        smotp_limit zone=otp key=all rate=100/d;
    }
_EOC_
--- request
POST /auth/resend-otp
{"requestId":"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"requestId is not known: send a new OTP"}
--- error_log
smotp resend: request 3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b is not in the limits' zones: refused
--- no_error_log
smotp resend: API call



=== TEST 19: a test number's id is resent with no API call and no limit counted
--- http_config eval: $::Limits
--- config eval
$::ApiLocation . <<'_EOC_';
    smotp_test_number +919999999999 123456;
    location = /auth/resend-otp {
        smotp_resend;
        smotp_limit zone=otp key=all rate=1/10m;
    }
_EOC_
--- request eval
[("POST /auth/resend-otp\n{\"requestId\":\"$::TestId\"}") x 2]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body eval
[("{\"requestId\":\"$::TestId\"}") x 2]
--- error_log
smotp resend: +91******9999 is an smotp_test_number: no API call
--- no_error_log
smotp resend: API call



=== TEST 19: wrong codes and a resend are one entry: smotp_verify_attempts (set for the server) counts the verifies, not the resend, and the resend still finds its phone
--- http_config eval: $::Limits
--- config eval
$::ApiLocation . <<'_EOC_';
    smotp_limit zone=otp key=$smotp_phone rate=5/10m;
    smotp_verify_attempts zone=otp 2;
    location = /auth/send-otp { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /auth/resend-otp {
        smotp_resend;
        add_header X-Limit $smotp_limit_status always;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002207\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800002207:requestId}}\",\"otpCode\":\"{{inbox:+919800002207:wrong_code}}\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002207:requestId}}\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002207:requestId}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800002207:requestId}}\",\"otpCode\":\"0000\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800002207:requestId}}\",\"otpCode\":\"0000\"}"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: limits-2207",
 ("Content-Type: application/json") x 5]
--- error_code eval
[200, 200, 200, 200, 200, 429]
--- response_headers_like eval
["", "", "X-Limit: passed", "X-Limit: passed", "", ""]
--- response_body_like eval
['^\{"requestId"', '^\{"verified":false,', '^\{"requestId"',
 '^\{"requestId"', '^\{"verified":false,',
 '^\{"error":"too many wrong codes: send a new one"']



=== TEST 20: a right code clears the wrong codes, not the record: a resend after it still reaches the API (which answers 410)
--- http_config eval: $::Limits
--- config eval
$::ApiLocation . <<'_EOC_';
    smotp_limit zone=otp key=$smotp_phone rate=5/10m;
    smotp_verify_attempts zone=otp 2;
    location = /auth/send-otp { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /auth/resend-otp { smotp_resend; }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002208\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800002208:requestId}}\",\"otpCode\":\"{{inbox:+919800002208:wrong_code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800002208:requestId}}\",\"otpCode\":\"{{inbox:+919800002208:code}}\"}",
 "POST /auth/resend-otp\n{\"requestId\":\"{{inbox:+919800002208:requestId}}\"}"]
--- more_headers eval
["Content-Type: application/json\nIdempotency-Key: limits-2208",
 ("Content-Type: application/json") x 3]
--- error_code eval
[200, 200, 200, 410]
--- response_body_like eval
['^\{"requestId"', '^\{"verified":false,', '^\{"verified":true\}$',
 '^\{"error":"OTP request expired"\}$']
