# Cross-site requests (issue 13): a form or a script on another site that
# makes a visitor's browser post to the endpoints is refused, 403 in JSON
# and no API call, by Sec-Fetch-Site, or by Origin when the browser sends
# no Sec-Fetch-Site; same-origin requests, and requests with neither
# header (curl, servers), pass, as do the origins smotp_allowed_origins
# lists; "*" turns the check off.
#
# nginx runs through t/inc/nginx-startup-log (see t/009-config.t), so that
# the configuration errors are read from logs/error.log.

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

=== TEST 1: Sec-Fetch-Site: cross-site is refused, 403 in JSON, no API call, logged with the origin
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+14155550201"}
--- more_headers
Content-Type: application/json
Sec-Fetch-Site: cross-site
Origin: https://evil.example
--- error_code: 403
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"cross-site requests are not accepted"}
--- error_log
[warn]
smotp send: cross-site request refused, Origin "https://evil.example", Sec-Fetch-Site "cross-site"
--- no_error_log
API call
[error]



=== TEST 2: Sec-Fetch-Site: same-site (another subdomain) is refused too; the API saw nothing
--- config
    location = /auth/send-otp { smotp_send; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B14155550202;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550202\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
Sec-Fetch-Site: same-site
--- error_code eval
[403, 200]
--- response_body_like eval
[qr/^\Q{"error":"cross-site requests are not accepted"}\E$/,
 qr/^\Q{"requests":0,"sms":0}\E$/]



=== TEST 3: a value of Sec-Fetch-Site the rule does not know is refused, logged without an Origin
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+14155550203"}
--- more_headers
Content-Type: application/json
Sec-Fetch-Site: Same-Origin
--- error_code: 403
--- error_log
smotp send: cross-site request refused, Origin "", Sec-Fetch-Site "Same-Origin"



=== TEST 4: Sec-Fetch-Site same-origin and none pass, whatever Origin says
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550204\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550205\"}"]
--- more_headers eval
["Content-Type: application/json\nSec-Fetch-Site: same-origin\nOrigin: https://other.example",
 "Content-Type: application/json\nSec-Fetch-Site: none"]
--- error_code eval
[200, 200]
--- no_error_log
request refused



=== TEST 5: no Sec-Fetch-Site: an Origin of the request's Host passes, its port too, in any case, over any scheme
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550206\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550207\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550208\"}"]
--- more_headers eval
["Content-Type: application/json\nHost: shop.example\nOrigin: https://shop.example",
 "Content-Type: application/json\nHost: shop.example:8443\nOrigin: https://shop.example:8443",
 "Content-Type: application/json\nHost: Shop.Example\nOrigin: http://shop.EXAMPLE"]
--- error_code eval
[200, 200, 200]
--- no_error_log
request refused



=== TEST 6: no Sec-Fetch-Site: an Origin of another host, or of another port, is refused
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550209\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550210\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550211\"}"]
--- more_headers eval
["Content-Type: application/json\nHost: shop.example\nOrigin: https://evil.example",
 "Content-Type: application/json\nHost: shop.example:8443\nOrigin: https://shop.example",
 "Content-Type: application/json\nHost: shop.example\nOrigin: https://shop.example.evil.example"]
--- error_code eval
[403, 403, 403]
--- response_body_like eval
[qr/^\Q{"error":"cross-site requests are not accepted"}\E$/,
 qr/^\Q{"error":"cross-site requests are not accepted"}\E$/,
 qr/^\Q{"error":"cross-site requests are not accepted"}\E$/]



=== TEST 7: Origin: null (a sandboxed frame, a file) is refused
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+14155550212"}
--- more_headers
Content-Type: application/json
Host: null
Origin: null
--- error_code: 403
--- response_body chomp
{"error":"cross-site requests are not accepted"}
--- error_log
smotp send: cross-site request refused, Origin "null", Sec-Fetch-Site ""



=== TEST 8: an Origin without a Host to compare it with (HTTP/1.0) is refused
--- config
    location = /auth/send-otp { smotp_send; }
--- raw_request eval
"POST /auth/send-otp HTTP/1.0\r
Content-Type: application/json\r
Origin: http://localhost\r
Content-Length: 30\r
\r
{\"phoneNumber\":\"+14155550213\"}"
--- error_code: 403
--- response_body chomp
{"error":"cross-site requests are not accepted"}



=== TEST 9: neither header (curl, a server): passes
--- config
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+14155550214"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- no_error_log
request refused



=== TEST 10: a verify from another site is refused too, before any API call
--- config
    location = /auth/verify-otp { smotp_verify; }
--- request
POST /auth/verify-otp
{"requestId":"no-such-request-0215","otpCode":"123456"}
--- more_headers
Content-Type: application/json
Sec-Fetch-Site: cross-site
Origin: https://evil.example
--- error_code: 403
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"cross-site requests are not accepted"}
--- error_log
smotp verify: cross-site request refused, Origin "https://evil.example"
--- no_error_log
API call



=== TEST 11: a form posted from another site (Origin alone) is refused, one posted from no page is sent
--- config
    location = /auth/send-otp { smotp_send; }
--- request eval
["POST /auth/send-otp\nphoneNumber=%2B14155550216", "POST /auth/send-otp\nphoneNumber=%2B14155550217"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nOrigin: https://evil.example",
 "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[403, 200]



=== TEST 12: smotp_allowed_origins: a listed origin passes, in any case, by Sec-Fetch-Site or by Origin alone
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_origins https://app.example http://[::1]:8080;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550218\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550219\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550220\"}"]
--- more_headers eval
["Content-Type: application/json\nSec-Fetch-Site: cross-site\nOrigin: https://APP.example",
 "Content-Type: application/json\nSec-Fetch-Site: same-site\nOrigin: http://[::1]:8080",
 "Content-Type: application/json\nOrigin: https://app.example"]
--- error_code eval
[200, 200, 200]
--- no_error_log
request refused



=== TEST 13: smotp_allowed_origins: another origin, the listed one over another scheme or port, or none, is still refused
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_origins https://app.example;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550221\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550222\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550223\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550224\"}"]
--- more_headers eval
["Content-Type: application/json\nSec-Fetch-Site: cross-site\nOrigin: https://evil.example",
 "Content-Type: application/json\nSec-Fetch-Site: cross-site\nOrigin: http://app.example",
 "Content-Type: application/json\nSec-Fetch-Site: cross-site\nOrigin: https://app.example:8443",
 "Content-Type: application/json\nSec-Fetch-Site: cross-site"]
--- error_code eval
[403, 403, 403, 403]



=== TEST 14: smotp_allowed_origins * turns the check off; it is inherited, and a location's own list turns it on again
--- config
    smotp_allowed_origins *;
    location = /auth/send-otp { smotp_send; }
    location = /app/send-otp {
        smotp_send;
        smotp_allowed_origins https://app.example;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550225\"}",
 "POST /app/send-otp\n{\"phoneNumber\":\"+14155550226\"}"]
--- more_headers
Content-Type: application/json
Sec-Fetch-Site: cross-site
Origin: https://evil.example
--- error_code eval
[200, 403]



=== TEST 15: the README's front end on another origin: the preflight answered in nginx.conf, the send with its CORS headers
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    map $http_origin $cors_origin {
        default                  "";
        https://app.example      $http_origin;
    }
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_origins https://app.example;

        add_header Access-Control-Allow-Origin $cors_origin always;
        add_header Vary Origin always;

        if ($request_method = OPTIONS) {
            add_header Access-Control-Allow-Origin $cors_origin always;
            add_header Access-Control-Allow-Methods "POST" always;
            add_header Access-Control-Allow-Headers "Content-Type, Idempotency-Key" always;
            add_header Access-Control-Max-Age 600 always;
            add_header Vary Origin always;
            return 204;
        }
    }
--- request eval
["OPTIONS /auth/send-otp", "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550227\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550228\"}"]
--- more_headers eval
["Origin: https://app.example\nSec-Fetch-Site: cross-site\nAccess-Control-Request-Method: POST\nAccess-Control-Request-Headers: content-type",
 "Content-Type: application/json\nOrigin: https://app.example\nSec-Fetch-Site: cross-site",
 "Content-Type: application/json\nOrigin: https://evil.example\nSec-Fetch-Site: cross-site"]
--- error_code eval
[204, 200, 403]
--- response_headers eval
["Access-Control-Allow-Origin: https://app.example\nAccess-Control-Allow-Methods: POST\nAccess-Control-Allow-Headers: Content-Type, Idempotency-Key\nAccess-Control-Max-Age: 600",
 "Access-Control-Allow-Origin: https://app.example\nContent-Type: application/json",
 "!Access-Control-Allow-Origin\nContent-Type: application/json"]



=== TEST 16: a host, not an origin
--- config
    location = /auth/send-otp { smotp_send; smotp_allowed_origins app.example; }
--- must_die
--- error_log
invalid value "app.example" in "smotp_allowed_origins" directive: origins such as https://example.com or http://example.com:8080, or "*" alone, are expected



=== TEST 17: an origin with a path, even "/"
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_origins https://app.example/;
    }
--- must_die
--- error_log
invalid value "https://app.example/" in "smotp_allowed_origins" directive



=== TEST 18: an origin without a host
--- config
    location = /auth/send-otp { smotp_send; smotp_allowed_origins https://; }
--- must_die
--- error_log
invalid value "https://" in "smotp_allowed_origins" directive



=== TEST 19: a scheme that does not begin with a letter
--- config
    location = /auth/send-otp { smotp_send; smotp_allowed_origins 1http://a.example; }
--- must_die
--- error_log
invalid value "1http://a.example" in "smotp_allowed_origins" directive



=== TEST 20: an IPv6 host without its closing bracket
--- config
    location = /auth/send-otp { smotp_send; smotp_allowed_origins "http://[::1"; }
--- must_die
--- error_log
invalid value "http://[::1" in "smotp_allowed_origins" directive



=== TEST 21: a port out of range
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_origins https://app.example:8443 https://app.example:65536;
    }
--- must_die
--- error_log
invalid value "https://app.example:65536" in "smotp_allowed_origins" directive



=== TEST 22: "*" with origins
--- config
    location = /auth/send-otp { smotp_send; smotp_allowed_origins * https://app.example; }
--- must_die
--- error_log
invalid value "*" in "smotp_allowed_origins" directive



=== TEST 23: given twice in one place
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_origins https://app.example;
        smotp_allowed_origins *;
    }
--- must_die
--- error_log
"smotp_allowed_origins" directive is duplicate
