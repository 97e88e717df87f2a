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

