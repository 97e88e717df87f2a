# What nginx -t says of the fronting and fleet directives given wrongly,
# and the forms they take that the other files do not use: smotp_cookie,
# smotp_require and smotp_secret_file twice or malformed, a secret file
# too large, secrets in standard base64; smotp_redis_pass, its password
# file and timeout; and a client that reaches a smotp_redis_pass location
# left open.
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
use SmotpFront;

our $Secret = $SmotpFront::Secret;
our $Files = ">>> secret\n$Secret\n";
our $Big = ">>> secret\n" . ("# padding to make the file too large\n" x 500);

no_long_string();
run_tests();

__DATA__

=== TEST 1: smotp_cookie twice
--- config
    location / { smotp_cookie a; smotp_cookie b; }
--- must_die
--- error_log
"smotp_cookie" directive is duplicate



=== TEST 2: a cookie domain or path that would break the header
--- config
    location / { smotp_cookie smotp "domain=a;b"; }
--- must_die
--- error_log
invalid value "domain=a;b" in "smotp_cookie" directive



=== TEST 3: a cookie path that is not absolute
--- config
    location / { smotp_cookie smotp path=app; }
--- must_die
--- error_log
invalid value "path=app" in "smotp_cookie" directive



=== TEST 4: samesite=lax and secure=on, as written, on the logout's cleared cookie
--- http_config
    smotp_secret_file ../html/secret;
    smotp_cookie smotp samesite=lax secure=on;
--- config
    location = /auth/logout { smotp_logout; }
--- user_files eval: $::Files
--- request
POST /auth/logout
--- error_code: 200
--- response_headers_like
Set-Cookie: ^smotp=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax$
--- response_body chomp
{"loggedOut":true}



=== TEST 5: smotp_require twice
--- http_config
    smotp_secret_file ../html/secret;
--- config
    location / { smotp_require on; smotp_require off; }
--- user_files eval: $::Files
--- must_die
--- error_log
"smotp_require" directive is duplicate



=== TEST 6: smotp_secret_file twice
--- http_config
    smotp_secret_file ../html/secret;
    smotp_secret_file ../html/secret;
--- config
    location / { return 204; }
--- user_files eval: $::Files
--- must_die
--- error_log
"smotp_secret_file" directive is duplicate



=== TEST 7: a secret file over 16k is refused, unread
--- http_config
    smotp_secret_file ../html/secret;
--- config
    location / { return 204; }
--- user_files eval: $::Big
--- must_die
--- error_log eval
qr/secret file "[^"]*secret" is too large/



=== TEST 8: a secret in standard base64 (with + and /) is taken
--- http_config
    smotp_secret_file ../html/secret;
--- config
    location = /auth/logout { smotp_logout; }
--- user_files
>>> secret
q+/3fJ0+kX1m/aZ8yT2sW4vB6nE9cL7dR5tH3gU1oPA=
--- request
POST /auth/logout
--- error_code: 200
--- response_body chomp
{"loggedOut":true}



=== TEST 9: smotp_redis_pass twice
--- config
    location /r { internal; smotp_redis_pass 127.0.0.1:6379; smotp_redis_pass 127.0.0.1:6380; }
--- must_die
--- error_log
"smotp_redis_pass" directive is duplicate



=== TEST 10: smotp_redis_pass where smotp_send answers
--- config
    location = /auth/send-otp { smotp_send; smotp_redis_pass 127.0.0.1:6379; }
--- must_die
--- error_log
"smotp_redis_pass" directive cannot be in a location of smotp_send, smotp_verify and the other endpoints



=== TEST 11: a Redis password file that is missing
--- config
    location /r { internal; smotp_redis_pass 127.0.0.1:6379; smotp_redis_password_file ../html/nope; }
--- must_die
--- error_log eval
qr/open\(\) "[^"]*nope" failed/



=== TEST 12: a Redis password file with no password on its first line
--- config
    location /r { internal; smotp_redis_pass 127.0.0.1:6379; smotp_redis_password_file ../html/pass; }
--- user_files
>>> pass
   

--- must_die
--- error_log eval
qr/password file "[^"]*pass" has no password on its first line/



=== TEST 13: a Redis password file too large, and never printed
--- config
    location /r { internal; smotp_redis_pass 127.0.0.1:6379; smotp_redis_password_file ../html/pass; }
--- user_files eval
">>> pass\n" . ("p" x 600) . "\n"
--- must_die
--- error_log eval
qr/password file "[^"]*pass" is too large/
--- no_error_log
pppppppppp



=== TEST 14: smotp_redis_password_file twice
--- config
    location /r { internal; smotp_redis_pass 127.0.0.1:6379; smotp_redis_password_file ../html/pass; smotp_redis_password_file ../html/pass; }
--- user_files
>>> pass
secret-pw
--- must_die
--- error_log
"smotp_redis_password_file" directive is duplicate



=== TEST 15: smotp_redis_timeout 0
--- config
    location /r { internal; smotp_redis_pass 127.0.0.1:6379; smotp_redis_timeout 0; }
--- must_die
--- error_log
invalid value "0" in "smotp_redis_timeout" directive: a time above zero is expected



=== TEST 16: a client reaching a smotp_redis_pass location left open gets a 404 JSON, and the log says to make it internal
--- http_config
    smotp_secret_file ../html/secret;
    smotp_zone otp:1m redis=/r on_error=local;
--- config
    location /r { smotp_redis_pass 127.0.0.1:1; }
--- user_files eval: $::Files
--- request
GET /r
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"not found"}
--- error_log
smotp_redis_pass takes only the module's own subrequests: make its location internal
