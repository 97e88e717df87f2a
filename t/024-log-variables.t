# $smotp_phone_masked, $smotp_result, $smotp_api_attempts and
# $smotp_api_time in an access log (logs/access.log, which the block's
# access_log checks read), plain and as JSON; the phone number is never
# written whole.
#
# TEST 2's time is under 0.9 s: its two backoffs alone are 0.8 s, which
# the time leaves out (under valgrind each attempt is slower).
#
# smotp-test: serial (its times are asserted: scripts/test.sh runs it
# alone, after the shards, not beside another file under valgrind)

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;
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

our $TestId = test_id('+919999999924');

our $Http = <<'_EOC_';
    smotp_api_key sm_test_0123456789abcdef;
    log_format smotp 'smotp $uri phone=[$smotp_phone_masked] '
                     'result=[$smotp_result] '
                     'attempts=[$smotp_api_attempts] time=[$smotp_api_time]';
    log_format smotp_json escape=json
        '{"uri":"$uri","phone":"$smotp_phone_masked",'
        '"result":"$smotp_result","apiAttempts":"$smotp_api_attempts",'
        '"apiTime":"$smotp_api_time"}';
    access_log logs/access.log smotp;
_EOC_

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a send: its number masked, "sent", one attempt and its time
--- http_config eval: $::Http
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002401"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- access_log eval
qr/^smotp \/auth\/send-otp phone=\[\+91\*{6}2401\] result=\[sent\] attempts=\[1\] time=\[0\.\d{3}\]$/
--- no_access_log
919800002401



=== TEST 2: retries: every attempt counted, and their times summed (the backoff's wait is not the API's)
--- http_config eval: $::Http
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "status=503; delay=0.1; fail_first=2";
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_retry_backoff 400ms 400ms;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002402"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- access_log eval
qr/^smotp \/auth\/send-otp phone=\[\+91\*{6}2402\] result=\[sent\] attempts=\[3\] time=\[0\.[2-8]\d{2}\]$/



=== TEST 3: the deadline: "failed", the attempt's time up to it
--- http_config eval: $::Http
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
        proxy_set_header X-Standin-Fault "delay=2";
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 500ms;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002403"}
--- more_headers
Content-Type: application/json
--- timeout: 3
--- error_code: 504
--- access_log eval
qr/^smotp \/auth\/send-otp phone=\[\+91\*{6}2403\] result=\[failed\] attempts=\[1\] time=\[0\.[4-6]\d{2}\]$/



=== TEST 4: a verify carries no number: "verified", one attempt
--- http_config eval: $::Http
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800002401:requestId}}","otpCode":"{{inbox:+919800002401:code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"verified":true}
--- access_log eval
qr/^smotp \/auth\/verify-otp phone=\[-\] result=\[verified\] attempts=\[1\] time=\[0\.\d{3}\]$/



=== TEST 5: a bad number: "invalid", no attempt, no time, and the number not written at all
--- http_config eval: $::Http
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+0123456789"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- access_log
smotp /auth/send-otp phone=[-] result=[invalid] attempts=[0] time=[-]
--- no_access_log
0123456789



=== TEST 6: refused by a limit: "limited", the number masked, no attempt (in headers, add_header ... always, one set a request)
--- http_config eval
$::Http . "    smotp_zone otp:1m;\n"
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=$smotp_phone rate=1/10m;
        add_header X-Phone $smotp_phone_masked always;
        add_header X-Result $smotp_result always;
        add_header X-Attempts $smotp_api_attempts always;
        add_header X-Time $smotp_api_time always;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002406\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002406\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 429]
--- response_headers_like eval
["X-Phone: ^\\+91\\*{6}2406\$\nX-Result: ^sent\$\nX-Attempts: ^1\$\nX-Time: ^0\\.\\d{3}\$",
 "X-Phone: ^\\+91\\*{6}2406\$\nX-Result: ^limited\$\nX-Attempts: ^0\$"]
--- response_headers eval
["", "!X-Time"]
--- no_access_log
919800002406



=== TEST 7: a test number: "test", masked, no attempt
--- http_config eval
$::Http . "    smotp_test_number +919999999924 123456;\n"
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919999999924"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- access_log
smotp /auth/send-otp phone=[+91******9924] result=[test] attempts=[0] time=[-]
--- no_access_log
919999999924



=== TEST 8: its verify too, which knows the number by its id
--- http_config eval
$::Http . "    smotp_test_number +919999999924 123456;\n"
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request eval
"POST /auth/verify-otp\n{\"requestId\":\"$::TestId\",\"otpCode\":\"123456\"}"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- access_log
smotp /auth/verify-otp phone=[+91******9924] result=[test] attempts=[0] time=[-]
--- no_access_log
919999999924



=== TEST 9: a request answered by "return" in an endpoint's location, which the endpoint never saw: no result
--- http_config eval: $::Http
--- config
    location = /auth/send-otp { smotp_send; return 200 "x"; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002408"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- access_log
smotp /auth/send-otp phone=[-] result=[-] attempts=[-] time=[-]



=== TEST 10: outside the endpoints, none is set
--- http_config eval: $::Http
--- config
    location = /auth/send-otp { smotp_send; }
    location = /other { return 404; }
--- request
GET /other
--- error_code: 404
--- access_log
smotp /other phone=[-] result=[-] attempts=[-] time=[-]



=== TEST 11: a JSON access log (escape=json)
--- http_config eval: $::Http
--- config
    location = /auth/send-otp {
        smotp_send;
        access_log logs/access.log smotp_json;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002409"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- access_log eval
qr/^\{"uri":"\/auth\/send-otp","phone":"\+91\*{6}2409","result":"sent","apiAttempts":"1","apiTime":"0\.\d{3}"\}$/
--- no_access_log
919800002409



=== TEST 12: ... where what is not set is an empty string
--- http_config eval: $::Http
--- config
    location = /auth/send-otp {
        smotp_send;
        access_log logs/access.log smotp_json;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"x"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- access_log
{"uri":"/auth/send-otp","phone":"","result":"invalid","apiAttempts":"0","apiTime":""}



=== TEST 13: in a header too (add_header ... always): the result of an error
--- http_config eval: $::Http
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Result $smotp_result always;
        add_header X-Phone $smotp_phone_masked always;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002410"}
--- more_headers
Content-Type: text/plain
--- error_code: 415
--- response_headers
X-Result: invalid
!X-Phone
