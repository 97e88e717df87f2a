# Configuration errors fail at start (nginx -t) with a clear message that
# names the place, and never prints the key.
#
# nginx runs through t/inc/nginx-startup-log, which only adds
# "-e logs/error.log": nginx reports configuration errors to its start-up
# log, which is stderr in Debian's build, and the tests read the file.

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

=== TEST 1: smotp_send without a key names the location
--- http_config
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
no "smotp_api_key" or "smotp_api_key_file" is set for "smotp_send" in location "/auth/send-otp"



=== TEST 2: a missing key file
--- http_config
    smotp_api_key_file ../html/no-such.key;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log eval
qr/open\(\) "[^"]*no-such\.key" failed \(2: No such file or directory\)/



=== TEST 3: an empty key file
--- http_config
    smotp_api_key_file ../html/empty.key;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files
>>> empty.key

--- must_die
--- error_log eval
qr/API key file "[^"]*empty\.key" is empty/



=== TEST 4: a key that is not one word, and it is not printed
--- http_config
    smotp_api_key "sm_test secret_part";
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
invalid API key in "smotp_api_key" directive
--- no_error_log
secret_part



=== TEST 5: a key file holding two words is refused, and not printed
--- http_config
    smotp_api_key_file ../html/two.key;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files
>>> two.key
sm_test_first sm_test_hidden_second
--- must_die
--- error_log
invalid API key in "smotp_api_key_file" directive
--- no_error_log
sm_test_hidden_second



=== TEST 6: smotp_api_location must be a URI
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_api_location _smotp_api;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
invalid value "_smotp_api" in "smotp_api_location" directive



=== TEST 7: send and verify in one location
--- config
    location = /auth/otp { smotp_send; smotp_verify; }
--- must_die
--- error_log
"smotp_verify" directive is duplicate



=== TEST 8: smotp_send beside another content handler
--- config
    location = /auth/send-otp { proxy_pass http://127.0.0.1:1; smotp_send; }
--- must_die
--- error_log
"smotp_send" cannot be combined with another content handler in location "/auth/send-otp"



=== TEST 9: a key in the server block serves every location below
--- http_config
--- config
    smotp_api_key sm_test_0123456789abcdef;
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000901"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",



=== TEST 10: a content handler set after smotp_send is refused as well
--- config
    location = /auth/send-otp { smotp_send; proxy_pass http://127.0.0.1:1; }
--- must_die
--- error_log
"smotp_send" cannot be combined with another content handler in location "/auth/send-otp"



=== TEST 11: smotp_retries above 10 is refused
--- config
    location = /auth/send-otp { smotp_send; smotp_retries 11; }
--- must_die
--- error_log
invalid value "11" in "smotp_retries" directive: at most 10 retries are allowed



=== TEST 12: smotp_retries 10 is taken
--- config
    location = /auth/send-otp { smotp_send; smotp_retries 10; }
--- request
GET /auth/send-otp
--- error_code: 405
--- response_body chomp
{"error":"method not allowed"}



=== TEST 13: smotp_deadline 0 is refused
--- config
    location = /auth/send-otp { smotp_send; smotp_deadline 0; }
--- must_die
--- error_log
invalid value "0" in "smotp_deadline" directive: a time above zero is expected



=== TEST 14: smotp_retry_backoff with a base of 0 is refused
--- config
    location = /auth/send-otp { smotp_send; smotp_retry_backoff 0 0; }
--- must_die
--- error_log
invalid value "0 0" in "smotp_retry_backoff" directive: two times, the first above zero and not larger than the second, are expected




=== TEST 15: smotp_limit with a zone never defined
--- config
    location = /auth/send-otp { smotp_send; smotp_limit zone=nowhere key=all rate=3/10m; }
--- must_die
--- error_log
unknown smotp_zone "nowhere"



=== TEST 16: smotp_limit with a bad rate
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /auth/send-otp { smotp_send; smotp_limit zone=otp key=all rate=3/10q; }
--- must_die
--- error_log
invalid rate "rate=3/10q" in "smotp_limit" directive: a count and a period from 1s to 30d are expected



=== TEST 17: smotp_limit with a count of 0
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /auth/send-otp { smotp_send; smotp_limit zone=otp key=all rate=0/h; }
--- must_die
--- error_log
invalid rate "rate=0/h" in "smotp_limit" directive



=== TEST 18: smotp_limit with an unknown parameter
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /auth/send-otp { smotp_send; smotp_limit zone=otp rate=1/h burst=3; }
--- must_die
--- error_log
invalid parameter "burst=3" in "smotp_limit" directive



=== TEST 19: smotp_limit without a key
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /auth/send-otp { smotp_send; smotp_limit zone=otp rate=1/h zone=otp; }
--- must_die
--- error_log
"smotp_limit" needs zone=, key= and rate=



=== TEST 20: smotp_zone too small
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:4k;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
invalid value "otp:4k" in "smotp_zone" directive: a size of at least 32k is expected



=== TEST 21: smotp_zone without a size
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
invalid value "otp" in "smotp_zone" directive: name:size is expected



=== TEST 22: smotp_zone given twice
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
    smotp_zone otp:1m;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
smotp_zone "otp" is already defined



=== TEST 23: smotp_resend_interval with no zone to keep it in
--- config
    location = /auth/send-otp { smotp_send; smotp_resend_interval 30s; }
--- must_die
--- error_log
"smotp_resend_interval" needs a zone: give it zone=, or an smotp_limit in the same place



=== TEST 24: smotp_resend_interval takes the zone of the location's smotp_limit
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=100/h;
        smotp_resend_interval 30s;
    }
--- request
GET /auth/send-otp
--- error_code: 405



=== TEST 25: smotp_resend_interval with a bad time
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /a { smotp_send; smotp_resend_interval soon zone=otp; }
--- must_die
--- error_log
invalid value "soon" in "smotp_resend_interval" directive: a time is expected



=== TEST 26: smotp_resend_interval with a parameter that is not a zone
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /a { smotp_send; smotp_resend_interval 30s otp; }
--- must_die
--- error_log
invalid parameter "otp" in "smotp_resend_interval" directive



=== TEST 27: smotp_resend_interval given twice
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /a { smotp_send; smotp_resend_interval 30s zone=otp; smotp_resend_interval 1m zone=otp; }
--- must_die
--- error_log
"smotp_resend_interval" directive is duplicate



=== TEST 28: zone= with no name
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /a { smotp_send; smotp_resend_interval 30s zone=; }
--- must_die
--- error_log
invalid parameter "zone=": a zone name is expected



=== TEST 29: smotp_verify_attempts with a count out of range
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /v { smotp_verify; smotp_verify_attempts zone=otp 0; }
--- must_die
--- error_log
invalid value "0" in "smotp_verify_attempts" directive: a number from 1 to 1000 is expected



=== TEST 30: smotp_verify_attempts whose first parameter is not a zone
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /v { smotp_verify; smotp_verify_attempts 5 zone=otp; }
--- must_die
--- error_log
invalid parameter "5" in "smotp_verify_attempts" directive: zone=name is expected



=== TEST 31: smotp_verify_attempts given twice
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /v { smotp_verify; smotp_verify_attempts zone=otp 5; smotp_verify_attempts zone=otp 3; }
--- must_die
--- error_log
"smotp_verify_attempts" directive is duplicate



=== TEST 32: smotp_verify_attempts with a zone never defined
--- config
    location = /v { smotp_verify; smotp_verify_attempts zone=nowhere 5; }
--- must_die
--- error_log
unknown smotp_zone "nowhere"



=== TEST 33: smotp_resend_interval with a zone never defined
--- config
    location = /a { smotp_send; smotp_resend_interval 30s zone=nowhere; }
--- must_die
--- error_log
unknown smotp_zone "nowhere"



=== TEST 34: smotp_limit with a period under a second
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /b { smotp_send; smotp_limit zone=otp key=all rate=1/500ms; }
--- must_die
--- error_log
invalid rate "rate=1/500ms" in "smotp_limit" directive



=== TEST 35: smotp_zone with the name of another module's zone
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    limit_req_zone $binary_remote_addr zone=otp:1m rate=1r/s;
    smotp_zone otp:1m;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
the shared memory zone "otp" is already declared for a different use



=== TEST 36: smotp_limit with a key whose variable is never closed
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /a { smotp_send; smotp_limit zone=otp key=${smotp_phone rate=1/h; }
--- must_die
--- error_log
the closing bracket in "smotp_phone" variable is missing



=== TEST 37: smotp_limit with a rate without a period
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /a { smotp_send; smotp_limit zone=otp key=all rate=3; }
--- must_die
--- error_log
invalid rate "rate=3" in "smotp_limit" directive



=== TEST 38: smotp_limit with a period too long to read
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /a { smotp_send; smotp_limit zone=otp key=all rate=3/1234567890123456m; }
--- must_die
--- error_log
invalid rate "rate=3/1234567890123456m" in "smotp_limit" directive



=== TEST 39: smotp_limit with an empty zone name
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
--- config
    location = /a { smotp_send; smotp_limit zone= key=all rate=3/h; }
--- must_die
--- error_log
invalid parameter "zone=": a zone name is expected
