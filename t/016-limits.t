# The abuse limits (smotp_zone, smotp_limit, smotp_resend_interval,
# smotp_verify_attempts): each refuses at its count with 429 JSON and the
# right Retry-After, costs no API call when it refuses, gives its count
# back when the API call comes to nothing, and counts exactly when many
# requests come at once to several workers.
#
# Concurrency, several workers, reloads and a full zone: t/017.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

our $Fault = <<'_EOC_';
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
    map $request_uri $smotp_test_fault {
        ~fault=400  "status=400; message=phone number is not reachable";
        ~fault=503  "status=503";
        ~fault=429  "status=429; retry_after=7";
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

=== TEST 1: smotp_limit refuses at its count: 429 JSON with Retry-After and retryAfter, and the status in $smotp_limit_status
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=2/10m;
        add_header X-Limit $smotp_limit_status always;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001601\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001602\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001603\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 429]
--- response_headers_like eval
["X-Limit: passed", "X-Limit: passed",
 "X-Limit: limited\nRetry-After: (59\\d|600)\nContent-Type: application/json"]
--- response_body_like eval
['^\{"requestId":"[^"]+",', '^\{"requestId":"[^"]+",',
 '^\{"error":"too many requests, try again later","retryAfter":(59\d|600)\}$']
--- no_error_log
[alert]



=== TEST 2: a refused send costs no API call: the stand-in saw only the one that passed
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=1/10m;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001604;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001604\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001604\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001604\"}",
 "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 429, 429, 200]
--- response_body_like eval
['^\{"requestId":"[^"]+",', '"retryAfter"', '"retryAfter"',
 '^\{"requests":1,"sms":1\}$']



=== TEST 3: a key that is empty is no count: the limit does not apply
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$http_x_who rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001606\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001607\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]



=== TEST 4: a key counts apart from another key, and a variable key holds its own count
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$http_x_who rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001608\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001609\"}"]
--- more_headers eval
["Content-Type: application/json\nX-Who: alice",
 "Content-Type: application/json\nX-Who: bob"]
--- error_code eval
[200, 200]



=== TEST 5: the rolling window lets requests through again
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=1/1s;
    }
    location = /sleep {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/otp/none;
        proxy_set_header X-Standin-Fault "delay=2.1; status=404";
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001610\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001611\"}",
 "GET /sleep",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001612\"}"]
--- more_headers
Content-Type: application/json
--- timeout: 4
--- error_code eval
[200, 429, 404, 200]
--- response_headers_like eval
["", "Retry-After: [12]", "", ""]



=== TEST 6: the API refusing the input (400) gives the count back
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp?fault=400\n{\"phoneNumber\":\"+919800001613\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001614\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001615\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 200, 429]



=== TEST 7: an API failure after its retries (503) gives the count back
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_retries 1;
        smotp_retry_backoff 10ms 10ms;
        smotp_limit zone=otp key=all rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp?fault=503\n{\"phoneNumber\":\"+919800001616\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001617\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001618\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 200, 429]



=== TEST 8: the API's own 429 keeps the count: it was a send the API saw
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_retries 0;
        smotp_limit zone=otp key=all rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp?fault=429\n{\"phoneNumber\":\"+919800001619\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001620\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[429, 429]
--- response_body_like eval
['^\{"error":"too many requests, try again later"\}$',
 '^\{"error":"too many requests, try again later","retryAfter":\d+\}$']



=== TEST 9: every limit must pass: the second refuses, and the first's count is given back
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$http_x_who rate=1/10m;
        smotp_limit zone=otp key=all rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001621\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001622\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001623\"}"]
--- more_headers eval
["Content-Type: application/json",
 "Content-Type: application/json\nX-Who: carol",
 "Content-Type: application/json"]
--- error_code eval
[200, 429, 429]



=== TEST 10: smotp_resend_interval: the same phone again within it is refused (cooldown), another phone is not
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_resend_interval 30s zone=otp;
        add_header X-Limit $smotp_limit_status always;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001624\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001624\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001625\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 429, 200]
--- response_headers_like eval
["X-Limit: passed", "X-Limit: cooldown\nRetry-After: (29|30)", "X-Limit: passed"]
--- response_body_like eval
['^\{"requestId"', '^\{"error":"too many requests, try again later","retryAfter":(29|30)\}$', '^\{"requestId"']



=== TEST 11: the resend interval ends: the phone may have a code again
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$http_x_none rate=100/h;
        smotp_resend_interval 1s;
    }
    location = /sleep {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/otp/none;
        proxy_set_header X-Standin-Fault "delay=1.1; status=404";
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001626\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001626\"}",
 "GET /sleep",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001626\"}"]
--- more_headers
Content-Type: application/json
--- timeout: 4
--- error_code eval
[200, 429, 404, 200]



=== TEST 12: a failed send gives its phone's cooldown back
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_resend_interval 30s zone=otp;
    }
_EOC_
--- request eval
["POST /auth/send-otp?fault=400\n{\"phoneNumber\":\"+919800001627\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001627\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001627\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 200, 429]



=== TEST 13: above 8 a period, the count is kept by windows: the tenth of 9/10m is refused, with a Retry-After
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=9/10m;
    }
_EOC_
--- request eval
[map { "POST /auth/send-otp\n{\"phoneNumber\":\"+9198000016" . (30 + $_) . "\"}" } 0 .. 9]
--- more_headers
Content-Type: application/json
--- error_code eval
[(200) x 9, 429]
--- response_body_like eval
[('^\{"requestId"') x 9, '^\{"error":"too many requests, try again later","retryAfter":\d+\}$']



=== TEST 14: a code sent, for the verify limits below
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp { smotp_send; }
_EOC_
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001640"}
--- more_headers
Content-Type: application/json
--- error_code: 200



=== TEST 15: smotp_verify_attempts: two wrong codes, then even the right one is refused, with no API call
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/verify-otp {
        smotp_verify;
        smotp_verify_attempts zone=otp 2;
        add_header X-Limit $smotp_limit_status always;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats$is_args$args;
    }
_EOC_
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001640:requestId}}\",\"otpCode\":\"{{inbox:+919800001640:wrong_code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001640:requestId}}\",\"otpCode\":\"{{inbox:+919800001640:wrong_code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001640:requestId}}\",\"otpCode\":\"{{inbox:+919800001640:code}}\"}",
 "GET /stats?requestId={{inbox:+919800001640:requestId}}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 429, 200]
--- response_headers_like eval
["X-Limit: passed", "X-Limit: passed", "X-Limit: attempts", ""]
--- response_body_like eval
['^\{"verified":false,', '^\{"verified":false,',
 '^\{"error":"too many wrong codes: send a new one"\}$',
 '^\{"requests":2\}$']



=== TEST 16: a request the API does not know clears its tally: the same unknown id is the API's 404 again, not a 429
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/verify-otp {
        smotp_verify;
        smotp_verify_attempts zone=otp 1;
    }
_EOC_
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"no-such-request-1641\",\"otpCode\":\"123456\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"no-such-request-1641\",\"otpCode\":\"123456\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[404, 404]



=== TEST 17: a code sent, for the next test
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp { smotp_send; }
_EOC_
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001642"}
--- more_headers
Content-Type: application/json
--- error_code: 200



=== TEST 18: a wrong code, then the right one: verified, and the tally goes with it
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/verify-otp {
        smotp_verify;
        smotp_verify_attempts zone=otp 2;
    }
_EOC_
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001642:requestId}}\",\"otpCode\":\"{{inbox:+919800001642:wrong_code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001642:requestId}}\",\"otpCode\":\"{{inbox:+919800001642:code}}\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
['^\{"verified":false,', '^\{"verified":true']



=== TEST 19: a number of a denied country is refused before any limit counts it: $smotp_limit_status says denied_prefix
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_denied_prefixes +1;
        smotp_limit zone=otp key=all rate=1/10m;
        add_header X-Limit $smotp_limit_status always;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550143\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001643\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 200]
--- response_headers eval
["X-Limit: denied_prefix", "X-Limit: passed"]
--- response_body_like eval
['^\{"error":"phone numbers of this country are not accepted"\}$', '^\{"requestId"']



=== TEST 20: a limit per phone: the same phone again is refused, another is not
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$smotp_phone rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001644\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001644\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001645\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 429, 200]



=== TEST 21: a limit per client network: two addresses of one IPv6 /64 share a count, another /64 has its own
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$smotp_client_net rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001646\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001647\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001648\"}"]
--- more_headers eval
["Content-Type: application/json\nX-Real-IP: 2001:db8:1:2::1",
 "Content-Type: application/json\nX-Real-IP: 2001:db8:1:2:ffff:ffff:ffff:fffe",
 "Content-Type: application/json\nX-Real-IP: 2001:db8:1:3::1"]
--- error_code eval
[200, 429, 200]



=== TEST 22: a limit per country: +44 numbers share a count, +91 has its own
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$smotp_phone_prefix rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+442079460649\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+447700900650\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001651\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 429, 200]



=== TEST 23: no limit applied: $smotp_limit_status is empty
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        add_header X-Limit "[$smotp_limit_status]" always;
    }
_EOC_
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001652"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
X-Limit: []



=== TEST 24: a key longer than the entry's name takes is counted by its own hash: the same long key is refused, another is not
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$http_x_who rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001653\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001654\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001655\"}"]
--- more_headers eval
["Content-Type: application/json\nX-Who: " . ("a" x 300),
 "Content-Type: application/json\nX-Who: " . ("a" x 300),
 "Content-Type: application/json\nX-Who: " . ("a" x 299) . "b"]
--- error_code eval
[200, 429, 200]



=== TEST 25: a verify the API could not take (503) gives its attempt back
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/verify-otp {
        smotp_verify;
        smotp_retries 0;
        smotp_verify_attempts zone=otp 1;
    }
_EOC_
--- request eval
["POST /auth/verify-otp?fault=503\n{\"requestId\":\"req-1656\",\"otpCode\":\"123456\"}",
 "POST /auth/verify-otp?fault=503\n{\"requestId\":\"req-1656\",\"otpCode\":\"123456\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[502, 502]



=== TEST 26: above 8 a period, a send the API refused gives its count back too
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=9/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp?fault=400\n{\"phoneNumber\":\"+919800001657\"}",
 map({ "POST /auth/send-otp\n{\"phoneNumber\":\"+9198000016" . (60 + $_) . "\"}" } 0 .. 9)]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, (200) x 9, 429]



=== TEST 27: an entry past its use goes when a new one is made
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$http_x_who rate=1/1s;
    }
    location = /sleep {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/otp/none;
        proxy_set_header X-Standin-Fault "delay=1.1; status=404";
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001670\"}",
 "GET /sleep",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001671\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001672\"}"]
--- more_headers eval
["Content-Type: application/json\nX-Who: dave",
 "",
 "Content-Type: application/json\nX-Who: erin",
 "Content-Type: application/json\nX-Who: erin"]
--- timeout: 4
--- error_code eval
[200, 404, 200, 429]



=== TEST 28: a key of a variable and text around it is counted as the whole text
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$http_x_who-send rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001673\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001674\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001675\"}"]
--- more_headers eval
["Content-Type: application/json\nX-Who: frank",
 "Content-Type: application/json\nX-Who: frank",
 "Content-Type: application/json\nX-Who: grace"]
--- error_code eval
[200, 429, 200]



=== TEST 29: limits in two zones: each zone counts its own, a refusal in the second gives the first's count back
--- http_config eval
$::Fault . "    smotp_zone other:1m;\n"
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp   key=$smotp_phone rate=1/10m;
        smotp_limit zone=other key=all          rate=1/10m;
        smotp_limit zone=otp   key=all          rate=5/10m;
        add_header X-Limit $smotp_limit_status always;
    }
    location = /again {
        smotp_send;
        smotp_limit zone=otp key=$smotp_phone rate=1/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001676\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001677\"}",
 "POST /again\n{\"phoneNumber\":\"+919800001677\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 429, 200]
--- response_headers_like eval
["X-Limit: passed", "X-Limit: limited", ""]



=== TEST 30: two limits of one variable in one zone: the key read and hashed once, each limit's count its own
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$smotp_phone      rate=2/10m;
        smotp_limit zone=otp key=$smotp_client_net rate=100/10m;
        smotp_limit zone=otp key=$smotp_phone      rate=3/d;
    }
_EOC_
--- request eval
[("POST /auth/send-otp\n{\"phoneNumber\":\"+919800001681\"}") x 3]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 429]
--- response_body_like eval
['^\{"requestId":"[^"]+",', '^\{"requestId":"[^"]+",', '"retryAfter"']



=== TEST 31: a limit per client network, keyed on the address's bytes: IPv4 and the same address IPv4-mapped share a count; an IPv6 /64 that begins with those bytes, and another IPv4 address, have their own
--- http_config eval: $::Fault
--- config eval
$::ApiLocation . <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$smotp_client_net rate=1/10m;
        add_header X-Limit $smotp_limit_status always;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001691\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001692\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001693\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001694\"}"]
--- more_headers eval
["Content-Type: application/json\nX-Real-IP: 192.0.2.1",
 "Content-Type: application/json\nX-Real-IP: ::ffff:192.0.2.1",
 "Content-Type: application/json\nX-Real-IP: c000:201::1",
 "Content-Type: application/json\nX-Real-IP: 192.0.2.2"]
--- error_code eval
[200, 429, 200, 200]
--- response_headers eval
["X-Limit: passed", "X-Limit: limited", "X-Limit: passed", "X-Limit: passed"]



=== TEST 32: a client on a UNIX socket has no network: a limit per client network does not count it, a limit per phone still does
--- http_config eval
$::Fault . <<'_EOC_' . $::ApiLocation . <<'_EOC2_';
    server {
        listen unix:$TEST_NGINX_SERVER_ROOT/logs/limits.sock;
_EOC_
        location = /auth/send-otp {
            smotp_send;
            smotp_limit zone=otp key=$smotp_client_net rate=1/10m;
            smotp_limit zone=otp key=$smotp_phone      rate=2/10m;
        }
    }
_EOC2_
--- config
    location = /auth/send-otp {
        proxy_pass http://unix:$TEST_NGINX_SERVER_ROOT/logs/limits.sock;
    }
--- request eval
[("POST /auth/send-otp\n{\"phoneNumber\":\"+919800001695\"}") x 3]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 429]
--- response_body_like eval
['^\{"requestId":"[^"]+",', '^\{"requestId":"[^"]+",', '"retryAfter"']
