# smotp_metrics: the counters of every request's result and of every
# attempt of the API call, in Prometheus's text format, read back with
# Prometheus's own parser (t/inc/prom-check.py, python3-prometheus-client),
# which prints the samples that are not zero.  Each block starts a fresh
# nginx, so its counts start at zero.  Across workers and reloads:
# t/023-metrics-workers.t.
#
# nginx runs through t/inc/nginx-startup-log (see t/009-config.t): what
# nginx says while it reads its configuration goes to logs/error.log.

use FindBin;
use lib "$FindBin::Bin/inc";

BEGIN {
    $ENV{SMOTP_NGINX_BINARY} = $ENV{TEST_NGINX_BINARY} || 'nginx';
    $ENV{TEST_NGINX_BINARY} = "$FindBin::Bin/inc/nginx-startup-log";
}

use Test::Nginx::Socket 'no_plan';
use SmotpTest;
use PromCheck;
use Digest::SHA qw(sha256);

# the id the module makes for a test number (t/025-test-numbers.t)
sub test_id {
    my @b = unpack("C*", sha256($_[0]));

    $b[6] = ($b[6] & 0x0f) | 0x80;
    $b[8] = ($b[8] & 0x3f) | 0x80;

    my $h = join '', map { sprintf "%02x", $_ } @b[0 .. 15];

    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
                     substr($h, 16, 4), substr($h, 20, 12);
}

our $TestId = test_id('+919999999923');

# an API location that answers with a fault of the stand-in
sub api {
    my ($name, $fault, $extra) = @_;

    $extra //= '';

    return "    location /_smotp_api_$name/ {\n"
           . "        internal;\n"
           . "        proxy_pass http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT/;\n"
           . "        proxy_set_header X-Standin-Fault \"$fault\";\n"
           . ($extra =~ /proxy_read_timeout/ ? "" : "        proxy_read_timeout 10s;\n")
           . "$extra"
           . "    }\n";
}

sub send_to {
    my ($name, $extra) = @_;

    $extra //= '';

    return "    location = /$name {\n"
           . "        smotp_send;\n"
           . "        smotp_api_location /_smotp_api_$name;\n"
           . ($extra =~ /smotp_retries/ ? "" : "        smotp_retries 0;\n")
           . "$extra"
           . "    }\n";
}

our $ApiLocation = <<'_EOC_';
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
_EOC_

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: before any request, each endpoint's series are there at 0, with their HELP and TYPE; Prometheus's content type
--- config
    location = /auth/send-otp { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /wallet { smotp_wallet; }
    location = /metrics { smotp_metrics; }
--- request
GET /metrics
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body
# HELP smotp_requests_total Requests to the smotp endpoints, by endpoint and result.
# TYPE smotp_requests_total counter
smotp_requests_total{endpoint="send",result="sent"} 0
smotp_requests_total{endpoint="send",result="invalid"} 0
smotp_requests_total{endpoint="send",result="limited"} 0
smotp_requests_total{endpoint="send",result="failed"} 0
smotp_requests_total{endpoint="send",result="test"} 0
smotp_requests_total{endpoint="verify",result="verified"} 0
smotp_requests_total{endpoint="verify",result="wrong_code"} 0
smotp_requests_total{endpoint="verify",result="invalid"} 0
smotp_requests_total{endpoint="verify",result="limited"} 0
smotp_requests_total{endpoint="verify",result="failed"} 0
smotp_requests_total{endpoint="verify",result="test"} 0
smotp_requests_total{endpoint="wallet",result="ok"} 0
smotp_requests_total{endpoint="wallet",result="invalid"} 0
smotp_requests_total{endpoint="wallet",result="limited"} 0
smotp_requests_total{endpoint="wallet",result="failed"} 0
# HELP smotp_api_calls_total Attempts of the API call, by endpoint and outcome: the status class of the API's answer, or the fault (refused, timeout, reset) when there was none.
# TYPE smotp_api_calls_total counter
smotp_api_calls_total{endpoint="send",outcome="2xx"} 0
smotp_api_calls_total{endpoint="send",outcome="3xx"} 0
smotp_api_calls_total{endpoint="send",outcome="4xx"} 0
smotp_api_calls_total{endpoint="send",outcome="5xx"} 0
smotp_api_calls_total{endpoint="send",outcome="refused"} 0
smotp_api_calls_total{endpoint="send",outcome="timeout"} 0
smotp_api_calls_total{endpoint="send",outcome="reset"} 0
smotp_api_calls_total{endpoint="verify",outcome="2xx"} 0
smotp_api_calls_total{endpoint="verify",outcome="3xx"} 0
smotp_api_calls_total{endpoint="verify",outcome="4xx"} 0
smotp_api_calls_total{endpoint="verify",outcome="5xx"} 0
smotp_api_calls_total{endpoint="verify",outcome="refused"} 0
smotp_api_calls_total{endpoint="verify",outcome="timeout"} 0
smotp_api_calls_total{endpoint="verify",outcome="reset"} 0
smotp_api_calls_total{endpoint="wallet",outcome="2xx"} 0
smotp_api_calls_total{endpoint="wallet",outcome="3xx"} 0
smotp_api_calls_total{endpoint="wallet",outcome="4xx"} 0
smotp_api_calls_total{endpoint="wallet",outcome="5xx"} 0
smotp_api_calls_total{endpoint="wallet",outcome="refused"} 0
smotp_api_calls_total{endpoint="wallet",outcome="timeout"} 0
smotp_api_calls_total{endpoint="wallet",outcome="reset"} 0
# HELP smotp_api_retries_total Attempts of the API call made after the first of a request.
# TYPE smotp_api_retries_total counter
smotp_api_retries_total{endpoint="send"} 0
smotp_api_retries_total{endpoint="verify"} 0
smotp_api_retries_total{endpoint="wallet"} 0
# HELP smotp_api_duration_seconds Time of each attempt of the API call, from its start to its end.
# TYPE smotp_api_duration_seconds histogram
smotp_api_duration_seconds_bucket{endpoint="send",le="0.05"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="0.1"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="0.25"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="0.5"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="1"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="2.5"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="5"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="7.5"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="10"} 0
smotp_api_duration_seconds_bucket{endpoint="send",le="+Inf"} 0
smotp_api_duration_seconds_sum{endpoint="send"} 0.000
smotp_api_duration_seconds_count{endpoint="send"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="0.05"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="0.1"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="0.25"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="0.5"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="1"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="2.5"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="5"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="7.5"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="10"} 0
smotp_api_duration_seconds_bucket{endpoint="verify",le="+Inf"} 0
smotp_api_duration_seconds_sum{endpoint="verify"} 0.000
smotp_api_duration_seconds_count{endpoint="verify"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="0.05"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="0.1"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="0.25"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="0.5"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="1"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="2.5"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="5"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="7.5"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="10"} 0
smotp_api_duration_seconds_bucket{endpoint="wallet",le="+Inf"} 0
smotp_api_duration_seconds_sum{endpoint="wallet"} 0.000
smotp_api_duration_seconds_count{endpoint="wallet"} 0
--- no_error_log
[error]
[warn]



=== TEST 2: and it parses, every family with its HELP and TYPE, the buckets cumulative (nothing printed: all are 0)
--- config
    location = /auth/send-otp { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /metrics { smotp_metrics; }
--- request
GET /metrics
--- error_code: 200
--- response_body_filters eval
PromCheck::filter('--buckets')
--- response_body chomp



=== TEST 3: sends: two sent, a bad number and a GET counted as invalid; one API call each of the two
--- config
    location = /auth/send-otp { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /metrics { smotp_metrics; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002301\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002302\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"12\"}",
 "GET /auth/send-otp",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 400, 405, 200]
--- response_body_filters eval
[[], [], [], [], [PromCheck::filter()]]
--- response_body eval
[qr/requestId/, qr/requestId/, qr/error/, qr/error/, <<'_EOC_']
smotp_requests_total{endpoint="send",result="sent"} 2
smotp_requests_total{endpoint="send",result="invalid"} 2
smotp_api_calls_total{endpoint="send",outcome="2xx"} 2
smotp_api_duration_seconds_count{endpoint="send"} 2
_EOC_



=== TEST 4: verifies: the right code, a wrong one, a bad id (no call) and an unknown one (the API's 404)
--- config
    location = /auth/send-otp { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /metrics { smotp_metrics; }
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800002301:requestId}}\",\"otpCode\":\"{{inbox:+919800002301:code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"{{inbox:+919800002302:requestId}}\",\"otpCode\":\"{{inbox:+919800002302:wrong_code}}\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"x y\",\"otpCode\":\"123456\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"0b7a1c52-8f0e-4d3f-9a5e-1b2c3d4e2304\",\"otpCode\":\"123456\"}",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 400, 404, 200]
--- response_body_filters eval
[[], [], [], [], [PromCheck::filter()]]
--- response_body eval
['{"verified":true}', qr/^\{"verified":false/, qr/error/, qr/error/, <<'_EOC_']
smotp_requests_total{endpoint="verify",result="verified"} 1
smotp_requests_total{endpoint="verify",result="wrong_code"} 1
smotp_requests_total{endpoint="verify",result="invalid"} 2
smotp_api_calls_total{endpoint="verify",outcome="2xx"} 2
smotp_api_calls_total{endpoint="verify",outcome="4xx"} 1
smotp_api_duration_seconds_count{endpoint="verify"} 3
_EOC_



=== TEST 5: refused by smotp_limit, and by limit_req (429) in the location: limited
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
    limit_req_zone $server_name zone=lr:1m rate=1r/m;
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=1/10m;
    }
    location = /send-lr {
        smotp_send;
        limit_req zone=lr;
        limit_req_status 429;
    }
    location = /metrics { smotp_metrics; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002305\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002306\"}",
 "POST /send-lr\n{\"phoneNumber\":\"+919800002307\"}",
 "POST /send-lr\n{\"phoneNumber\":\"+919800002308\"}",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 429, 200, 429, 200]
--- response_body_filters eval
[[], [], [], [], [PromCheck::filter()]]
--- response_body eval
[qr/requestId/, qr/too many/, qr/requestId/, qr/too many/, <<'_EOC_']
smotp_requests_total{endpoint="send",result="sent"} 2
smotp_requests_total{endpoint="send",result="limited"} 2
smotp_api_calls_total{endpoint="send",outcome="2xx"} 2
smotp_api_duration_seconds_count{endpoint="send"} 2
_EOC_



=== TEST 6: test numbers are counted apart, with no API call
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_test_number +919999999923 123456;
--- config
    location = /auth/send-otp { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /metrics { smotp_metrics; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919999999923\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"$::TestId\",\"otpCode\":\"123456\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"$::TestId\",\"otpCode\":\"654321\"}",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200, 200]
--- response_body_filters eval
[[], [], [], [PromCheck::filter()]]
--- response_body eval
["{\"requestId\":\"$::TestId\"}", '{"verified":true}', '{"verified":false}', <<'_EOC_']
smotp_requests_total{endpoint="send",result="test"} 1
smotp_requests_total{endpoint="verify",result="test"} 2
_EOC_



=== TEST 7: the API's failures, by the status class of its answer and by fault; retries; each request failed
--- config eval
$::ApiLocation
. ::api("503", "status=503") . ::send_to("503", "        smotp_retries 1;\n        smotp_retry_backoff 10ms 10ms;\n")
. ::api("401", "status=401") . ::send_to("401")
. ::api("429", "status=429") . ::send_to("429")
. ::api("302", "status=302") . ::send_to("302")
. ::api("reset", "reset=body") . ::send_to("reset")
. ::api("cut", "body=truncated") . ::send_to("cut")
. ::api("slow", "delay=2", "        proxy_read_timeout 500ms;\n") . ::send_to("slow")
. ::api("late", "delay=2") . ::send_to("late", "        smotp_deadline 500ms;\n")
. <<'_EOC_';
    location /_smotp_api_refused/ {
        internal;
        proxy_pass http://127.0.0.1:1/;
    }
    location = /refused {
        smotp_send;
        smotp_api_location /_smotp_api_refused;
        smotp_retries 0;
    }
    location = /metrics { smotp_metrics; }
_EOC_
--- request eval
["POST /503\n{\"phoneNumber\":\"+919800002311\"}",
 "POST /401\n{\"phoneNumber\":\"+919800002312\"}",
 "POST /429\n{\"phoneNumber\":\"+919800002313\"}",
 "POST /302\n{\"phoneNumber\":\"+919800002314\"}",
 "POST /reset\n{\"phoneNumber\":\"+919800002315\"}",
 "POST /cut\n{\"phoneNumber\":\"+919800002316\"}",
 "POST /slow\n{\"phoneNumber\":\"+919800002317\"}",
 "POST /late\n{\"phoneNumber\":\"+919800002318\"}",
 "POST /refused\n{\"phoneNumber\":\"+919800002319\"}",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- timeout: 5
--- error_code eval
[502, 503, 429, 502, 502, 502, 504, 504, 502, 200]
--- response_body_filters eval
[[], [], [], [], [], [], [], [], [], [PromCheck::filter()]]
--- response_body eval
[(qr/error/) x 9, <<'_EOC_']
smotp_requests_total{endpoint="send",result="failed"} 9
smotp_api_calls_total{endpoint="send",outcome="3xx"} 1
smotp_api_calls_total{endpoint="send",outcome="4xx"} 2
smotp_api_calls_total{endpoint="send",outcome="5xx"} 2
smotp_api_calls_total{endpoint="send",outcome="refused"} 1
smotp_api_calls_total{endpoint="send",outcome="timeout"} 2
smotp_api_calls_total{endpoint="send",outcome="reset"} 2
smotp_api_retries_total{endpoint="send"} 1
smotp_api_duration_seconds_count{endpoint="send"} 10
_EOC_



=== TEST 8: the histogram: an attempt of 1.2 s is in the buckets from 2.5 up (5 s here, to leave valgrind room), not in 1
--- config eval
::api("slow", "delay=1.2") . ::send_to("slow") . <<'_EOC_';
    location = /metrics { smotp_metrics; }
_EOC_
--- request eval
["POST /slow\n{\"phoneNumber\":\"+919800002320\"}",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_filters eval
[[], [PromCheck::filter('--buckets', 'le="(0\.05|1|5|\+Inf)"|_count')]]
--- timeout: 5
--- response_body eval
[qr/requestId/, <<'_EOC_']
smotp_api_duration_seconds_bucket{endpoint="send",le="5"} 1
smotp_api_duration_seconds_bucket{endpoint="send",le="+Inf"} 1
smotp_api_duration_seconds_count{endpoint="send"} 1
_EOC_



=== TEST 9: the wallet's balance is "ok"
--- config
    location = /wallet { smotp_wallet; }
    location = /metrics { smotp_metrics; }
--- request eval
["GET /wallet", "GET /metrics"]
--- error_code eval
[200, 200]
--- response_body_filters eval
[[], [PromCheck::filter()]]
--- response_body eval
[qr/balance/, <<'_EOC_']
smotp_requests_total{endpoint="wallet",result="ok"} 1
smotp_api_calls_total{endpoint="wallet",outcome="2xx"} 1
smotp_api_duration_seconds_count{endpoint="wallet"} 1
_EOC_



=== TEST 10: a request refused before the endpoint (deny) is invalid; one answered by "return" is not counted; nor the API's subrequest, logged with log_subrequest, nor the metrics' own
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        log_subrequest on;
    }
    location = /auth/send-otp { smotp_send; }
    location = /denied { smotp_send; deny all; }
    location = /returned { smotp_send; return 200 "x"; }
    location = /metrics { smotp_metrics; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002321\"}",
 "POST /denied\n{\"phoneNumber\":\"+919800002322\"}",
 "POST /returned\n{\"phoneNumber\":\"+919800002323\"}",
 "GET /metrics",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 403, 200, 200, 200]
--- response_body_filters eval
[[], [], [], [], [PromCheck::filter()]]
--- response_body eval
[qr/requestId/, qr/error/, "x", qr/smotp_requests_total/, <<'_EOC_']
smotp_requests_total{endpoint="send",result="sent"} 1
smotp_requests_total{endpoint="send",result="invalid"} 1
smotp_api_calls_total{endpoint="send",outcome="2xx"} 1
smotp_api_duration_seconds_count{endpoint="send"} 1
_EOC_



=== TEST 11: HEAD: the headers alone
--- config
    location = /auth/send-otp { smotp_send; }
    location = /metrics { smotp_metrics; }
--- request
HEAD /metrics
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body chomp



=== TEST 12: any other method: 405 in JSON, with Allow
--- config
    location = /auth/send-otp { smotp_send; }
    location = /metrics { smotp_metrics; }
--- request
POST /metrics
x=1
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body chomp
{"error":"method not allowed"}



=== TEST 13: with no endpoint at all, smotp_metrics answers the families without samples, and it parses
--- config
    location = /metrics { smotp_metrics; }
--- request eval
["GET /metrics", "GET /metrics"]
--- error_code eval
[200, 200]
--- response_body_filters eval
[[], [PromCheck::filter()]]
--- response_body eval
[<<'_EOC_', ""]
# HELP smotp_requests_total Requests to the smotp endpoints, by endpoint and result.
# TYPE smotp_requests_total counter
# HELP smotp_api_calls_total Attempts of the API call, by endpoint and outcome: the status class of the API's answer, or the fault (refused, timeout, reset) when there was none.
# TYPE smotp_api_calls_total counter
# HELP smotp_api_retries_total Attempts of the API call made after the first of a request.
# TYPE smotp_api_retries_total counter
# HELP smotp_api_duration_seconds Time of each attempt of the API call, from its start to its end.
# TYPE smotp_api_duration_seconds histogram
_EOC_



=== TEST 14: smotp_metrics takes no argument
--- config
    location = /metrics { smotp_metrics on; }
--- must_die
--- error_log
invalid number of arguments in "smotp_metrics" directive



=== TEST 15: smotp_metrics twice
--- config
    location = /metrics { smotp_metrics; smotp_metrics; }
--- must_die
--- error_log
"smotp_metrics" directive is duplicate



=== TEST 16: smotp_metrics then an endpoint in one location
--- config
    location = /metrics { smotp_metrics; smotp_send; }
--- must_die
--- error_log
"smotp_send" cannot be combined with another content handler in location "/metrics"



=== TEST 17: an endpoint then smotp_metrics
--- config
    location = /metrics { smotp_verify; smotp_metrics; }
--- must_die
--- error_log
"smotp_metrics" cannot be combined with another content handler in location "/metrics"



=== TEST 18: smotp_metrics then proxy_pass, which would take the location over
--- config
    location = /metrics {
        smotp_metrics;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- must_die
--- error_log
"smotp_metrics" cannot be combined with another content handler in location "/metrics"



=== TEST 19: smotp_metrics is a location's only
--- config
    smotp_metrics;
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
"smotp_metrics" directive is not allowed here



=== TEST 20: the module's zone has its own name: an smotp_zone of that name is refused
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone smotp_metrics:1m;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
the shared memory zone "smotp_metrics" is already declared for a different use



=== TEST 21: a refused method's broken chunked body: the 405 all the same, and the connection closed
--- config
    location = /auth/send-otp { smotp_send; }
    location = /metrics { smotp_metrics; }
--- raw_request eval
"POST /metrics HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
--- error_code: 405
--- response_headers
Connection: close
Allow: GET, HEAD
--- response_body chomp
{"error":"method not allowed"}
--- timeout: 3



=== TEST 22: a GET's broken chunked body: nginx's 400, no metrics
--- config
    location = /auth/send-otp { smotp_send; }
    location = /metrics { smotp_metrics; }
--- raw_request eval
"GET /metrics HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
--- error_code: 400
--- response_body_unlike
smotp_



=== TEST 23: an nginx.conf with no endpoint and no smotp_metrics makes no zone and serves as before
--- config
    location = /x { return 200 "x\n"; }
--- request
GET /x
--- error_code: 200
--- response_body
x
--- no_error_log
smotp_metrics
[alert]
