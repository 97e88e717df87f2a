# The API's Retry-After given as an HTTP date (RFC 9110 allows it as well
# as seconds), and the Retry-After values the module does not use.  Each
# row shows the visitor's answer and how many calls the stand-in saw.
#
# smotp-test: serial (its times are asserted: scripts/test.sh runs it
# alone, after the shards, not beside another file under valgrind)

use FindBin;
use lib "$FindBin::Bin/inc";

use POSIX ();
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
        proxy_set_header X-Standin-Fault "$fault";
    }
_EOC_
}

sub http_date {
    my ($t) = @_;

    return POSIX::strftime("%a, %d %b %Y %H:%M:%S GMT", gmtime $t);
}

__DATA__

=== TEST 1: a date 3 s ahead, within the deadline: waited for, then sent
--- config eval
main::api_location("status=429; fail_first=1; retry_after="
                   . main::http_date(time + 3))
. '    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001221;
    }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001221"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like eval
qr/^\{"requestId":"[0-9a-f-]{36}",/
--- error_log eval
qr/the API answered 429, retrying in [1-3]\d{3}ms \(attempt 2 of 3\)/
--- timeout: 8
--- no_error_log
[alert]
[crit]



=== TEST 2: the stand-in saw two calls, and sent one SMS
--- config eval
main::api_location("status=429; fail_first=1; retry_after="
                   . main::http_date(time + 3))
. '    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001221;
    }'
--- request
GET /stats
--- response_body_like eval
qr/^\Q{"requests":2,"sms":1}\E$/



=== TEST 3: a date past the deadline (and past a day): no retry, the date passed on
--- config eval
main::api_location("status=429; retry_after=Fri, 31 Dec 2100 23:59:59 GMT")
. '    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001222;
    }'
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001222\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[429, 200]
--- response_headers eval
["Retry-After: Fri, 31 Dec 2100 23:59:59 GMT", ""]
--- response_body_like eval
[qr/^\Q{"error":"too many requests, try again later"}\E$/, qr/^\Q{"requests":1,"sms":0}\E$/]
--- no_error_log
retrying in
[alert]
[crit]



=== TEST 4: a date already past: retried after the backoff alone
--- config eval
main::api_location("status=429; fail_first=1; retry_after=Sun, 06 Nov 1994 08:49:37 GMT")
. '    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001223;
    }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001223"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like eval
qr/^\{"requestId":"[0-9a-f-]{36}",/
--- error_log eval
qr/the API answered 429, retrying in \d{1,3}ms \(attempt 2 of 3\)/
--- no_error_log
[alert]
[crit]



=== TEST 5: two calls, one SMS
--- config eval
main::api_location("status=429; fail_first=1; retry_after=Sun, 06 Nov 1994 08:49:37 GMT")
. '    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001223;
    }'
--- request
GET /stats
--- response_body_like eval
qr/^\Q{"requests":2,"sms":1}\E$/



=== TEST 6: words that are neither seconds nor a date: retried after the backoff
--- config eval
main::api_location("status=429; fail_first=1; retry_after=after lunch")
. '    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001224;
    }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001224"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like eval
qr/^\{"requestId":"[0-9a-f-]{36}",/
--- error_log eval
qr/the API answered 429, retrying in \d{1,3}ms \(attempt 2 of 3\)/
--- no_error_log
[alert]
[crit]



=== TEST 7: two calls, one SMS
--- config eval
main::api_location("status=429; fail_first=1; retry_after=after lunch")
. '    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001224;
    }'
--- request
GET /stats
--- response_body_like eval
qr/^\Q{"requests":2,"sms":1}\E$/



=== TEST 8: a Retry-After with a character that neither form has is not passed on
--- config eval
main::api_location("status=429; retry_after=1.5")
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001225"}
--- more_headers
Content-Type: application/json
--- error_code: 429
--- response_headers
!Retry-After
--- response_body chomp
{"error":"too many requests, try again later"}
--- no_error_log
[alert]
[crit]



=== TEST 9: a Retry-After longer than 40 bytes is not passed on
--- config eval
main::api_location("status=429; retry_after=" . ("9" x 41))
. '    location = /auth/send-otp { smotp_send; smotp_retries 0; }'
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001226"}
--- more_headers
Content-Type: application/json
--- error_code: 429
--- response_headers
!Retry-After
--- response_body chomp
{"error":"too many requests, try again later"}
--- no_error_log
[alert]
[crit]
