# The API key's directives and the key file, where they fail: each failure
# stops nginx at start (nginx -t) with a message that names the file or
# the directive, never the key.  The other config errors that no other
# file shows are here as well.  Runs nginx through t/inc/nginx-startup-log,
# like t/009-config.t, so that the start-up errors reach logs/error.log.

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

=== TEST 1: a key file larger than 4096 bytes is refused unread
--- http_config
    smotp_api_key_file ../html/big.key;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files eval
">>> big.key\n" . ("sm_test_" . "k" x 4100) . "\n"
--- must_die
--- error_log eval
qr/API key file "[^"]*big\.key" is too large/
--- no_error_log
sm_test_kkkk



=== TEST 2: a key "file" that says it is empty but reads on (a device) is cut at 4096 bytes
--- http_config
    smotp_api_key_file /dev/zero;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
API key file "/dev/zero" is too large



=== TEST 3: a key file that cannot be read: its error
--- http_config
    smotp_api_key_file /proc/self/mem;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log eval
qr{read\(\) "/proc/self/mem" failed \(5: Input/output error\)}



=== TEST 4: a directory as the key file
--- http_config
    smotp_api_key_file ../html;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files
>>> placeholder
x
--- must_die
--- error_log eval
qr/read\(\) "[^"]*html" failed \(21: Is a directory\)|API key file "[^"]*html" is too large/



=== TEST 5: a key file of white space only is empty
--- http_config
    smotp_api_key_file ../html/blank.key;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files eval
">>> blank.key\n \t \r\n\r\n"
--- must_die
--- error_log eval
qr/API key file "[^"]*blank\.key" is empty/



=== TEST 6: the key in a file, with white space around it, is used as it is
--- http_config
    smotp_api_key_file ../html/spaced.key;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files eval
">>> spaced.key\n \t sm_test_0123456789abcdef \t\r\n"
--- log_level: info
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001201"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like chomp
^\{"requestId":"[0-9a-f-]{36}",
--- no_error_log
sm_test_0123456789abcdef



=== TEST 7: smotp_api_key given twice
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_api_key sm_test_second_account;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
"smotp_api_key" directive is duplicate
--- no_error_log
sm_test_second_account



=== TEST 8: smotp_api_key_file after smotp_api_key at the same level
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_api_key_file ../html/other.key;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files
>>> other.key
sm_test_second_account
--- must_die
--- error_log
"smotp_api_key_file" directive is duplicate
--- no_error_log
sm_test_second_account



=== TEST 9: a key whose variable is cut short
--- http_config
    smotp_api_key "sm_test_${http_x_key";
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
the closing bracket in "http_x_key" variable is missing



=== TEST 10: smotp_api_location given twice
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_api_location /_smotp_api/;
    smotp_api_location /_other_api/;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log
"smotp_api_location" directive is duplicate



=== TEST 11: smotp_retry_backoff given twice
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_retry_backoff 100ms 1s;
        smotp_retry_backoff 200ms 2s;
    }
--- must_die
--- error_log
"smotp_retry_backoff" directive is duplicate



=== TEST 12: smotp_retry_backoff with its first time above its second
--- config
    location = /auth/send-otp { smotp_send; smotp_retry_backoff 2s 1s; }
--- must_die
--- error_log
invalid value "2s 1s" in "smotp_retry_backoff" directive: two times, the first above zero and not larger than the second, are expected



=== TEST 13: smotp_retry_backoff with a time that is not one
--- config
    location = /auth/send-otp { smotp_send; smotp_retry_backoff soon 1s; }
--- must_die
--- error_log
invalid value "soon 1s" in "smotp_retry_backoff" directive
