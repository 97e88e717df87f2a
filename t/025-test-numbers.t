# smotp_test_number: a send to a test number makes no API call and sends
# no SMS, and answers a request id the module makes from the number; a
# verify of that id takes exactly the configured code; no limit counts
# them; nginx says at "warn" how many are configured; bad ones fail
# nginx -t.
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

our $Id = SmotpTest::test_id('+919999999999');

our $Http = <<'_EOC_';
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
    smotp_test_number +919999999999 123456;
_EOC_

our $Config = <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=1/10m;
        add_header X-Limit $smotp_limit_status always;
    }
    location = /auth/verify-otp {
        smotp_verify;
        smotp_verify_attempts zone=otp 1;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919999999999;
    }
_EOC_

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a send to a test number: its own request id, no API call, no limit counted
--- http_config eval: $::Http
--- config eval: $::Config
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919999999999\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919999999999\"}",
 "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200]
--- response_headers_like eval
["Content-Type: application/json", "Content-Type: application/json", ""]
--- response_body eval
["{\"requestId\":\"$::Id\"}", "{\"requestId\":\"$::Id\"}",
 "{\"requests\":0,\"sms\":0}"]
--- no_error_log
+919999999999
123456
[error]



=== TEST 2: the right code verifies, a wrong one does not, and neither is counted as a wrong code; a real number still reaches the API and counts
--- http_config eval: $::Http
--- config eval: $::Config
--- request eval
["POST /auth/verify-otp\n{\"requestId\":\"$::Id\",\"otpCode\":\"654321\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"$::Id\",\"otpCode\":\"654321\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"$::Id\",\"otpCode\":\"123456\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002501\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800002502\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200, 200, 429]
--- response_body_like eval
['^\{"verified":false\}$', '^\{"verified":false\}$',
 '^\{"verified":true\}$', '^\{"requestId":"[^"]+"', 'too many requests']



=== TEST 3: nginx says how many test numbers are configured, at warn
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_test_number +919999999999 123456;
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_test_number +14155550100 0000;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+14155550100"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- error_log
[warn]
2 smotp_test_number lines configured: sends to them make no API call



=== TEST 4: a test number that is not E.164
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_test_number 919999999999 123456;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
invalid number "919999999999" in "smotp_test_number" directive: an E.164 number is expected



=== TEST 5: a test number's code that is not 4 to 8 digits
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_test_number +919999999999 12a456;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
invalid code in "smotp_test_number" directive: 4 to 8 digits are expected



=== TEST 6: one test number given twice in one place
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_test_number +919999999999 123456;
    smotp_test_number +919999999999 654321;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
"smotp_test_number" +919999999999 is given twice
