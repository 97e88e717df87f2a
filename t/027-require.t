# smotp_cookie, smotp_require and smotp_logout: a verify's cookie, the
# gate in front of the app that takes it, and the logout that clears it.
# Cookies are sealed in Perl (t/inc/SmotpFront.pm) as nginx seals them.
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
our $Other = $SmotpFront::Other;
our $Files = ">>> secret\n$Secret\n";

our $Http = <<"_EOC_";
    smotp_api_key sm_test_0123456789abcdef;
    smotp_secret_file ../html/secret;
    smotp_test_number +919999999999 123456;
_EOC_

# the app: a location that shows what it was handed
our $App = <<'_EOC_';
    proxy_set_header X-Verified-Phone $smotp_verified_phone;

    location /app/ {
        smotp_require on;
        smotp_require_redirect /signin/;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }

    location /open/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }

    location /api/ {
        smotp_require on;
        proxy_set_header X-Verified-Phone $smotp_verified_phone;
        proxy_set_header X-Verified-At $smotp_verified_at;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/at/;
    }

    location /backend/ {
        return 200 "[$http_x_verified_phone]\n";
    }

    location /at/ {
        return 200 "phone=$http_x_verified_phone at=$http_x_verified_at\n";
    }
_EOC_

our $Good = SmotpFront::cookie('+919876543210');

our $Verify = "POST /auth/verify-otp\n{\"requestId\":\""
              . SmotpFront::handle('+919999999999',
                                   '00000000-0000-4000-8000-000000000000')
              . "\",\"otpCode\":\"123456\"}";

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a valid cookie passes the gate: the app gets the phone, and a client's own X-Verified-Phone never reaches it, gated or not
--- http_config eval: $::Http
--- config eval: $::App
--- user_files eval: $::Files
--- request eval
["GET /app/orders", "GET /open/page", "GET /open/page"]
--- more_headers eval
["Cookie: other=1; smotp=$::Good; last=2\nX-Verified-Phone: +15550000000",
 "X-Verified-Phone: +15550000000",
 "Cookie: smotp=$::Good\nX-Verified-Phone: +15550000000"]
--- error_code eval
[200, 200, 200]
--- response_body eval
["[+919876543210]\n", "[]\n", "[+919876543210]\n"]



=== TEST 2: $smotp_verified_phone and $smotp_verified_at
--- http_config eval: $::Http
--- config eval: $::App
--- user_files eval: $::Files
--- request
GET /api/x
--- more_headers eval
"Cookie: smotp=" . SmotpFront::cookie('+447700900123', issued => 1764680709)
--- error_code: 200
--- response_body
phone=+447700900123 at=2025-12-02T13:05:09Z



=== TEST 3: refused with 401 JSON: no cookie, an empty one, expired, altered (every byte), cut short, of another secret, a handle in its place
--- http_config eval: $::Http
--- config eval: $::App
--- user_files eval: $::Files
--- request eval
my @bad = ('', SmotpFront::cookie('+919876543210', expires => time() - 1),
           SmotpFront::tampered($::Good), substr($::Good, 0, -2),
           SmotpFront::cookie('+919876543210', secret => $::Other),
           SmotpFront::handle('+919876543210', 'x'),
           SmotpFront::cookie('not a phone'));
$::N = @bad + 1;
[("POST /api/x") x $::N]
--- more_headers eval
my @bad = ('', SmotpFront::cookie('+919876543210', expires => time() - 1),
           SmotpFront::tampered($::Good), substr($::Good, 0, -2),
           SmotpFront::cookie('+919876543210', secret => $::Other),
           SmotpFront::handle('+919876543210', 'x'),
           SmotpFront::cookie('not a phone'));
["", map { "Cookie: smotp=$_" } @bad]
--- error_code eval
[(401) x $::N]
--- response_headers eval
[("Content-Type: application/json\nCache-Control: no-store") x $::N]
--- response_body eval
[('{"error":"phone verification required"}') x $::N]



=== TEST 4: a page's GET without a cookie goes to the sign-in page with its path and arguments as "next"; HEAD too; a POST gets 401
--- http_config eval: $::Http
--- config eval: "absolute_redirect off;\n" . $::App
--- user_files eval: $::Files
--- request eval
["GET /app/orders?id=7&x=a%20b", "HEAD /app/orders", "POST /app/orders"]
--- error_code eval
[302, 302, 401]
--- response_headers eval
["Location: /signin/?next=/app/orders%3Fid=7%26x=a%2520b\nContent-Type: application/json",
 "Location: /signin/?next=/app/orders",
 "Location:"]
--- response_body eval
['{"error":"phone verification required"}', '',
 '{"error":"phone verification required"}']



=== TEST 5: a "next" is only ever a local path: "//host" gives none, an absolute request line gives its path
--- http_config eval: $::Http
--- config eval
"absolute_redirect off;\nmerge_slashes off;\n" . $::App . <<'_EOC_';
    location // {
        smotp_require on;
        smotp_require_redirect /signin/;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
_EOC_
--- user_files eval: $::Files
--- raw_request eval
["GET //evil.example/app/ HTTP/1.0\r\n\r\n",
 "GET http://evil.example/app/orders HTTP/1.0\r\n\r\n"]
--- error_code eval
[302, 302]
--- response_headers eval
["Location: /signin/", "Location: /signin/?next=/app/orders"]



=== TEST 6: a redirect URI with arguments of its own gets "next" after them
--- http_config eval: $::Http
--- config
    absolute_redirect off;
    location /app/ {
        smotp_require on;
        smotp_require_redirect /signin/?lang=en;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /backend/ { return 200; }
--- user_files eval: $::Files
--- request
GET /app/a
--- error_code: 302
--- response_headers
Location: /signin/?lang=en&next=/app/a



=== TEST 7: with satisfy any, an allowed address passes without a cookie
--- http_config eval: $::Http
--- config
    location /app/ {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        smotp_require on;
        proxy_set_header X-Verified-Phone $smotp_verified_phone;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /backend/ { return 200 "in [$http_x_verified_phone]\n"; }
--- user_files eval: $::Files
--- request
GET /app/a
--- error_code: 200
--- response_body
in []



=== TEST 8: with satisfy any and deny all, the cookie alone lets one in; without it, the gate's 401 JSON
--- http_config eval: $::Http
--- config
    location /app/ {
        satisfy any;
        deny all;
        smotp_require on;
        proxy_set_header X-Verified-Phone $smotp_verified_phone;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /backend/ { return 200 "in [$http_x_verified_phone]\n"; }
--- user_files eval: $::Files
--- request eval
["GET /app/a", "GET /app/a"]
--- more_headers eval
["Cookie: smotp=$::Good", ""]
--- error_code eval
[200, 401]
--- response_body eval
["in [+919876543210]\n", '{"error":"phone verification required"}']



=== TEST 9: with satisfy all, deny comes first: 403, not the gate
--- http_config eval: $::Http
--- config
    location /app/ {
        deny all;
        smotp_require on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /backend/ { return 200; }
--- user_files eval: $::Files
--- request
GET /app/a
--- more_headers eval
"Cookie: smotp=$::Good"
--- error_code: 403



=== TEST 10: the app's own 401 is the app's, not the gate's
--- http_config eval: $::Http
--- config
    location /app/ {
        smotp_require on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /backend/ { return 401 "app says no\n"; }
--- user_files eval: $::Files
--- request
GET /app/a
--- more_headers eval
"Cookie: smotp=$::Good"
--- error_code: 401
--- response_body
app says no



=== TEST 11: the cookie's default attributes
--- http_config eval: $::Http
--- config
    location = /auth/verify-otp { smotp_verify; }
--- user_files eval: $::Files
--- request eval: $::Verify
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers_like
Set-Cookie: ^smotp=[A-Za-z0-9_-]{90,}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Lax$
--- response_body chomp
{"verified":true,"phone":"+91******9999"}



=== TEST 12: every attribute set
--- http_config eval
$::Http . "    smotp_cookie sid max_age=1h domain=example.com path=/app samesite=strict;\n"
--- config
    location = /auth/verify-otp { smotp_verify; }
--- user_files eval: $::Files
--- request eval: $::Verify
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers_like
Set-Cookie: ^sid=[A-Za-z0-9_-]{90,}; Max-Age=3600; Domain=example.com; Path=/app; HttpOnly; Secure; SameSite=Strict$



=== TEST 13: samesite=none, and secure=off for plain-HTTP development
--- http_config eval: $::Http
--- config
    location = /a { smotp_verify; smotp_cookie smotp samesite=none; }
    location = /b { smotp_verify; smotp_cookie dev secure=off max_age=10m; }
--- user_files eval: $::Files
--- request eval
[$::Verify =~ s{/auth/verify-otp}{/a}r, $::Verify =~ s{/auth/verify-otp}{/b}r]
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/json"]
--- error_code eval
[200, 200]
--- response_headers_like eval
["Set-Cookie: ^smotp=[A-Za-z0-9_-]{90,}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=None\$",
 "Set-Cookie: ^dev=[A-Za-z0-9_-]{90,}; Max-Age=600; Path=/; HttpOnly; SameSite=Lax\$"]



=== TEST 14: the gate reads the cookie smotp_cookie names
--- http_config eval
$::Http . "    smotp_cookie sid;\n"
--- config eval: $::App
--- user_files eval: $::Files
--- request eval
["GET /api/a", "GET /api/a"]
--- more_headers eval
["Cookie: sid=$::Good", "Cookie: smotp=$::Good"]
--- error_code eval
[200, 401]



=== TEST 15: logout clears the cookie with its attributes; only POST
--- http_config eval
$::Http . "    smotp_cookie sid path=/app domain=example.com;\n"
--- config
    location = /auth/logout { smotp_logout; }
--- user_files eval: $::Files
--- request eval
["POST /auth/logout", "GET /auth/logout"]
--- error_code eval
[200, 405]
--- response_headers eval
["Set-Cookie: sid=; Max-Age=0; Domain=example.com; Path=/app; HttpOnly; Secure; SameSite=Lax\nContent-Type: application/json",
 "Allow: POST\nContent-Type: application/json\nSet-Cookie:"]
--- response_body eval
['{"loggedOut":true}', '{"error":"method not allowed"}']



=== TEST 16: logout needs no API key, and refuses a cross-site form
--- http_config
    smotp_zone otp:1m;
--- config
    location = /auth/logout { smotp_logout; }
--- request
POST /auth/logout
--- more_headers
Sec-Fetch-Site: cross-site
--- error_code: 403
--- response_headers
Set-Cookie:
Content-Type: application/json



=== TEST 17: a secret line shorter than 32 bytes fails nginx -t, and is not printed
--- http_config
    smotp_secret_file ../html/secret;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files
>>> secret
00112233445566778899aabbccddeeff
--- must_die
--- error_log eval
qr/"smotp_secret_file" file "[^"]*secret": line 1 holds 16 bytes, at least 32 are needed/
--- no_error_log
00112233445566778899aabbccddeeff



=== TEST 18: a file with no secret, and one that is missing
--- http_config
    smotp_secret_file ../html/secret;
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files
>>> secret
# only a comment

--- must_die
--- error_log eval
qr/"smotp_secret_file" file "[^"]*secret" holds no secret/



=== TEST 19: a missing secret file
--- http_config
    smotp_secret_file ../html/no-such-secret;
--- config
    location = /auth/send-otp { smotp_send; }
--- must_die
--- error_log eval
qr/open\(\) "[^"]*no-such-secret" failed/



=== TEST 20: smotp_require without a secret
--- config
    location / { smotp_require on; }
--- must_die
--- error_log
"smotp_require" needs "smotp_secret_file"



=== TEST 21: samesite=none without secure
--- config
    location / { smotp_cookie smotp samesite=none secure=off; }
--- must_die
--- error_log
browsers refuse a "samesite=none" cookie that is not "secure"



=== TEST 22: a redirect that is not a local path
--- config
    location / { smotp_require_redirect //evil.example/; }
--- must_die
--- error_log
invalid value "//evil.example/" in "smotp_require_redirect" directive: a local path starting with "/" is expected



=== TEST 23: a bad cookie name, and a bad parameter
--- config
    location / { smotp_cookie "a;b"; }
--- must_die
--- error_log
invalid cookie name "a;b" in "smotp_cookie" directive



=== TEST 24: a parameter smotp_cookie does not know
--- config
    location / { smotp_cookie smotp max_age=forever; }
--- must_die
--- error_log
invalid value "max_age=forever" in "smotp_cookie" directive



=== TEST 25: secrets as base64 and as plain text, each at least 32 bytes, are taken
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    smotp_secret_file ../html/secret;
--- config
    location = /auth/send-otp { smotp_send; }
    location = /ok { return 200 "ok\n"; }
--- user_files
>>> secret
  q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=
q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA_-w
this is a pass phrase of thirty-two bytes or more
--- request
GET /ok
--- response_body
ok



=== TEST 26: the cookie among others: names that hold it as a part, no blank after ";", a second Cookie line, blanks around the value; not another case of its name, not a name without "=", and the first of two is the one taken
--- http_config eval: $::Http
--- config eval: $::App
--- user_files eval: $::Files
--- request eval
[("GET /open/page") x 8]
--- more_headers eval
["Cookie: smotpx=1; xsmotp=$::Good; smotp=$::Good",
 "Cookie: a=1;smotp=$::Good",
 "Cookie: a=1\nCookie: b=2; smotp= $::Good \t; c=3",
 "Cookie: a=1; SMOTP=$::Good",
 "Cookie: a=1; smotp",
 "Cookie: smotp=x; smotp=$::Good",
 "Cookie: smotpx=$::Good",
 "Cookie: a=\"smotp=$::Good\""]
--- error_code eval
[(200) x 8]
--- response_body eval
["[+919876543210]\n", "[+919876543210]\n", "[+919876543210]\n",
 "[]\n", "[]\n", "[]\n", "[]\n", "[]\n"]



=== TEST 27: a sealed cookie that holds no phone is refused each time it comes: the worker does not remember it (nor one too long to remember)
--- http_config eval: $::Http
--- config eval: $::App
--- user_files eval: $::Files
--- request eval
[("GET /open/page") x 4]
--- more_headers eval
my $bad = SmotpFront::cookie('not a phone');
my $long = SmotpFront::cookie('not a phone, and longer than any phone is');
["Cookie: smotp=$bad", "Cookie: smotp=$bad", "Cookie: smotp=$long",
 "Cookie: smotp=$::Good"]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
["[]\n", "[]\n", "[]\n", "[+919876543210]\n"]
