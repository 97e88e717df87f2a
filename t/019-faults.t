# What no request can bring about: an attempt of the API call that fails
# as an allocation failure would (src/ngx_http_smotp_fault.h), in the
# module built with NGX_HTTP_SMOTP_FAULTS (make test-asan, make coverage,
# which set TEST_NGINX_SMOTP_FAULTS).  The visitor gets a 500 JSON error,
# no timer of the call is left behind to fire at the deadline, the limits'
# counts are given back, and the next request is served.
#
# limit_rate keeps the request alive while its 500 goes out, past the
# deadline: a deadline armed before the first attempt would fire then,
# on a request already answered.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket;
use SmotpTest;

if (!$ENV{TEST_NGINX_SMOTP_FAULTS}) {
    plan skip_all => 'needs the module built with NGX_HTTP_SMOTP_FAULTS '
                     . '(make test-asan, make coverage)';
} else {
    plan 'no_plan';
}

our $Http = <<'_EOC_';
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
    map $request_uri $smotp_test_fault {
        ~fault=503  "status=503";
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

=== TEST 1: the first attempt fails: 500 JSON, no API call, the count given back, and no deadline left to fire
--- main_config
env SMOTP_FAULT_ATTEMPT=1;
--- http_config eval: $::Http
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 1s;
        smotp_limit zone=otp key=all rate=1/10m;
        limit_rate 100;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001901\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001902\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[500, 500]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json"]
--- response_body_like eval
['^\{"error":"[^"]+"\}$', '^\{"error":"[^"]+"\}$']
--- timeout: 10
--- wait: 0.5
--- no_error_log
smotp_deadline
[alert]
[crit]



=== TEST 2: the stand-in was called by neither request of TEST 1
--- http_config eval: $::Http
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /inbox {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/inbox?phone=%2B919800001901;
    }
_EOC_
--- request
GET /inbox
--- error_code: 404



=== TEST 3: a retry's attempt fails: 500 JSON after the first attempt's 503, the count given back, no deadline left
--- main_config
env SMOTP_FAULT_ATTEMPT=2;
--- http_config eval: $::Http
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 1s;
        smotp_retries 1;
        smotp_retry_backoff 10ms 10ms;
        smotp_limit zone=otp key=all rate=1/10m;
        limit_rate 100;
    }
_EOC_
--- request eval
["POST /auth/send-otp?fault=503\n{\"phoneNumber\":\"+919800001903\"}",
 "POST /auth/send-otp?fault=503\n{\"phoneNumber\":\"+919800001904\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[500, 500]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json"]
--- response_body_like eval
['^\{"error":"[^"]+"\}$', '^\{"error":"[^"]+"\}$']
--- timeout: 10
--- wait: 0.5
--- error_log
the API answered 503, retrying
--- no_error_log
smotp_deadline
[alert]
[crit]



=== TEST 4: two codes sent, for the next test
--- http_config eval: $::Http
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/send-otp { smotp_send; }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001905\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001906\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]



=== TEST 5: every entry in one bucket: a right code clears its request's tally from behind a newer one, and leaves that one counting
--- main_config
env SMOTP_FAULT_ONE_BUCKET=1;
--- http_config eval: $::Http
--- config eval
$::ApiLocation . <<'_EOC_';
    location = /auth/verify-otp {
        smotp_verify;
        smotp_verify_attempts zone=otp 2;
    }
_EOC_
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001905:requestId}}\",\"otpCode\":\"{{inbox:+919800001905:wrong_code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001906:requestId}}\",\"otpCode\":\"{{inbox:+919800001906:wrong_code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001905:requestId}}\",\"otpCode\":\"{{inbox:+919800001905:code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001906:requestId}}\",\"otpCode\":\"{{inbox:+919800001906:wrong_code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800001906:requestId}}\",\"otpCode\":\"{{inbox:+919800001906:code}}\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200, 200, 429]
--- response_body_like eval
['^\{"verified":false,', '^\{"verified":false,', '^\{"verified":true',
 '^\{"verified":false,', '^\{"error":"too many wrong codes: send a new one"\}$']
--- no_error_log
[alert]
[crit]
